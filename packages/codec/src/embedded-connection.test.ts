import { BufferFullError } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { patterned, trackingPool } from "../test/support.js";
import { createConnectionPair, EmbeddedConnection } from "./embedded-connection.js";
import { FrameNegativeLengthError, FrameTooLongError, HandlerError, InvalidMsgidError, SendError, UnknownMsgidError } from "./errors.js";
import { encodeFrame } from "./frame.js";
import { MessageRouter } from "./message-router.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

/** A server router that echoes every frame back with the same msgid. */
function echoRouter(): MessageRouter {
  const router = new MessageRouter();
  router.onUnknown = (body, msgid, conn) => conn.sendMessage(body, msgid);
  return router;
}

describe("createConnectionPair", () => {
  it("a client on a, an echo server on b: send, flush, replies arrive in order", () => {
    const pool = trackingPool();
    const client = new MessageRouter();
    const replies: [number, string][] = [];
    client.register(1, (body, msgid) => replies.push([msgid, body.toString()]));
    client.register(2, (body, msgid) => replies.push([msgid, body.toString()]));
    const { a, b, flush, destroy } = createConnectionPair({ router: client, pool }, { router: echoRouter(), pool });

    expect(a.sendMessage("one", 1)).toBe(true);
    expect(a.sendMessage(Buffer.from("two"), 2)).toBe(true);
    expect(a.pendingOutput).toBe(2 * 8 + 6);
    expect(replies).toEqual([]); // nothing moves before flush

    expect(flush()).toBe(1); // one round: a → b, then b's echoes → a
    expect(replies).toEqual([
      [1, "one"],
      [2, "two"],
    ]);
    expect(a.pendingOutput + b.pendingOutput).toBe(0);
    expect(a.errors).toEqual([]);
    expect(b.errors).toEqual([]);
    expect(flush()).toBe(0);
    destroy();
    pool.assertNoLeaks();
  });

  it("a request/response chain runs until quiet; endless ping-pong stops at maxRounds", () => {
    const client = new MessageRouter();
    let last = 0;
    client.register(1, (body, msgid, conn) => {
      last = body.readInt32LE(0);
      if (last < 5) conn.sendMessage(int(last + 1), msgid);
    });
    const pair = createConnectionPair({ router: client }, { router: echoRouter() });
    pair.a.sendMessage(int(1), 1);
    // Each round delivers a → b, then b → a: request n and its reply; the reply to 5 sends nothing.
    expect(pair.flush()).toBe(5);
    expect(last).toBe(5);

    const ping = new MessageRouter();
    ping.register(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
    const endless = createConnectionPair({ router: ping }, { router: echoRouter() });
    endless.a.sendMessage("ball", 1);
    expect(endless.flush(7)).toBe(7);
    expect(endless.a.pendingOutput + endless.b.pendingOutput).toBeGreaterThan(0);
    pair.destroy();
    endless.destroy();
  });

  it("delivers what a side sent before closing; bytes to a closed side are dropped", () => {
    const got: string[] = [];
    const server = new MessageRouter();
    server.register(1, (body) => got.push(body.toString()));
    const pair = createConnectionPair({}, { router: server });
    pair.a.sendMessage("last words", 1);
    pair.a.close();
    expect(pair.flush()).toBe(1);
    expect(got).toEqual(["last words"]);

    const other = createConnectionPair({}, { router: server });
    other.b.close();
    other.a.sendMessage("lost", 1);
    expect(other.flush()).toBe(1);
    expect(other.a.pendingOutput).toBe(0);
    expect(got).toEqual(["last words"]);
    pair.destroy();
    other.destroy();
  });
});

function int(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

describe("EmbeddedConnection", () => {
  it("is a NetConnection over memory with unique ids", () => {
    const c1 = new EmbeddedConnection();
    const c2 = new EmbeddedConnection();
    expect(c1.transport).toBe("memory");
    expect(c1.remoteAddress).toBe("memory");
    expect(c1.remotePort).toBeUndefined();
    expect(c1.id).not.toBe(c2.id);
    expect(c1.closed).toBe(false);
  });

  it("attributes: get, set (string and symbol keys), delete; cleared on close", () => {
    const conn = new EmbeddedConnection();
    const key = Symbol("session");
    expect(conn.getAttr("user")).toBeUndefined();
    expect(conn.deleteAttr("user")).toBe(false);
    conn.setAttr("user", "ada");
    conn.setAttr(key, { n: 1 });
    expect(conn.getAttr<string>("user")).toBe("ada");
    expect(conn.getAttr<{ n: number }>(key)).toEqual({ n: 1 });
    conn.setAttr("user", "bob");
    expect(conn.getAttr("user")).toBe("bob");
    expect(conn.deleteAttr("user")).toBe(true);
    expect(conn.getAttr("user")).toBeUndefined();
    expect(conn.getAttr(key)).toEqual({ n: 1 });
    conn.close();
    expect(conn.getAttr(key)).toBeUndefined();
  });

  it("readOutbound returns the frames sent, as copies, oldest first, and empties the output", () => {
    const pool = trackingPool();
    const conn = new EmbeddedConnection({ pool });
    conn.sendMessage("a", 1);
    conn.sendMessage(patterned(70), -2);
    conn.sendMessage("", 3);
    const frames = conn.readOutbound();
    expect(frames.map((f) => f.msgid)).toEqual([1, -2, 3]);
    expect(frames[0]!.body.toString()).toBe("a");
    expect(frames[1]!.body.equals(patterned(70))).toBe(true);
    expect(frames[2]!.body.length).toBe(0);
    expect(conn.pendingOutput).toBe(0);
    expect(conn.readOutbound()).toEqual([]);
    expect(pool.inUse).toBe(0); // an empty output holds no buffer

    conn.sendMessage("x", 9);
    expect(conn.takeOutboundBytes().equals(encodeFrame(9, "x"))).toBe(true);
    conn.destroy();
    pool.assertNoLeaks();
  });

  it("receive and receiveBytes go through the real decoder and router, cut anywhere", () => {
    const router = new MessageRouter();
    const seen: [number, string][] = [];
    router.register(1, (body, msgid) => seen.push([msgid, body.toString()]));
    const conn = new EmbeddedConnection({ router });
    conn.receive(1, "whole");
    const bytes = Buffer.concat([encodeFrame(1, "split"), encodeFrame(1, "again")]);
    for (let i = 0; i < bytes.length; i += 3) conn.receiveBytes(bytes.subarray(i, i + 3));
    expect(seen).toEqual([
      [1, "whole"],
      [1, "split"],
      [1, "again"],
    ]);
    conn.destroy();
  });

  it("a bad header is recorded in errors and closes the connection", () => {
    const pool = trackingPool();
    const conn = new EmbeddedConnection({ pool, maxMessageLength: 100 });
    conn.receiveBytes(encodeFrame(1, patterned(101), 1000).subarray(0, 20));
    expect(conn.errors).toHaveLength(1);
    expect(conn.errors[0]).toBeInstanceOf(FrameTooLongError);
    expect(conn.errors[0]).toMatchObject({ code: "LARS_FRAME_TOO_LONG", length: 101, max: 100 });
    expect(conn.closed).toBe(true);
    expect(thrown(() => conn.receiveBytes(Buffer.alloc(8)))).toMatchObject({ code: "LARS_CONN_CLOSED" });
    expect(thrown(() => conn.sendMessage("x", 1))).toBeInstanceOf(SendError);
    pool.assertNoLeaks();

    const neg = new EmbeddedConnection();
    neg.receiveBytes(Buffer.from("01000000", "hex"));
    neg.receiveBytes(Buffer.from("feffffff", "hex"));
    expect(neg.errors[0]).toBeInstanceOf(FrameNegativeLengthError);
    expect(neg.closed).toBe(true);
  });

  it("unknown msgids and handler errors are recorded, the connection stays open", () => {
    const router = new MessageRouter();
    router.register(1, () => {
      throw new Error("bug");
    });
    const conn = new EmbeddedConnection({ router });
    conn.receive(1, "x");
    conn.receive(2, "y");
    expect(conn.errors[0]).toBeInstanceOf(HandlerError);
    expect(conn.errors[1]).toBeInstanceOf(UnknownMsgidError);
    expect(conn.closed).toBe(false);
  });

  it("a handler closing the connection stops the rest of the chunk", () => {
    const router = new MessageRouter();
    const seen: number[] = [];
    router.onUnknown = (_b, msgid, conn) => {
      seen.push(msgid);
      if (msgid === 2) conn.close();
    };
    const conn = new EmbeddedConnection({ router });
    conn.receiveBytes(Buffer.concat([1, 2, 3].map((id) => encodeFrame(id, ""))));
    expect(seen).toEqual([1, 2]);
    expect(conn.closed).toBe(true);
    conn.close(); // idempotent
  });

  it("sendMessage refusals follow the NetConnection contract and leave the output unchanged", () => {
    const conn = new EmbeddedConnection({ maxMessageLength: 10, outputCap: 40 });
    conn.sendMessage(patterned(10), 1); // 18 bytes
    expect(thrown(() => conn.sendMessage(patterned(11), 1))).toMatchObject({ code: "LARS_FRAME_TOO_LONG" });
    expect(thrown(() => conn.sendMessage("x", 2 ** 31))).toBeInstanceOf(InvalidMsgidError);
    conn.sendMessage(patterned(10), 2); // 36 bytes
    const full = thrown(() => conn.sendMessage("12345", 3)); // 13 more: past the 40-byte cap
    expect(full).toBeInstanceOf(SendError);
    expect(full).toMatchObject({ code: "LARS_OUTPUT_FULL" });
    expect((full as Error).cause).toBeInstanceOf(BufferFullError);
    expect(conn.pendingOutput).toBe(36);
    expect(conn.readOutbound().map((f) => f.msgid)).toEqual([1, 2]);
    conn.close();
    expect(thrown(() => conn.sendMessage("x", 1))).toMatchObject({ code: "LARS_CONN_CLOSED" });
  });

  it("destroy releases pooled memory, pending output included", () => {
    const pool = trackingPool();
    const conn = new EmbeddedConnection({ pool });
    conn.sendMessage("unread", 1);
    conn.receiveBytes(encodeFrame(1, "partial").subarray(0, 5));
    expect(pool.inUse).toBe(2);
    conn.destroy();
    expect(pool.inUse).toBe(0);
    pool.assertNoLeaks();
  });
});
