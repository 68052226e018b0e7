import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "@lars/codec";
import type { TcpConn } from "../../src/index.js";
import { echo, nextTurn, patterned, startServer, teardownAll } from "../helpers/harness.js";
import type { ServerHarness } from "../helpers/harness.js";
import { WAIT_MS } from "../helpers/raw-client.js";
import type { RawClient } from "../helpers/raw-client.js";

afterEach(teardownAll);

/** Re-check once per loop turn, bounded (for counters that emit no event). */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await nextTurn();
  }
}

/** Wait `ms` on the server's own loop timer (to show that nothing happens meanwhile). */
function serverTime(h: ServerHarness, ms: number): Promise<void> {
  return new Promise((resolve) => h.loop.runAfter(ms, resolve));
}

/** A header announcing `len` body bytes, then the first `sent` of them. */
function halfFrame(len: number, sent: number): Buffer {
  return encodeFrame(1, patterned(len, 3)).subarray(0, 8 + sent);
}

describe("abrupt close mid-frame", () => {
  for (const how of ["end (FIN)", "reset (RST)"] as const) {
    it(`header and half a body, then ${how}: closed as peer-closed, nothing delivered, the gathering buffer back in the pool`, async () => {
      const got: number[] = [];
      const h = await startServer({}, (s) =>
        s.addMsgRouter(1, (body, msgid, conn) => {
          got.push(body.length);
          conn.sendMessage(body, msgid);
        }),
      );
      const good = await h.connect();
      const { client, conn } = await h.connectStarted();
      await client.write(halfFrame(10_000, 5_000));
      await until(() => conn.partialFrameBytes === 8 + 5_000, "the server to hold the partial frame");
      // The partial frame sits in one pooled buffer (16 KiB class), and only there.
      expect(h.pool.inUse).toBe(1);
      if (how === "end (FIN)") await client.end();
      else await client.reset();
      const closed = await h.closes.waitFind((e) => e.conn === conn);
      expect(closed.reason).toBe("peer-closed");
      if (how === "reset (RST)") expect((closed.error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
      else expect(closed.error).toBeUndefined();
      expect(conn.messagesIn).toBe(0);
      expect(h.pool.inUse).toBe(0);
      // Nobody else noticed.
      expect((await good.roundTrip(1, "fine")).msgid).toBe(1);
      expect(got).toEqual([4]); // only the good client's frame was ever delivered
      expect(h.server.stats().closes).toEqual({ "peer-closed": 1 });
    });
  }

  it("many peers at once each send a header, part of a body, and vanish (half by FIN, half by RST) while a good client keeps echoing", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    const good = await h.connect();
    const peers: { client: RawClient; conn: TcpConn }[] = [];
    for (let i = 0; i < 20; i++) peers.push(await h.connectStarted());
    await Promise.all(peers.map(({ client }, i) => client.write(halfFrame(65_527, 1 + i * 997))));
    for (let i = 0; i < peers.length; i++) {
      const { client } = peers[i]!;
      if (i % 2 === 0) client.socket.end();
      else client.socket.resetAndDestroy();
      // The good client is served between the aborts.
      const n = good.frames.length;
      expect((await good.roundTrip(1, String(i))).body.toString()).toBe(String(i));
      expect(good.frames.length).toBe(n + 1);
    }
    await h.closes.waitCount(peers.length);
    expect(h.closes.items.every((e) => e.reason === "peer-closed")).toBe(true);
    expect(h.server.connectionCount).toBe(1);
    await until(() => h.pool.inUse === 0, "every gathering buffer back in the pool");
  });
});

describe("half-close: the peer sends its last requests and FIN together", () => {
  // Lars closes a connection when the peer's FIN arrives, but only after flushing what
  // was already accepted for it: replies to the requests that came with the FIN arrive
  // first. Sends after that are refused (LARS_CONN_CLOSED).
  it("every reply arrives before the server closes, also when the FIN is read in the same turn as the requests", async () => {
    const late: unknown[] = [];
    const h = await startServer({}, (s) => {
      s.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body.subarray(0, 16), msgid));
      // A reply produced later (e.g. after a database call) finds the connection closed.
      s.addMsgRouter(5, (_body, msgid, conn) => {
        conn.sendMessage("now", msgid);
        h.loop.runAfter(30, () => {
          try {
            conn.sendMessage("later", msgid);
          } catch (err) {
            late.push(err);
          }
        });
      });
    });
    // Requests totalling exactly 64 KiB: the server reads them in one full 64 KiB read and
    // the FIN in the very same turn (the case that once lost the replies: EPIPE).
    const shapes: Buffer[][] = [
      [encodeFrame(1, Buffer.alloc(65_520)), encodeFrame(1, Buffer.alloc(0))],
      [encodeFrame(1, patterned(100, 1)), encodeFrame(1, patterned(2000, 2)), encodeFrame(1, patterned(3, 3))],
      [encodeFrame(5, "async")],
    ];
    for (const frames of shapes) {
      const { client, conn } = await h.connectStarted();
      client.socket.cork();
      for (const f of frames) client.socket.write(f);
      client.socket.end();
      client.socket.uncork();
      await client.waitClose();
      // All replies were received before the server's FIN.
      expect(client.framesAtEnd).toBe(frames.length);
      expect(client.error).toBeUndefined();
      const closed = await h.closes.waitFind((e) => e.conn === conn);
      expect(closed.reason).toBe("peer-closed");
      expect(conn.messagesOut).toBe(frames.length);
    }
    await until(() => late.length === 1, "the late reply to be refused");
    expect(late[0]).toMatchObject({ code: "LARS_CONN_CLOSED" });
    expect(h.errors.items).toEqual([]);
  });
});

