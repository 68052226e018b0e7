import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FrameTooLongError, SendError, encodeFrame } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { BufPool } from "@lars/iobuf";
import { TcpConn, closeConnection, resolveTcpConnOptions } from "../src/index.js";
import type { TcpConnOptions } from "../src/index.js";
import { FakeOwner, Peer, nextData, socketPair } from "./helpers/socket-pair.js";

interface Setup {
  conn: TcpConn;
  owner: FakeOwner;
  peer: Peer;
  socket: Socket;
  pool: BufPool;
}

const opened: Setup[] = [];

/** A TcpConn over the server end of a real loopback pair, owned by a fake owner, with a tracking pool. */
async function setup(options: TcpConnOptions = {}): Promise<Setup> {
  const pool = new BufPool({ track: true });
  const { server, client } = await socketPair();
  const owner = new FakeOwner();
  const conn = new TcpConn(server, owner, resolveTcpConnOptions({ ...options, pool }));
  const s = { conn, owner, peer: new Peer(client), socket: server, pool };
  opened.push(s);
  return s;
}

afterEach(async () => {
  for (const s of opened.splice(0)) {
    closeConnection(s.conn, "local", undefined, true);
    s.peer.socket.destroy();
    await s.owner.waitClosed();
    await s.peer.waitClose();
    await s.owner.loop.stop();
    expect(s.owner.closed, "onClosed exactly once").toHaveLength(1);
    s.pool.assertNoLeaks();
  }
});

/** Resolves once `check()` is true, looking again on each macrotask turn (bounded). */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Replace `socket.write` with a recording wrapper: each call is recorded with
 * its byte count, and `written` resolves after the n-th write's callback ran.
 */
