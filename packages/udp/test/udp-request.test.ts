// Issue 10: `request()` on UdpClient — a reply matched to its request (by
// key when given), bounded pending requests, timeouts and aborts that free
// their slot, and never another caller's reply.
import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import type { NetConnection } from "@lars/codec";
import { InvalidArgumentError, LarsError } from "@lars/iobuf";
import { UdpClient, UdpRequestError, UdpRequestQueueFullError, UdpServer } from "../src/index.js";
import { recordInto, startPair } from "./helpers.js";

type Pair = Awaited<ReturnType<typeof startPair>>;
let pair: Pair | undefined;
afterEach(async () => {
  await pair?.stop();
  pair = undefined;
});

const seqOf = (body: Buffer): number => Number(/seq=(\d+)/.exec(body.toString())?.[1]);
const keys = { requestKey: seqOf, replyKey: seqOf };

async function rejection(p: Promise<unknown>): Promise<LarsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LarsError);
  return err as LarsError;
}

describe("UdpClient.request()", () => {
  it("resolves with the reply (a copy), which does not reach the client's router", async () => {
    pair = await startPair();
    pair.server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(`re:${body.toString()}`, msgid));
    const routed = recordInto(pair.client, [1]);
    const reply = await pair.client.request("hello", 1);
    expect(reply.toString()).toBe("re:hello");
    expect(Buffer.isBuffer(reply)).toBe(true);
    expect(pair.client.pendingRequests).toBe(0);
    expect(routed.size).toBe(0);
    expect(pair.client.stats().messagesIn).toBe(1);
  });

  it("waits on a different replyMsgid when asked", async () => {
    pair = await startPair();
    pair.server.addMsgRouter(5, (body, _msgid, conn) => conn.sendMessage(body, 6));
    expect((await pair.client.request("x", 5, { replyMsgid: 6 })).toString()).toBe("x");
  });

  it("with requestKey/replyKey matches replies answered out of order to the right callers", async () => {
    pair = await startPair();
    const held: [Buffer, NetConnection][] = [];
    pair.server.addMsgRouter(2, (body, _msgid, conn) => {
      held.push([Buffer.from(body), conn]);
      if (held.length === 3) for (const [b, c] of held.reverse()) c.sendMessage(`reply ${b.toString()}`, 2);
    });
    const replies = await Promise.all([1, 2, 3].map((seq) => pair!.client.request(`seq=${seq}`, 2, keys)));
    expect(replies.map((r) => r.toString())).toEqual(["reply seq=1", "reply seq=2", "reply seq=3"]);
    expect(pair.client.pendingRequests).toBe(0);
  });

  it("a timed-out request frees its slot: 100 timeouts leave nothing pending and the next request gets its own reply", async () => {
    pair = await startPair({ onError: () => {} });
    // Only "found" is answered: under load a timed-out "seq=N" datagram can
    // still reach the server late, and its answer (keyless) would be taken by
    // the next keyless request -- the documented limit of matching by msgid.
    pair.server.addMsgRouter(3, (body, msgid, conn) => {
      if (body.toString() === "found") conn.sendMessage(body, msgid);
    });
    const err = await rejection(pair.client.request("lost", 3, { timeoutMs: 20 }));
    expect(err).toBeInstanceOf(UdpRequestError);
    expect(err).toMatchObject({ code: "LARS_REQUEST_TIMEOUT", msgid: 3, replyMsgid: 3 });
    const many = await Promise.all(
      Array.from({ length: 100 }, (_, i) => rejection(pair!.client.request(`seq=${i}`, 3, { ...keys, timeoutMs: 20 }))),
    );
    expect(many.every((e) => e.code === "LARS_REQUEST_TIMEOUT")).toBe(true);
    expect(pair.client.pendingRequests).toBe(0);
    expect((await pair.client.request("found", 3)).toString()).toBe("found");
  });

  it("without keys refuses a second request on the same reply msgid (LARS_REQUEST_BUSY) instead of risking a swapped reply", async () => {
    pair = await startPair();
    const seen = recordInto(pair.server, [4]);
    pair.server.addMsgRouter(9, (body, msgid, conn) => conn.sendMessage(body, msgid));
    const first = pair.client.request("first", 4, { timeoutMs: 5000 });
    const err = await rejection(pair.client.request("second", 4));
    expect(err).toMatchObject({ code: "LARS_REQUEST_BUSY" });
    const got = await seen.next(); // only the first was sent
    expect(got.body.toString()).toBe("first");
    got.conn.sendMessage("answer", 4);
    expect((await first).toString()).toBe("answer");
    expect(seen.size).toBe(0);
  });

  it("bounds pending requests: past maxPendingRequests it rejects with LARS_REQUEST_QUEUE_FULL and sends nothing", async () => {
    pair = await startPair({}, { maxPendingRequests: 2 });
    const seen = recordInto(pair.server, [7]);
    const a = pair.client.request("seq=1", 7, keys);
    const b = pair.client.request("seq=2", 7, keys);
    const err = await rejection(pair.client.request("seq=3", 7, keys));
    expect(err).toBeInstanceOf(UdpRequestQueueFullError);
    expect(err).toMatchObject({ code: "LARS_REQUEST_QUEUE_FULL", max: 2 });
    const s1 = await seen.next();
    const s2 = await seen.next();
    for (const s of [s1, s2]) s.conn.sendMessage(s.body, 7);
    expect((await a).toString()).toBe("seq=1");
    expect((await b).toString()).toBe("seq=2");
    expect(pair.server.stats().messagesIn).toBe(2);
  });

  it("a frame on the reply msgid that matches no request reaches the router (server pushes still work)", async () => {
    pair = await startPair();
    const routed = recordInto(pair.client, [8]);
    let peer: NetConnection | undefined;
    pair.server.addMsgRouter(8, (_body, _msgid, conn) => {
      peer = conn;
    });
    const waiting = pair.client.request("seq=1", 8, keys);
    await new Promise<void>((resolve) => {
      const poll = (): void => (peer !== undefined ? resolve() : void setImmediate(poll));
      poll();
    });
    peer!.sendMessage("push seq=99", 8);
    expect((await routed.next()).body.toString()).toBe("push seq=99");
    peer!.sendMessage("reply seq=1", 8);
    expect((await waiting).toString()).toBe("reply seq=1");
  });

  it("aborts with LARS_REQUEST_ABORTED (the signal's reason as cause), before or after sending", async () => {
    pair = await startPair({ onError: () => {} });
    const ac = new AbortController();
    const p = pair.client.request("x", 11, { signal: ac.signal });
    ac.abort(new Error("user gave up"));
    const err = await rejection(p);
    expect(err).toMatchObject({ code: "LARS_REQUEST_ABORTED", cause: new Error("user gave up") });
    expect(pair.client.pendingRequests).toBe(0);
    const pre = await rejection(pair.client.request("y", 11, { signal: AbortSignal.abort() }));
    expect(pre.code).toBe("LARS_REQUEST_ABORTED");
  });

  it("close() rejects waiting requests with LARS_CONN_CLOSED; before connect() a request rejects LARS_NOT_CONNECTED", async () => {
    pair = await startPair({ onError: () => {} });
    const p = pair.client.request("x", 12);
    void pair.client.close();
    expect(await rejection(p)).toMatchObject({ code: "LARS_CONN_CLOSED" });
    const loop = new EventLoop({ monitorDelay: false });
    const fresh = new UdpClient(loop, { host: "127.0.0.1", port: pair.port });
    expect((await rejection(fresh.request("x", 1))).code).toBe("LARS_NOT_CONNECTED");
    expect(fresh.pendingRequests).toBe(0);
    await loop.stop(1000);
  });

  it("refuses bad request options with InvalidArgumentError (LARS_INVALID_ARGUMENT)", async () => {
    pair = await startPair();
    expect(() => pair!.client.request("x", 1, { timeoutMs: -1 })).toThrow(InvalidArgumentError);
    expect(() => pair!.client.request("x", 1, { requestKey: seqOf })).toThrow(/requestKey/);
    const loop = new EventLoop({ monitorDelay: false });
    for (const bad of [{ maxPendingRequests: 0 }, { requestTimeoutMs: 0 }]) {
      try {
        new UdpClient(loop, { host: "127.0.0.1", port: 1, ...bad });
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(InvalidArgumentError);
        expect((err as InvalidArgumentError).code).toBe("LARS_INVALID_ARGUMENT");
      }
    }
    expect(() => new UdpServer(loop, { host: "127.0.0.1", port: 70000 })).toThrow(InvalidArgumentError);
    await loop.stop(1000);
  });
});

