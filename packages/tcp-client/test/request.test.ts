import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { ConnectionLostError, RequestError, TcpClient } from "../src/index.js";
import type { TcpClientOptions } from "../src/index.js";
import { FrameServer, Inbox, deadPort } from "./helpers.js";
import type { FrameServerOptions } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setup(serverOpts: FrameServerOptions, clientOpts: Partial<TcpClientOptions> = {}) {
  const loop = new EventLoop({ monitorDelay: false });
  const pool = new BufPool({ track: true });
  const server = await FrameServer.start(serverOpts);
  const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port, pool, ...clientOpts });
  cleanup.push(async () => {
    await loop.stop();
    await server.close();
    pool.assertNoLeaks();
  });
  await client.ready();
  await server.waitConnections(1);
  return { loop, server, client };
}

/** Server answering msgid 10 with msgid 11, body "re:" + request body. */
const answering: FrameServerOptions = {
  echo: false,
  onFrame: ({ socket, msgid, body }) => {
    if (msgid === 10) socket.write(encodeFrame(11, Buffer.concat([Buffer.from("re:"), body])));
  },
};

describe("request / reply", () => {
  it("matches replies in FIFO order per reply msgid; default replyMsgid is the request msgid", async () => {
    const { client } = await setup({
      echo: false,
      onFrame: ({ socket, msgid, body }) => {
        if (msgid === 10) socket.write(encodeFrame(11, Buffer.concat([Buffer.from("re:"), body])));
        if (msgid === 20) socket.write(encodeFrame(20, body));
      },
    });
    const replies = await Promise.all([
      client.request(10, "a", { replyMsgid: 11 }),
      client.request(20, "echo"),
      client.request(10, "b", { replyMsgid: 11 }),
      client.request(10, "c", { replyMsgid: 11 }),
    ]);
    expect(replies.map((r) => r.toString())).toEqual(["re:a", "echo", "re:b", "re:c"]);
    expect(client.stats()).toMatchObject({ pendingRequests: 0, requestSlots: 0 });
  });

  it("a timed-out request keeps its FIFO slot: its late reply is discarded and the next request gets its own", async () => {
    const { server, client } = await setup({ echo: false });
    const a = client.request(10, "a", { replyMsgid: 11, timeoutMs: 30 });
    await expect(a).rejects.toMatchObject({ name: "RequestError", code: "LARS_REQUEST_TIMEOUT", msgid: 10, replyMsgid: 11 });
    const b = client.request(10, "b", { replyMsgid: 11, timeoutMs: 5000 });
    await server.waitFrames(2);
    server.socket.write(Buffer.concat([encodeFrame(11, "reply-to-a"), encodeFrame(11, "reply-to-b")]));
    expect((await b).toString()).toBe("reply-to-b");
    expect(client.stats()).toMatchObject({ discardedReplies: 1, requestSlots: 0, pendingRequests: 0 });
  });

  it("abort through an AbortController rejects at once, keeps the slot; an already aborted signal sends nothing", async () => {
    const { server, client } = await setup({ echo: false });
    const ac = new AbortController();
    const a = client.request(10, "a", { replyMsgid: 11, signal: ac.signal });
    const b = client.request(10, "b", { replyMsgid: 11 });
    ac.abort(new Error("changed my mind"));
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: "LARS_REQUEST_ABORTED", cause: new Error("changed my mind") });
    await server.waitFrames(2);
    server.socket.write(Buffer.concat([encodeFrame(11, "for-a"), encodeFrame(11, "for-b")]));
    expect((await b).toString()).toBe("for-b");

    const out = client.stats().messagesOut;
    await expect(client.request(10, "never", { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "LARS_REQUEST_ABORTED" });
    expect(client.stats().messagesOut).toBe(out);
  });

  it("a user route on the reply msgid gets frames only while no request waits for it", async () => {
    const { server, client } = await setup(answering);
    const inbox = new Inbox();
    client.addMsgRouter(11, inbox.handler);
    server.socket.write(encodeFrame(11, "unsolicited-1"));
    await inbox.wait(1);
    expect((await client.request(10, "x", { replyMsgid: 11 })).toString()).toBe("re:x");
    server.socket.write(encodeFrame(11, "unsolicited-2"));
    await inbox.wait(2);
    expect(inbox.frames.map((f) => f.body.toString())).toEqual(["unsolicited-1", "unsolicited-2"]);
  });

  it("connection loss rejects every pending request with LARS_CONN_LOST", async () => {
    const { server, client } = await setup({ echo: false }, { reconnect: false });
    const a = client.request(10, "a", { replyMsgid: 11 });
    const b = client.request(30, "b");
    await server.waitFrames(2);
    server.socket.destroy();
    for (const p of [a, b]) {
      const err = await p.catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "RequestError", code: "LARS_CONN_LOST" });
      expect((err as Error).cause).toBeInstanceOf(ConnectionLostError);
    }
  });

  it("close() rejects pending requests with LARS_CONN_LOST (cause: reason shutdown)", async () => {
    const { client } = await setup({ echo: false });
    const a = client.request(10, "a", { replyMsgid: 11 });
    const closed = client.close();
    await expect(a).rejects.toMatchObject({ code: "LARS_CONN_LOST", cause: { reason: "shutdown" } });
    await closed;
  });

  it("is never queued: while disconnected it rejects with the send error LARS_NOT_CONNECTED", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    cleanup.push(() => loop.stop());
    const client = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort(), queueWhileDisconnected: true });
    await expect(client.request(1, "x")).rejects.toMatchObject({ name: "SendError", code: "LARS_NOT_CONNECTED" });
    expect(() => client.request(1, "x", { replyMsgid: 1.5 })).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT" }));
    expect(() => client.request(1, "x", { timeoutMs: -1 })).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT" }));
  });
});