function spyWrites(socket: Socket): { sizes: number[]; written: (n: number) => Promise<void> } {
  const sizes: number[] = [];
  let done = 0;
  const waiters: { n: number; resolve: () => void }[] = [];
  const original = socket.write.bind(socket) as (chunk: Uint8Array, cb?: (err?: Error | null) => void) => boolean;
  const wrapper = (chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean => {
    sizes.push(chunk.length);
    return original(chunk, (err) => {
      cb?.(err);
      done++;
      for (const w of waiters.filter((x) => x.n <= done)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    });
  };
  (socket as unknown as { write: typeof wrapper }).write = wrapper;
  return {
    sizes,
    written: (n) => (done >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

describe("TcpConn write coalescing", () => {
  it("many sendMessage calls in one turn make ONE socket write; the buffer goes back to the pool after it", async () => {
    const { conn, peer, socket, pool } = await setup();
    const writes = spyWrites(socket);
    const n = 300;
    let expectedBytes = 0;
    for (let i = 0; i < n; i++) {
      const body = `message ${i}`;
      expect(conn.sendMessage(body, i)).toBe(true);
      expectedBytes += 8 + body.length;
    }
    // Nothing written yet: everything sits in one pooled output buffer until the loop's task runs.
    expect(writes.sizes).toEqual([]);
    expect(pool.inUse).toBe(1);
    expect(conn.pendingBytes).toBe(expectedBytes);

    await writes.written(1);
    expect(writes.sizes).toEqual([expectedBytes]);
    // The write callback returned the detached buffer.
    expect(pool.inUse).toBe(0);

    await peer.waitFrames(n);
    expect(peer.frames.map((f) => f.msgid)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(peer.frames.every((f, i) => f.body.toString() === `message ${i}`)).toBe(true);
    expect([conn.messagesOut, conn.bytesOut]).toEqual([n, expectedBytes]);

    // The next turn's messages are the next single write.
    conn.sendMessage("a", 1);
    conn.sendMessage("b", 2);
    await writes.written(2);
    expect(writes.sizes).toEqual([expectedBytes, 18]);
    expect(pool.inUse).toBe(0);
    await peer.waitFrames(n + 2);
    expect(conn.pendingBytes).toBe(0);
  });

  it("a write the socket cannot finish at once keeps its pooled buffer leased until it is written: later sends corrupt nothing", async () => {
    const { conn, peer, pool } = await setup({ outputCap: 8 * 1024 * 1024, highWaterMark: 8 * 1024 * 1024 });
    peer.socket.pause();
    const body = (i: number): Buffer => Buffer.alloc(60_000, i % 251);
    let sent = 0;
    // One frame per turn (a write each, with no callback) until the kernel's buffers are full
    // and the socket has to keep one.
    while (conn.pendingBytes === 0 && sent < 500) {
      conn.sendMessage(body(sent++), 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(conn.pendingBytes).toBeGreaterThan(0);
    expect(pool.inUse).toBe(1); // still leased: libuv reads it later
    // Sends now lease buffers from the same pool: none may be the one the socket still reads.
    for (let k = 0; k < 5; k++) {
      conn.sendMessage(body(sent++), 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    peer.socket.resume();
    await peer.waitFrames(sent);
    const intact = peer.frames.every((f, k) => f.body.length === 60_000 && f.body[0] === k % 251 && f.body[59_999] === k % 251);
    expect(intact).toBe(true);
    await until(() => pool.inUse === 0, "every write's buffer back in the pool");
    expect(conn.pendingBytes).toBe(0);
  });

  it("tells the owner once per crossing of the high-water mark, and drains at the low-water mark", async () => {
    const { conn, owner, peer } = await setup({ outputCap: 70_000, highWaterMark: 1000, lowWaterMark: 100 });
    expect(conn.sendMessage(Buffer.alloc(592), 1)).toBe(true); // 600 bytes pending
    expect(conn.sendMessage(Buffer.alloc(592), 1)).toBe(false); // 1200: past the mark
    expect(conn.sendMessage(Buffer.alloc(592), 1)).toBe(false);
    expect(owner.signals).toEqual([`high:${conn.id}`]);
    // Drain fires from the write callback, once pending fell to the low-water mark.
    await owner.waitSignals(2);
    expect(owner.signals).toEqual([`high:${conn.id}`, `low:${conn.id}`]);
    expect(conn.pendingBytes).toBeLessThanOrEqual(100);
    await peer.waitFrames(3);
    // Under the mark again: true, and no new signal.
    expect(conn.sendMessage("again", 1)).toBe(true);
    await peer.waitFrames(4);
    expect(owner.signals).toHaveLength(2);
  });
});

describe("TcpConn awaitables", () => {
  it("drained() resolves at once under the high-water mark, else when the output drains to the low-water mark", async () => {
    const { conn, owner, peer } = await setup({ outputCap: 70_000, highWaterMark: 1000, lowWaterMark: 100 });
    await conn.drained(); // nothing queued
    conn.sendMessage(Buffer.alloc(592), 1);
    expect(conn.sendMessage(Buffer.alloc(592), 1)).toBe(false); // past the mark
    let done = false;
    const drained = conn.drained().then(() => (done = true));
    expect(done).toBe(false);
    await drained;
    expect(conn.pendingBytes).toBeLessThanOrEqual(100);
    expect(owner.signals).toEqual([`high:${conn.id}`, `low:${conn.id}`]);
    await peer.waitFrames(2);
  });

  it("drained() rejects with LARS_CONN_CLOSED when the connection closes first; whenClosed() resolves after onClosed", async () => {
    const { conn, owner, peer } = await setup({ outputCap: 4 * 1024 * 1024, highWaterMark: 100_000, lowWaterMark: 1000 });
    peer.socket.pause();
    for (let i = 0; i < 2000 && conn.pendingBytes < 1024 * 1024; i++) {
      conn.sendMessage(Buffer.alloc(60_000), 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const drained = conn.drained();
    const closed = conn.whenClosed().then(() => owner.closed.length);
    closeConnection(conn, "shutdown", undefined, true);
    await expect(drained).rejects.toMatchObject({ code: "LARS_CONN_CLOSED" });
    expect(await closed).toBe(1); // the owner heard first
    await conn.whenClosed(); // already closed: at once
    await expect(conn.drained()).rejects.toMatchObject({ code: "LARS_CONN_CLOSED" });
  });
});

describe("TcpConn reading", () => {
  it("hands every frame of a chunk to the owner's onFrame, in order, with the connection", async () => {
    const { conn, owner, peer, socket } = await setup();
    const seen: [number, string, NetConnection][] = [];
    owner.router.register(1, (body, msgid, c) => seen.push([msgid, body.toString(), c]));
    owner.router.register(2, (body, msgid, c) => seen.push([msgid, body.toString(), c]));

    const data = nextData(socket);
    peer.socket.write(Buffer.concat([encodeFrame(1, "one"), encodeFrame(2, "two"), encodeFrame(3, "nobody"), encodeFrame(1, "")]));
    await data;
    expect(seen).toEqual([
      [1, "one", conn],
      [2, "two", conn],
      [1, "", conn],
    ]);
    expect(owner.routeErrors.map((e) => e.code)).toEqual(["LARS_ROUTE_UNKNOWN"]);
    expect([conn.messagesIn, conn.bytesIn]).toEqual([4, 11 + 11 + 14 + 8]);

    // The owner decides what handlers get as `conn` (a client hands them itself).
    const facade = { id: -1 } as unknown as NetConnection;
    owner.facade = facade;
    const more = nextData(socket);
    peer.socket.write(encodeFrame(2, "via facade"));
    await more;
    expect(seen[3]).toEqual([2, "via facade", facade]);
  });

  it("holds a partial frame in one pooled buffer, tracks when it began, and frees it when complete", async () => {
    const { conn, owner, peer, socket, pool } = await setup();
    const got: string[] = [];
    owner.router.register(5, (body) => got.push(body.toString()));
    const frame = encodeFrame(5, "0123456789");

    expect(conn.partialSince).toBe(0);
    let data = nextData(socket);
    peer.socket.write(frame.subarray(0, 13));
    await data;
    expect(conn.partialFrameBytes).toBe(13);
    expect(conn.partialSince).toBeGreaterThan(0);
    expect(pool.inUse).toBe(1);
    const since = conn.partialSince;

    data = nextData(socket);
    peer.socket.write(frame.subarray(13));
    await data;
    expect(got).toEqual(["0123456789"]);
    expect(conn.partialFrameBytes).toBe(0);
    expect(conn.partialSince).toBe(0);
    expect(pool.inUse).toBe(0);

    // A chunk that completes one frame and starts another: the new partial frame begins now.
    data = nextData(socket);
    peer.socket.write(Buffer.concat([frame, frame.subarray(0, 4)]));
    await data;
    expect(got).toHaveLength(2);
    expect(conn.partialFrameBytes).toBe(4);
    expect(conn.partialSince).toBeGreaterThan(since);
  });

  it("closes on a bad header ('bad-frame', with the error) and ignores what follows", async () => {
    const { conn, owner, peer } = await setup();
    const got: string[] = [];
    owner.router.register(1, (body) => got.push(body.toString()));
    peer.socket.write(Buffer.concat([encodeFrame(1, "ok"), Buffer.from("01000000f8ff0000", "hex"), encodeFrame(1, "ignored")]));
    await owner.waitClosed();
    expect(got).toEqual(["ok"]);
    expect(owner.closed).toHaveLength(1);
    expect(owner.closed[0]!.conn).toBe(conn);
    expect(owner.closed[0]!.reason).toBe("bad-frame");
    expect(owner.closed[0]!.error).toBeInstanceOf(FrameTooLongError);
    await peer.waitClose();
  });
});

describe("TcpConn closing", () => {
  it("close() is graceful and idempotent: queued output goes out before the FIN; onClosed('local') once", async () => {
    const { conn, owner, peer } = await setup();
    conn.setAttr("k", 42);
    conn.sendMessage("first", 1);
    conn.sendMessage("second", 2);
    conn.close();
    conn.close();
    expect(conn.closed).toBe(true);
    expect(() => conn.sendMessage("late", 3)).toThrow(SendError);
    expect(() => conn.sendMessage("late", 3)).toThrow(expect.objectContaining({ code: "LARS_CONN_CLOSED" }));
    await peer.waitClose();
    expect(peer.ended).toBe(true);
    expect(peer.frames.map((f) => f.body.toString())).toEqual(["first", "second"]);
    await owner.waitClosed();
    expect(owner.closed.map((c) => c.reason)).toEqual(["local"]);
    expect(conn.getAttr("k")).toBeUndefined(); // attributes go with the connection
  });

  it("the first close reason wins; an immediate close destroys the socket and reports once", async () => {
    const { conn, owner, peer } = await setup();
    const cause = new Error("why");
    closeConnection(conn, "idle", cause, true);
    closeConnection(conn, "error", new Error("later"), true);
    conn.close();
    await owner.waitClosed();
    expect(owner.closed.map((c) => [c.reason, c.error])).toEqual([["idle", cause]]);
    await peer.waitClose();
  });

  // An immediate close must mark the connection closed at once, so no later send is silently dropped.
  it("an immediate close marks the connection closed at once and refuses further sends", async () => {
    const { conn, owner } = await setup();
    closeConnection(conn, "frame-timeout", undefined, true);
    try {
      expect(conn.closed).toBe(true);
      expect(() => conn.sendMessage("after destroy", 1)).toThrow(expect.objectContaining({ code: "LARS_CONN_CLOSED" }));
    } finally {
      await owner.waitClosed();
    }
  });

  it("the peer closing is reported once as 'peer-closed'", async () => {
    const { owner, peer } = await setup();
    peer.socket.end();
    await owner.waitClosed();
    expect(owner.closed.map((c) => c.reason)).toEqual(["peer-closed"]);
  });

  it("returns in-flight output buffers when the socket closes under them", async () => {
    const { conn, owner, peer, pool } = await setup();
    peer.socket.pause();
    // Send turn by turn until the kernel buffers are full and writes stay in flight.
    for (let i = 0; i < 2000 && conn.pendingBytes < 1024 * 1024; i++) {
      conn.sendMessage(Buffer.alloc(60_000), 1);
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    expect(conn.pendingBytes).toBeGreaterThanOrEqual(1024 * 1024);
    expect(pool.inUse).toBeGreaterThan(0);
    closeConnection(conn, "shutdown", undefined, true);
    await owner.waitClosed();
    expect(pool.inUse).toBe(0);
  });
});

describe("TcpConn output cap", () => {
  it("refuses past the cap with LARS_OUTPUT_FULL and queues nothing of the refused frame", async () => {
    const { conn, peer } = await setup({ outputCap: 100_000, highWaterMark: 50_000 });
    expect(conn.sendMessage(Buffer.alloc(60_000, 1), 1)).toBe(false);
    const pending = conn.pendingBytes;
    expect(() => conn.sendMessage(Buffer.alloc(60_000, 2), 2)).toThrow(expect.objectContaining({ code: "LARS_OUTPUT_FULL" }));
    expect(conn.pendingBytes).toBe(pending);
    expect(conn.closed).toBe(false);
    await peer.waitFrames(1);
    expect(peer.frames.map((f) => f.msgid)).toEqual([1]);
  });

  // One pooled OutputBuf holds at most 8 MiB; a larger outputCap must still accept
  // more than that in one turn (TcpConn flushes early instead of refusing).
  it("accepts more than 8 MiB in one turn when outputCap allows it", async () => {
    const { conn, peer, socket, pool } = await setup({ outputCap: 16 * 1024 * 1024 });
    const writes = spyWrites(socket);
    const n = 150; // 150 x 60008 bytes = 9 MB
    for (let i = 0; i < n; i++) conn.sendMessage(Buffer.alloc(60_000, i), i);
    // The first ~8 MiB went to the socket as soon as the next frame would not fit.
    expect(writes.sizes).toHaveLength(1);
    expect(writes.sizes[0]).toBeLessThanOrEqual(8 * 1024 * 1024);
    await peer.waitFrames(n);
    expect(peer.frames.map((f) => f.msgid)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(peer.frames.every((f, i) => f.body.length === 60_000 && f.body[0] === i % 256)).toBe(true);
    await writes.written(2);
    expect(writes.sizes).toHaveLength(2);
    expect(writes.sizes[0]! + writes.sizes[1]!).toBe(n * 60_008);
    expect(pool.inUse).toBe(0);
  });
});
