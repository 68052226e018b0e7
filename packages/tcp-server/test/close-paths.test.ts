import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { SendError, encodeFrame } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import type { CloseReason, TcpConn, TcpServerOptions } from "../src/index.js";
import { nextTurn, startServer, teardownAll } from "./helpers/harness.js";
import type { ServerHarness } from "./helpers/harness.js";
import type { RawClient } from "./helpers/raw-client.js";

afterEach(teardownAll);

const WHO = "who";
const SECRET = Symbol("secret");

/**
 * A server whose onConnStart sets attributes, whose route 1 answers with
 * them (proving handlers read them), whose route 2 replies "bye" then closes
 * the connection from inside the handler, and whose onConnClose records what
 * the attributes were at close time.
 */
async function attrServer(options: TcpServerOptions = {}): Promise<{ h: ServerHarness; attrsAtClose: Map<number, unknown[]> }> {
  const attrsAtClose = new Map<number, unknown[]>();
  const h = await startServer(
    {
      ...options,
      onConnStart: (conn) => {
        conn.setAttr(WHO, `conn-${conn.id}`);
        conn.setAttr(SECRET, { n: conn.id * 10 });
      },
      onConnClose: (conn) => {
        attrsAtClose.set(conn.id, [conn.getAttr(WHO), conn.getAttr<{ n: number }>(SECRET)?.n]);
      },
    },
    (s) => {
      s.addMsgRouter(1, (_body, msgid, conn: NetConnection) => {
        conn.sendMessage(`${conn.getAttr<string>(WHO)}/${conn.getAttr<{ n: number }>(SECRET)?.n}`, msgid);
      });
      s.addMsgRouter(2, (_body, _msgid, conn) => {
        conn.sendMessage("bye", 2);
        conn.close();
        conn.close(); // idempotent
        let refused: unknown;
        try {
          conn.sendMessage("too late", 2);
        } catch (err) {
          refused = err;
        }
        expect(refused).toBeInstanceOf(SendError);
        expect((refused as SendError).code).toBe("LARS_CONN_CLOSED");
        expect(conn.closed).toBe(true);
      });
    },
  );
  return { h, attrsAtClose };
}

/** Connect, prove the handler reads the start-hook attributes, and return both ends. */
async function connected(h: ServerHarness): Promise<{ client: RawClient; conn: TcpConn }> {
  const { client, conn } = await h.connectStarted();
  const reply = await client.roundTrip(1, "who am i");
  expect(reply.body.toString()).toBe(`conn-${conn.id}/${conn.id * 10}`);
  return { client, conn };
}

/** Wait for the close hook of `conn` and check it ran once, with `reason`, with the attributes still readable. */
async function expectClosedOnce(
  h: ServerHarness,
  attrsAtClose: Map<number, unknown[]>,
  conn: TcpConn,
  reason: CloseReason,
  sameReasonCloses = 1,
): Promise<{ error: unknown }> {
  const event = await h.closes.waitFind((e) => e.conn === conn, `close of conn ${conn.id}`);
  expect(event.reason).toBe(reason);
  expect(h.closesOf(conn)).toHaveLength(1);
  expect(attrsAtClose.get(conn.id)).toEqual([`conn-${conn.id}`, conn.id * 10]);
  // Gone afterwards: attributes are dropped once the hook has run.
  expect(conn.getAttr(WHO)).toBeUndefined();
  expect(conn.closed).toBe(true);
  expect(h.server.connections()).not.toContain(conn);
  expect(h.server.stats().closes[reason]).toBe(sameReasonCloses);
  return { error: event.error };
}