describe("a peer that connects and sends nothing", () => {
  it("with idleTimeoutMs it is closed ('idle'), while a peer that keeps talking is not", async () => {
    const idleTimeoutMs = 200;
    const h = await startServer({ idleTimeoutMs }, (s) => s.addMsgRouter(1, echo));
    const { client: silent, conn: silentConn } = await h.connectStarted();
    const { client: chatty, conn: chattyConn } = await h.connectStarted();
    const t0 = performance.now();
    // The chatty peer sends a frame every 50 ms, for three idle periods.
    let n = 0;
    while (performance.now() - t0 < idleTimeoutMs * 3) {
      expect((await chatty.roundTrip(1, String(n))).body.toString()).toBe(String(n));
      n++;
      await serverTime(h, 50);
    }
    await silent.waitClose();
    expect(h.closesOf(silentConn)).toMatchObject([{ reason: "idle" }]);
    expect(silent.frames).toEqual([]);
    expect(chattyConn.closed).toBe(false);
    expect(chatty.closed).toBe(false);
    expect(h.server.stats().closes).toEqual({ idle: 1 });
  });

  it("without idleTimeoutMs it stays open (even with the frame timeout on), and is served whenever it speaks", async () => {
    const h = await startServer({ frameTimeoutMs: 50 }, (s) => s.addMsgRouter(1, echo));
    const { client, conn } = await h.connectStarted();
    await serverTime(h, 400); // eight frame-timeout periods: the sweep ran, and left it alone
    expect(conn.closed).toBe(false);
    expect(client.closed).toBe(false);
    expect((await client.roundTrip(1, "finally")).body.toString()).toBe("finally");
    expect(h.closes.length).toBe(0);
  });
});

describe("a peer that sends one byte at a time", () => {
  it("several trickling peers at once, several frames each: every frame delivered in order; the frame timeout is not hit while frames complete in time; a good client is unaffected", async () => {
    const h = await startServer({ frameTimeoutMs: 5000 }, (s) => s.addMsgRouter(1, echo));
    const good = await h.connect();
    const bodies = [Buffer.from("one"), Buffer.alloc(0), patterned(200, 9), Buffer.from("last")];
    const stream = Buffer.concat(bodies.map((b) => encodeFrame(1, b)));
    const peers = await Promise.all(Array.from({ length: 4 }, () => h.connect()));
    let goodN = 0;
    let trickling = true;
    const goodLoop = (async () => {
      while (trickling) {
        expect((await good.roundTrip(1, String(goodN))).body.toString()).toBe(String(goodN));
        goodN++;
      }
    })();
    await Promise.all(peers.map((p) => p.writeByteByByte(stream)));
    trickling = false;
    await goodLoop;
    for (const p of peers) {
      const echoed = await p.waitFrames(bodies.length);
      expect(echoed.map((f) => f.body)).toEqual(bodies);
    }
    expect(goodN).toBeGreaterThan(0);
    expect(h.closes.length).toBe(0);
    expect(h.server.stats().messagesIn).toBe(peers.length * bodies.length + goodN);
    for (const conn of h.server.connections()) expect(conn.partialFrameBytes).toBe(0);
  });
});
