import type { Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { FrameTooLongError, HandlerError, encodeFrame } from "@lars/codec";
import { BufPool } from "@lars/iobuf";
import { TcpConn, closeConnection, resolveTcpConnOptions } from "../src/index.js";
import type { TcpConnOptions } from "../src/index.js";
import { FakeOwner, Peer, nextData, socketPair } from "./helpers/socket-pair.js";

// Regression tests for issue 10 (defects 1 and 5), TcpConn side.

interface Setup {
  conn: TcpConn;
  owner: FakeOwner;
  peer: Peer;
  socket: Socket;
  pool: BufPool;
}

const opened: Setup[] = [];

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

/** Resolves once `check()` is true, polling on each macrotask turn (bounded). */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const until = Date.now() + 5000;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe("issue 10 defect 5: an oversize body is LARS_FRAME_TOO_LONG, not LARS_OUTPUT_FULL", () => {
  it("refuses a body over maxMessageLength with FrameTooLongError and keeps the connection open, even with closeOnOutputFull", async () => {
    // The oversize frame (2508 bytes) would also pass the output cap (2000): the old code called it output full and closed.
    const { conn, owner, peer } = await setup({ maxMessageLength: 1000, outputCap: 2000, highWaterMark: 1500, closeOnOutputFull: true });
    let thrown: unknown;
    try {
      conn.sendMessage(Buffer.alloc(2500, 7), 9);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FrameTooLongError);
    expect(thrown).toMatchObject({ code: "LARS_FRAME_TOO_LONG", msgid: 9, length: 2500, max: 1000 });
    expect(conn.closed).toBe(false);
    expect(conn.pendingBytes).toBe(0);
    expect(owner.closed).toEqual([]);
    // The connection still works.
    expect(conn.sendMessage("after", 1)).toBe(true);
    await peer.waitFrames(1);
    expect(peer.frames.map((f) => [f.msgid, f.body.toString()])).toEqual([[1, "after"]]);
  });

  it("a body just at maxMessageLength is accepted", async () => {
    const { conn, peer } = await setup({ maxMessageLength: 1000, outputCap: 2000, highWaterMark: 1500, closeOnOutputFull: true });
    expect(conn.sendMessage(Buffer.alloc(1000, 1), 2)).toBe(true);
    await peer.waitFrames(1);
    expect(peer.frames[0]!.body.length).toBe(1000);
  });
});

describe("issue 10 defect 1: an async route handler that rejects is reported to the owner like a throw", () => {
  it("the rejection reaches onRouteError as LARS_HANDLER_ERROR; the connection stays open and no unhandled rejection happens", async () => {
    const { conn, owner, peer, socket } = await setup();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on("unhandledRejection", onUnhandled);
    try {
      owner.router.register(5, async () => {
        await Promise.resolve();
        throw new Error("async boom");
      });
      owner.router.register(6, (body, msgid, c) => void c.sendMessage(body, msgid));
      const data = nextData(socket);
      peer.socket.write(Buffer.concat([encodeFrame(5, "x"), encodeFrame(6, "still here")]));
      await data;
      await waitFor(() => owner.routeErrors.length >= 1, "the async handler's error");
      expect(owner.routeErrors).toHaveLength(1);
      expect(owner.routeErrors[0]).toBeInstanceOf(HandlerError);
      expect(owner.routeErrors[0]!.code).toBe("LARS_HANDLER_ERROR");
      expect((owner.routeErrors[0]!.cause as Error).message).toBe("async boom");
      expect(conn.closed).toBe(false);
      await peer.waitFrames(1);
      expect(peer.frames[0]!.body.toString()).toBe("still here");
      // Give a would-be unhandled rejection its turn to surface.
      await new Promise((resolve) => setImmediate(resolve));
      expect(unhandled).toEqual([]);
    } finally {
      process.off("unhandledRejection", onUnhandled);
    }
  });
});