describe("the close hook runs exactly once per connection, with the reason, on every close path", () => {
  it("peer end (FIN)", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    await client.end();
    await expectClosedOnce(h, attrsAtClose, conn, "peer-closed");
  });

  it("peer reset (RST): closed once, the reset given as the error", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    await client.reset();
    const event = await h.closes.waitFind((e) => e.conn === conn);
    const { error } = await expectClosedOnce(h, attrsAtClose, conn, event.reason);
    expect((error as NodeJS.ErrnoException).code).toBe("ECONNRESET");
  });

  // CloseReason: "peer-closed" covers a peer that ended OR reset the connection.
  it("peer reset (RST) is reported as 'peer-closed', as CloseReason documents", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    await client.reset();
    await expectClosedOnce(h, attrsAtClose, conn, "peer-closed");
  });

  it("conn.close() from a handler: what was sent before it still arrives, then the peer sees the close", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    client.send(2, "please close");
    await client.waitClose();
    expect(client.framesAtEnd).toBe(2);
    expect(client.frames[1]).toEqual({ msgid: 2, body: Buffer.from("bye") });
    await expectClosedOnce(h, attrsAtClose, conn, "local");
  });

  it("bad frame", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    await client.write(Buffer.from("01000000ffffffff", "hex"));
    await client.waitClose();
    const { error } = await expectClosedOnce(h, attrsAtClose, conn, "bad-frame");
    expect(error).toMatchObject({ code: "LARS_FRAME_NEGATIVE_LENGTH" });
  });

  it("server.close() (shutdown)", async () => {
    const { h, attrsAtClose } = await attrServer();
    const a = await connected(h);
    const b = await connected(h);
    await h.server.close();
    // Resolved only once every close hook ran.
    expect(h.closes.length).toBe(2);
    await expectClosedOnce(h, attrsAtClose, a.conn, "shutdown", 2);
    expect(h.closesOf(b.conn)).toEqual([{ conn: b.conn, reason: "shutdown", error: undefined }]);
    await Promise.all([a.client.waitClose(), b.client.waitClose()]);
    h.pool.assertNoLeaks();
  });

  it("loop.stop() (shutdown, server owned by the loop)", async () => {
    const { h, attrsAtClose } = await attrServer();
    const { client, conn } = await connected(h);
    await h.loop.stop();
    expect(h.loop.stopped).toBe(true);
    await expectClosedOnce(h, attrsAtClose, conn, "shutdown");
    await client.waitClose();
    expect(h.loop.stats().ownedResources).toBe(0);
    h.pool.assertNoLeaks();
  });

  it("idle timeout: a connection that sends nothing for idleTimeoutMs is closed ('idle')", async () => {
    const idleTimeoutMs = 150;
    const { h, attrsAtClose } = await attrServer({ idleTimeoutMs });
    const t0 = performance.now();
    const { client, conn } = await connected(h);
    await client.waitClose();
    const elapsed = performance.now() - t0;
    await expectClosedOnce(h, attrsAtClose, conn, "idle");
    expect(elapsed).toBeGreaterThanOrEqual(idleTimeoutMs * 0.9);
    expect(elapsed).toBeLessThan(idleTimeoutMs + 3000);
  });

  it("frame timeout: a header then a trickle of body bytes is closed ('frame-timeout') though never idle", async () => {
    const frameTimeoutMs = 200;
    const { h, attrsAtClose } = await attrServer({ frameTimeoutMs, idleTimeoutMs: 5000 });
    const { client, conn } = await connected(h);
    const frame = encodeFrame(1, Buffer.alloc(100, 7));
    const t0 = performance.now();
    await client.write(frame.subarray(0, 9)); // the header and one body byte
    let sent = 9;
    // The slowloris: one more byte every 20 ms; the frame would need 2 s to complete.
    const trickle = setInterval(() => {
      if (!client.socket.destroyed && sent < frame.length) client.socket.write(frame.subarray(sent, ++sent));
    }, 20);
    try {
      await client.waitClose();
    } finally {
      clearInterval(trickle);
    }
    const elapsed = performance.now() - t0;
    expect(sent).toBeLessThan(frame.length);
    expect(sent).toBeGreaterThan(10); // it kept sending, so it was never idle
    await expectClosedOnce(h, attrsAtClose, conn, "frame-timeout");
    expect(elapsed).toBeGreaterThanOrEqual(frameTimeoutMs * 0.9);
    expect(elapsed).toBeLessThan(frameTimeoutMs + 3000);
  });

  it("output full with closeOnOutputFull: the refused send closes the connection ('output-full')", async () => {
    const { h, attrsAtClose } = await attrServer({
      closeOnOutputFull: true,
      outputCap: 128 * 1024,
      highWaterMark: 64 * 1024,
      closeTimeoutMs: 200,
    });
    const { client, conn } = await connected(h);
    client.pause(); // never reads again
    const body = Buffer.alloc(60_000, 1);
    let refusal: unknown;
    for (let i = 0; i < 10_000 && refusal === undefined; i++) {
      try {
        if (!conn.sendMessage(body, 3)) await nextTurn();
      } catch (err) {
        refusal = err;
      }
    }
    expect(refusal).toBeInstanceOf(SendError);
    expect((refusal as SendError).code).toBe("LARS_OUTPUT_FULL");
    expect(conn.closed).toBe(true);
    const { error } = await expectClosedOnce(h, attrsAtClose, conn, "output-full");
    expect(error).toBe(refusal);
    await client.destroy();
  });

  it("a close hook that throws is reported, and the connection is still gone", async () => {
    const h = await startServer({
      onConnClose: () => {
        throw new Error("close hook boom");
      },
    });
    const { client, conn } = await h.connectStarted();
    await client.end();
    const reported = await h.errors.waitFind((e) => e.err.code === "LARS_HOOK_ERROR");
    expect(reported.conn).toBe(conn);
    expect(reported.err.message).toContain("close hook boom");
    expect(h.closesOf(conn)).toHaveLength(1);
    expect(h.server.connectionCount).toBe(0);
  });
});
