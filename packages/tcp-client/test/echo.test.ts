import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { encodeFrame } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { TcpClient } from "../src/index.js";
import type { TcpClientOptions } from "../src/index.js";
import { FrameServer, HookLog, Inbox, poll } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** A loop, a tracking pool, a server and a client wired to it; all closed (and leaks checked) after the test. */
async function setup(serverOpts: Parameters<typeof FrameServer.start>[0] = {}, clientOpts: Partial<TcpClientOptions> = {}) {
  const loop = new EventLoop({ monitorDelay: false });
  const pool = new BufPool({ track: true });
  const server = await FrameServer.start(serverOpts);
  const log = new HookLog();
  const inbox = new Inbox();
  const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port, pool, ...log.hooks(), ...clientOpts });
  log.client = client;
  cleanup.push(async () => {
    await loop.stop();
    await server.close();
    pool.assertNoLeaks();
  });
  return { loop, pool, server, log, inbox, client };
}

describe("TcpClient against a raw node:net Lars server", () => {
  it("echo round trips: every size from 0 to 65527, in order, byte-exact; the client is the conn handlers see", async () => {
    const { server, log, inbox, client } = await setup();
    let handlerConn: unknown;
    let attrInHandler: unknown;
    client.addMsgRouter(7, (body, msgid, conn) => {
      handlerConn = conn;
      attrInHandler = conn.getAttr("user");
      inbox.handler(body, msgid);
    });
    expect(client.status.state).toBe("connecting");
    expect(client.connected).toBe(false);
    await client.ready();
    expect(client.connected).toBe(true);
    expect(client.status).toEqual({ state: "connected" });
    expect(client.remotePort).toBe(server.port);
    expect(log.count("start")).toBe(1);
    client.setAttr("user", "alice");

    const sizes = [0, 1, 7, 8, 9, 100, 4095, 4096, 4097, 65527, 30_000, 2, 65527];
    const bodies = sizes.map((n) => randomBytes(n));
    for (const b of bodies) client.sendMessage(b, 7);
    client.sendMessage("héllo wörld", 7);
    await inbox.wait(bodies.length + 1);
    // Compare as hex: deep-equal on 64 KiB buffers is slow.
    expect(inbox.frames.slice(0, bodies.length).map((f) => f.body.toString("hex"))).toEqual(bodies.map((b) => b.toString("hex")));
    expect(inbox.frames.at(-1)!.body.toString()).toBe("héllo wörld");
    expect(handlerConn).toBe(client);
    expect(attrInHandler).toBe("alice");
    expect(client.stats()).toMatchObject({ connections: 1, messagesOut: bodies.length + 1, messagesIn: bodies.length + 1 });

    await client.close();
    expect(log.of("close")).toEqual([{ name: "close", reason: "shutdown", error: undefined }]);
  });

  it("a too long body or bad msgid is refused at once with a typed error, nothing sent", async () => {
    const { client, server } = await setup({}, { maxMessageLength: 100 });
    await client.ready();
    expect(() => client.sendMessage(Buffer.alloc(101), 1)).toThrow(expect.objectContaining({ code: "LARS_FRAME_TOO_LONG" }));
    expect(() => client.sendMessage("x", 2 ** 31)).toThrow(expect.objectContaining({ code: "LARS_INVALID_MSGID" }));
    client.sendMessage(Buffer.alloc(100), 1);
    await server.waitFrames(1);
    expect(server.frames).toHaveLength(1);
  });

  it("many frames in one write: 1000 frames arrive in order", async () => {
    const frames = Array.from({ length: 1000 }, (_, i) => ({ msgid: i % 3, body: Buffer.from(`frame-${i}-`.repeat(i % 7)) }));
    const { inbox, client } = await setup({
      onConnection: (socket) => socket.write(Buffer.concat(frames.map((f) => encodeFrame(f.msgid, f.body)))),
    });
    for (const id of [0, 1, 2]) client.addMsgRouter(id, inbox.handler);
    await inbox.wait(1000);
    expect(inbox.frames).toEqual(frames);
  });

  it("frames split at every byte: one byte per write, each frame delivered exactly when its last byte arrives", async () => {
    const frames = [
      { msgid: 1, body: Buffer.from("a") },
      { msgid: 2, body: Buffer.alloc(0) },
      { msgid: -5, body: randomBytes(20) },
      { msgid: 3, body: Buffer.from("last one") },
    ];
    const stream = Buffer.concat(frames.map((f) => encodeFrame(f.msgid, f.body)));
    const ends: number[] = [];
    let off = 0;
    for (const f of frames) ends.push((off += 8 + f.body.length));
    const { server, inbox, client } = await setup({ echo: false });
    for (const f of frames) client.addMsgRouter(f.msgid, inbox.handler);
    await client.ready();
    await server.waitConnections(1);
    const socket = server.socket;
    for (let i = 0; i < stream.length; i++) {
      socket.write(stream.subarray(i, i + 1));
      await poll(() => client.stats().bytesIn === i + 1, `byte ${i + 1} at the client`);
      const complete = ends.filter((e) => e <= i + 1).length;
      expect(inbox.frames.length, `frames delivered after byte ${i + 1}`).toBe(complete);
    }
    expect(inbox.frames).toEqual(frames);
  });

  it("the C++ do_read bug: a body arriving in pieces is delivered once, whole and byte-exact, never early", async () => {
    const body = randomBytes(60_000);
    const frame = encodeFrame(42, body);
    const { server, inbox, client } = await setup({ echo: false });
    client.addMsgRouter(42, inbox.handler);
    await client.ready();
    await server.waitConnections(1);
    const pieces = [frame.subarray(0, 8 + 30_000), frame.subarray(8 + 30_000, 8 + 45_000), frame.subarray(8 + 45_000)];
    let sent = 0;
    for (const [i, piece] of pieces.entries()) {
      server.socket.write(piece);
      sent += piece.length;
      await poll(() => client.stats().bytesIn === sent, `piece ${i + 1} at the client`);
      if (i < pieces.length - 1) {
        // Header and part of the body are in: a client that did not wait for the whole body would have delivered now.
        expect(inbox.frames).toHaveLength(0);
        expect(client.stats().partialFrameBytes).toBe(sent);
      }
    }
    await inbox.wait(1);
    expect(inbox.frames).toHaveLength(1);
    expect(inbox.frames[0]!.msgid).toBe(42);
    expect(inbox.frames[0]!.body.equals(body)).toBe(true);
    expect(client.stats().partialFrameBytes).toBe(0);
  });

  it("a frame with no route goes to onError as LARS_ROUTE_UNKNOWN and the connection stays up", async () => {
    const { log, client, inbox } = await setup();
    client.addMsgRouter(2, inbox.handler);
    await client.ready();
    client.sendMessage("nobody", 1);
    client.sendMessage("somebody", 2);
    await inbox.wait(1);
    expect(log.of("error").map((e) => e.err)).toEqual([expect.objectContaining({ code: "LARS_ROUTE_UNKNOWN" })]);
    expect(client.connected).toBe(true);
  });

  it("a throwing hook or handler is reported, never breaks the client", async () => {
    const { log, client, inbox } = await setup({}, {
      onConnStart: () => {
        throw new Error("hook bug");
      },
    });
    client.addMsgRouter(1, () => {
      throw new Error("handler bug");
    });
    client.addMsgRouter(2, inbox.handler);
    await client.ready();
    client.sendMessage("a", 1);
    client.sendMessage("b", 2);
    await inbox.wait(1);
    expect(log.of("error").map((e) => e.err)).toEqual([
      expect.objectContaining({ code: "LARS_HOOK_ERROR", hook: "onConnStart" }),
      expect.objectContaining({ code: "LARS_HANDLER_ERROR" }),
    ]);
    expect(client.connected).toBe(true);
  });
});
