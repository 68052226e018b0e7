import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { ClientClosedError, GaveUpError, QueueDroppedError, TcpClient } from "../src/index.js";
import { FrameServer, HookLog, deadPort } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function newLoop(): EventLoop {
  const loop = new EventLoop({ monitorDelay: false });
  cleanup.push(() => loop.stop());
  return loop;
}

describe("sending while disconnected", () => {
  it("by default is refused with LARS_NOT_CONNECTED, and LARS_CONN_CLOSED once closed", async () => {
    const loop = newLoop();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort() });
    expect(() => client.sendMessage("x", 1)).toThrow(expect.objectContaining({ name: "SendError", code: "LARS_NOT_CONNECTED" }));
    await client.close();
    expect(() => client.sendMessage("x", 1)).toThrow(expect.objectContaining({ name: "SendError", code: "LARS_CONN_CLOSED" }));
  });

  it("queued messages (copies) are sent in order after connecting, after what onConnStart sent; overflow is LARS_QUEUE_FULL", async () => {
    const loop = newLoop();
    const pool = new BufPool({ track: true });
    const port = await deadPort();
    const log = new HookLog();
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port,
      pool,
      reconnect: { initialDelayMs: 10, maxDelayMs: 20 },
      queueWhileDisconnected: { maxMessages: 3, maxBytes: 1000 },
      ...log.hooks({ onConnStart: (c) => c.sendMessage("hello", 9) }),
    });
    log.client = client;
    await log.wait("status"); // first connect refused: reconnecting
    const body = Buffer.from("one");
    expect(client.sendMessage(body, 1)).toBe(true);
    body.write("XXX"); // the queue holds its own copy
    expect(client.sendMessage("two", 2)).toBe(true);
    expect(client.sendMessage(Buffer.from("three"), 3)).toBe(true);
    expect(() => client.sendMessage("four", 4)).toThrow(expect.objectContaining({ code: "LARS_QUEUE_FULL" }));
    expect(() => client.sendMessage(Buffer.alloc(70_000), 5)).toThrow(expect.objectContaining({ code: "LARS_FRAME_TOO_LONG" }));
    expect(client.stats()).toMatchObject({ queuedMessages: 3, queuedBytes: 3 * 8 + 3 + 3 + 5 });

    const server = await FrameServer.start({ port, echo: false });
    cleanup.push(async () => {
      await server.close();
      pool.assertNoLeaks();
    });
    await server.waitFrames(4);
    expect(server.frames.map((f) => [f.msgid, f.body.toString()])).toEqual([
      [9, "hello"],
      [1, "one"],
      [2, "two"],
      [3, "three"],
    ]);
    expect(client.stats().queuedMessages).toBe(0);
    expect(log.count("dropped")).toBe(0);
    await client.close();
  });

  it("close() reports every queued message through onQueuedDropped with ClientClosedError", async () => {
    const loop = newLoop();
    const log = new HookLog();
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: await deadPort(),
      queueWhileDisconnected: true,
      ...log.hooks(),
    });
    log.client = client;
    client.sendMessage("a", 1);
    client.sendMessage(Buffer.from("b"), 2);
    await client.close();
    const [d] = log.of("dropped");
    expect(log.count("dropped")).toBe(1);
    expect(d!.messages.map((m) => [m.msgid, Buffer.from(m.body).toString()])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
    expect(d!.error).toBeInstanceOf(ClientClosedError);
  });

  it("giving up reports the queue with the GaveUpError; without the hook it goes to onError as LARS_QUEUE_DROPPED", async () => {
    const loop = newLoop();
    const errors: Error[] = [];
    let gaveUp!: () => void;
    const done = new Promise<void>((r) => (gaveUp = r));
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: await deadPort(),
      reconnect: { maxAttempts: 1, initialDelayMs: 1 },
      queueWhileDisconnected: { maxMessages: 10 },
      onError: (_c, err) => errors.push(err),
      onGiveUp: () => gaveUp(),
    });
    client.sendMessage("lost", 1);
    await done;
    const dropped = errors.filter((e) => e instanceof QueueDroppedError);
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ code: "LARS_QUEUE_DROPPED", count: 1 });
    expect(dropped[0]!.cause).toBeInstanceOf(GaveUpError);
  });
});
