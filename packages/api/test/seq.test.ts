import { describe, expect, it } from "vitest";
import { MsgId, RetCode, getHostRequestCodec, getHostResponseCodec, getRouteRequestCodec, getRouteResponseCodec } from "@lars/proto";
import type { GetHostRequest } from "@lars/proto";
import { LarsClient } from "../src/index.js";
import { frame, host, onCleanup, rawAgent, udpSocket } from "./helpers.js";

/** A raw dgram fake agent: the test decides what is answered, when, and in which order. */
async function setup(timeoutMs = 2000) {
  const agent = await rawAgent();
  const c = new LarsClient({ ports: [agent.port], timeoutMs });
  onCleanup(() => c.close());
  let seen = 0;
  /** The next GetHostRequest the client sends. */
  const nextRequest = async () => {
    const n = seen++;
    let i = -1;
    const got = await agent.requests.next((r) => r.msgid === MsgId.GetHostRequest && ++i === n);
    return { req: getHostRequestCodec.decode(got.body), from: got.from };
  };
  const answer = (to: { port: number }, req: GetHostRequest, ip: string, over: Partial<{ modid: number; cmdid: number; seq: number }> = {}) =>
    agent.sock.send(
      frame(MsgId.GetHostResponse, getHostResponseCodec.encode({ seq: req.seq, modid: req.modid, cmdid: req.cmdid, retcode: RetCode.SUCC, host: host(ip, 80), ...over })),
      to.port,
      "127.0.0.1",
    );
  return { agent, c, nextRequest, answer };
}

describe("getHost replies are matched by seq", () => {
  it("a stale reply (older seq, its caller timed out) is never given to a later caller", async () => {
    const { c, nextRequest, answer } = await setup();
    const first = c.getHost(1, 2, { timeoutMs: 30 });
    const r1 = await nextRequest();
    await expect(first).rejects.toMatchObject({ code: "LARS_API_TIMEOUT" });
    const second = c.getHost(1, 2);
    const r2 = await nextRequest();
    expect(r2.req.seq).toBeGreaterThan(r1.req.seq);
    answer(r1.from, r1.req, "10.0.0.1"); // late answer to the first call: dropped
    answer(r2.from, r2.req, "10.0.0.2");
    expect(await second).toEqual({ ok: true, retcode: 0, host: { ip: "10.0.0.2", port: 80 } });
    expect(c.stats.stale).toBe(1);
  });

  it("out-of-order replies go to their own callers; seq increases per call", async () => {
    const { c, nextRequest, answer } = await setup();
    const calls = [c.getHost(1, 1), c.getHost(1, 1), c.getHost(1, 1), c.getHost(4, -4)];
    const reqs = [await nextRequest(), await nextRequest(), await nextRequest(), await nextRequest()];
    const seqs = reqs.map((r) => r.req.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(4);
    for (const [i, r] of [...reqs.entries()].reverse()) answer(r.from, r.req, `10.0.0.${i + 1}`);
    const got = await Promise.all(calls);
    expect(got.map((g) => (g.ok ? g.host.ip : g.reason))).toEqual(["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]);
    expect(c.stats).toMatchObject({ getHosts: 4, getHostReplies: 4, stale: 0 });
  });

  it("a reply with the right seq but another route, or from another port, is dropped; duplicates too", async () => {
    const { c, nextRequest, answer } = await setup();
    const call = c.getHost(6, 6);
    const r = await nextRequest();
    answer(r.from, r.req, "10.9.9.9", { cmdid: 7 }); // wrong route
    const intruder = await udpSocket();
    intruder.send(frame(MsgId.GetHostResponse, getHostResponseCodec.encode({ ...r.req, retcode: 0, host: host("10.6.6.6", 1) })), r.from.port, "127.0.0.1");
    // garbage: too short for a header, an undecodable body
    intruder.send(Buffer.from([1, 2, 3]), r.from.port, "127.0.0.1");
    intruder.send(frame(MsgId.GetHostResponse, Buffer.from([0xff, 0xff, 0xff])), r.from.port, "127.0.0.1");
    answer(r.from, r.req, "10.0.0.5");
    answer(r.from, r.req, "10.0.0.6"); // a duplicate: nobody waits any more
    expect(await call).toMatchObject({ ok: true, host: { ip: "10.0.0.5" } });
    // a later call on the same seq space is not confused by the duplicate
    const next = c.getHost(6, 6);
    const r2 = await nextRequest();
    answer(r2.from, r2.req, "10.0.0.7");
    expect(await next).toMatchObject({ ok: true, host: { ip: "10.0.0.7" } });
    expect(c.stats.stale).toBeGreaterThanOrEqual(2); // wrong route + duplicate (+ the intruder's, if it came first)
    expect(c.stats.invalid).toBe(2);
  });

  it("OVERLOAD, NOEXIST, SYSTEM_ERROR and SUCC-without-host become typed failures", async () => {
    const { c, nextRequest, agent } = await setup();
    const cases: [number, unknown][] = [
      [RetCode.OVERLOAD, { ok: false, retcode: 1, reason: "OVERLOAD" }],
      [RetCode.NOEXIST, { ok: false, retcode: 3, reason: "NOEXIST" }],
      [RetCode.SYSTEM_ERROR, { ok: false, retcode: 2, reason: "SYSTEM_ERROR" }],
      [RetCode.SUCC, { ok: false, retcode: 2, reason: "SYSTEM_ERROR" }], // SUCC but no host
      [42, { ok: false, retcode: 42, reason: "SYSTEM_ERROR" }],
    ];
    for (const [retcode, want] of cases) {
      const p = c.getHost(1, 1);
      const { req, from } = await nextRequest();
      agent.sock.send(frame(MsgId.GetHostResponse, getHostResponseCodec.encode({ ...req, retcode })), from.port, "127.0.0.1");
      expect(await p).toEqual(want);
    }
  });

  it("getRoute replies go to the oldest waiting call of the same route", async () => {
    const { c, agent } = await setup();
    const a = c.getRoute(1, 1);
    const b = c.getRoute(2, 2);
    const req = await agent.requests.next((r) => r.msgid === MsgId.ApiGetRouteRequest && getRouteRequestCodec.decode(r.body).modid === 2);
    await agent.requests.next((r) => r.msgid === MsgId.ApiGetRouteRequest && getRouteRequestCodec.decode(r.body).modid === 1);
    const send = (modid: number, ip: string) =>
      agent.sock.send(frame(MsgId.ApiGetRouteResponse, getRouteResponseCodec.encode({ modid, cmdid: modid, host: [host(ip, 1)] })), req.from.port, "127.0.0.1");
    send(2, "10.0.0.2");
    send(3, "10.0.0.3"); // nobody asked: stale
    send(1, "10.0.0.1");
    expect(await a).toEqual([{ ip: "10.0.0.1", port: 1 }]);
    expect(await b).toEqual([{ ip: "10.0.0.2", port: 1 }]);
    expect(c.stats.stale).toBe(1);
  });
});
