import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame, jsonCodec } from "@lars/codec";
import type { MessageBody } from "@lars/codec";
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

  it("issue 10 defect 2: one dropped reply never gives the next caller the wrong reply (the client resets and recovers)", async () => {
    const { server, client } = await setup({ echo: false }, { reconnect: { initialDelayMs: 1, jitter: 0 } });
    // Their outcomes are taken at once: a times out after 30 ms, maybe before the server has seen both frames.
    const a = client.request(10, "a", { replyMsgid: 11, timeoutMs: 30 }).catch((e: unknown) => e);
    const b = client.request(10, "b", { replyMsgid: 11, timeoutMs: 5000 }).catch((e: unknown) => e);
    await server.waitFrames(2);
    // The server never answers a; b is failed (reset), never handed a reply that is not its own.
    expect(await a).toMatchObject({ name: "RequestError", code: "LARS_REQUEST_TIMEOUT", msgid: 10, replyMsgid: 11 });
    expect(await b).toMatchObject({ name: "RequestError", code: "LARS_REQUEST_RESET" });
    expect(client.stats()).toMatchObject({ requestSlots: 0, pendingRequests: 0, requestResets: 1 });
    // The late reply to a, on the old connection, reaches nobody; on the new connection c gets its own reply.
    await client.ready({ timeoutMs: 5000 });
    await server.waitConnections(2);
    const c = client.request(10, "c", { replyMsgid: 11, timeoutMs: 5000 });
    await server.waitFrames(3);
    server.socket.write(encodeFrame(11, "reply-to-c"));
    expect((await c).toString()).toBe("reply-to-c");
  });

  it("issue 10 defect 2: 1000 timed-out requests leave no slots, and pushes then reach the user's route", async () => {
    const { server, client } = await setup({ echo: false }, { reconnect: { initialDelayMs: 1, jitter: 0 } });
    const inbox = new Inbox();
    client.addMsgRouter(11, inbox.handler);
    const all = [];
    for (let i = 0; i < 1000; i++) all.push(client.request(10, `r${i}`, { replyMsgid: 11, timeoutMs: 20 }).catch((e: unknown) => e));
    const errors = (await Promise.all(all)) as RequestError[];
    expect(errors.every((e) => e instanceof RequestError && (e.code === "LARS_REQUEST_TIMEOUT" || e.code === "LARS_REQUEST_RESET"))).toBe(true);
    expect(client.stats()).toMatchObject({ requestSlots: 0, pendingRequests: 0 });
    await client.ready({ timeoutMs: 5000 });
    await server.waitConnections(2);
    server.socket.write(encodeFrame(11, "push"));
    await inbox.wait(1);
    expect(inbox.frames[0]!.body.toString()).toBe("push");
  });

  it("issue 10 defect 2: correlated requests match out-of-order replies exactly; timeouts free their slot without a reset", async () => {
    const { server, client } = await setup({ echo: false });
    const correlation = { requestKey: (body: MessageBody) => String(body), replyKey: (reply: Buffer) => reply.toString().split("=")[0] };
    const inbox = new Inbox();
    client.addMsgRouter(11, inbox.handler);
    const lost = client.request(10, "lost", { replyMsgid: 11, timeoutMs: 20, correlation });
    await expect(lost).rejects.toMatchObject({ code: "LARS_REQUEST_TIMEOUT" });
    expect(client.stats()).toMatchObject({ requestSlots: 0, requestResets: 0 });
    const reqs = ["a", "b", "c"].map((k) => client.request(10, k, { replyMsgid: 11, timeoutMs: 5000, correlation }));
    await server.waitFrames(4);
    server.socket.write(Buffer.concat([encodeFrame(11, "c=3"), encodeFrame(11, "lost=late"), encodeFrame(11, "a=1"), encodeFrame(11, "b=2")]));
    expect((await Promise.all(reqs)).map((r) => r.toString())).toEqual(["a=1", "b=2", "c=3"]);
    await inbox.wait(1);
    expect(inbox.frames.map((f) => f.body.toString())).toEqual(["lost=late"]);
    expect(client.stats()).toMatchObject({ connections: 1, requestSlots: 0 });
  });

  it("issue 10 defect 2: pending requests are bounded: past maxPendingRequests it rejects with RequestQueueFullError and sends nothing", async () => {
    const { server, client } = await setup({ echo: false }, { maxPendingRequests: 2 });
    const a = client.request(10, "a", { replyMsgid: 11 });
    const b = client.request(10, "b", { replyMsgid: 11 });
    const out = client.stats().messagesOut;
    await expect(client.request(10, "c", { replyMsgid: 11 })).rejects.toMatchObject({ name: "RequestQueueFullError", code: "LARS_REQUEST_QUEUE_FULL", max: 2 });
    expect(client.stats().messagesOut).toBe(out);
    await server.waitFrames(2);
    server.socket.write(Buffer.concat([encodeFrame(11, "1"), encodeFrame(11, "2")]));
    expect([(await a).toString(), (await b).toString()]).toEqual(["1", "2"]);
  });

  it("issue 10 defect 2: typed request<Req, Res>() encodes with requestCodec and decodes with replyCodec, with correlation by seq", async () => {
    const { client } = await setup({ echo: true });
    interface Msg { seq: number; host: string }
    const reqs = [1, 2].map((seq) =>
      client.request<Msg, Msg>(10, { seq, host: `h${seq}` }, {
        requestCodec: jsonCodec<Msg>(),
        replyCodec: jsonCodec<Msg>(),
        correlation: { requestKey: (m) => m.seq, replyKey: (m) => m.seq },
      }),
    );
    expect(await Promise.all(reqs)).toEqual([{ seq: 1, host: "h1" }, { seq: 2, host: "h2" }]);
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
