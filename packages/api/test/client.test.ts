import { describe, expect, it } from "vitest";
import { RetCode } from "@lars/proto";
import { LarsApiClosedError, LarsApiInvalidArgumentError, LarsApiTimeoutError, LarsClient } from "../src/index.js";
import type { GetHostResult } from "../src/index.js";
import { deadPort, fakeDns, host, onCleanup, startAgent, system } from "./helpers.js";

function client(ports: number[], timeoutMs = 2000): LarsClient {
  const c = new LarsClient({ ports, timeoutMs });
  onCleanup(() => c.close());
  return c;
}

/** getHost until the answer is not NOEXIST (the agent pulls the route on the first ask). */
async function warm(c: LarsClient, modid: number, cmdid: number): Promise<GetHostResult> {
  for (;;) {
    const r = await c.regInit(modid, cmdid, { attempts: 100, intervalMs: 5 });
    if (r.ok || r.reason !== "NOEXIST") return r;
  }
}

const A = host("10.0.0.1", 9000);
const B = host("10.0.0.2", 9001);

describe("LarsClient against a real LarsAgent", () => {
  it("getHost returns the hosts of the route, round-robin, as dotted IPv4", async () => {
    const { ports } = await system(new Map([["1:2", [A, B]]]));
    const c = client(ports);
    const first = await warm(c, 1, 2);
    expect(first.ok).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await c.getHost(1, 2);
      if (!r.ok) throw new Error(`getHost failed: ${r.reason}`);
      expect(r.retcode).toBe(RetCode.SUCC);
      seen.add(`${r.host.ip}:${r.host.port}`);
    }
    expect([...seen].sort()).toEqual(["10.0.0.1:9000", "10.0.0.2:9001"]);
    expect(c.pending).toBe(0);
    expect(c.stats).toMatchObject({ timeouts: 0, stale: 0, invalid: 0 });
  });

  it("NOEXIST for a route the agent does not hold yet, the host once the DNS has answered", async () => {
    const dns = await fakeDns(new Map([["7:-9", [A]]]));
    const { agent, ports } = await startAgent(dns.port);
    dns.hold = true;
    const c = client(ports);
    const r1 = await c.getHost(7, -9);
    expect(r1).toEqual({ ok: false, retcode: RetCode.NOEXIST, reason: "NOEXIST" });
    expect(await dns.pulls.next()).toEqual({ modid: 7, cmdid: -9 });
    // still pulling: NOEXIST again, and no host
    expect(await c.getHost(7, -9)).toMatchObject({ ok: false, reason: "NOEXIST" });
    dns.release();
    const r = await warm(c, 7, -9);
    expect(r).toEqual({ ok: true, retcode: 0, host: { ip: "10.0.0.1", port: 9000 } });
    expect(agent.stats.getHosts).toBeGreaterThanOrEqual(3);
  });

  it("regInit warms a route in its few tries; for a route DNS does not know it ends with NOEXIST after `attempts`", async () => {
    const { ports } = await system(new Map([["3:3", [A]]]));
    const c = client(ports);
    const ok = await c.regInit(3, 3, { attempts: 50, intervalMs: 10 });
    expect(ok).toMatchObject({ ok: true, host: { ip: "10.0.0.1", port: 9000 } });
    const before = c.stats.getHosts;
    const missing = await c.regInit(4, 4, { attempts: 4, intervalMs: 1 });
    expect(missing).toEqual({ ok: false, retcode: RetCode.NOEXIST, reason: "NOEXIST" });
    expect(c.stats.getHosts - before).toBe(4);
  });

  it("15 reported failures overload a host: getHost stops returning it, and says OVERLOAD when it was the only one", async () => {
    const { agent, ports } = await system(new Map([["8:9", [A, B]], ["5:5", [A]]]));
    const c = client(ports);
    await warm(c, 8, 9);
    for (let i = 0; i < 15; i++) c.report(8, 9, { ip: "10.0.0.1", port: 9000 }, RetCode.OVERLOAD);
    // the reports and the next GetHost go to the same agent port in order
    const after: string[] = [];
    for (let i = 0; i < 10; i++) {
      const r = await c.getHost(8, 9);
      if (!r.ok) throw new Error(`getHost failed: ${r.reason}`);
      after.push(r.host.ip);
    }
    expect(after).toEqual(Array(10).fill("10.0.0.2"));
    expect(agent.snapshot().find((r) => r.modid === 8)?.hosts.find((h) => h.ip === "10.0.0.1")?.state).toBe("overload");

    await warm(c, 5, 5);
    for (let i = 0; i < 15; i++) c.report(5, 5, A /* the wire's int32 form works too */, 2);
    expect(await c.getHost(5, 5)).toEqual({ ok: false, retcode: RetCode.OVERLOAD, reason: "OVERLOAD" });
    expect(agent.stats.reports).toBe(30);
    expect(c.stats.reports).toBe(30);
  });

  it("successes reported keep a host idle and are counted by the agent", async () => {
    const { agent, ports } = await system(new Map([["2:2", [A]]]));
    const c = client(ports);
    const r = await warm(c, 2, 2);
    if (!r.ok) throw new Error("no host");
    for (let i = 0; i < 20; i++) c.report(2, 2, r.host, RetCode.SUCC);
    expect((await c.getHost(2, 2)).ok).toBe(true);
    const h = agent.snapshot().find((x) => x.modid === 2)?.hosts[0];
    expect(h).toMatchObject({ ip: "10.0.0.1", state: "idle", rsucc: 20, rerr: 0 });
  });

  it("getRoute lists every host of the route; [] for a route the agent does not hold", async () => {
    const C = host("192.168.1.177", 80);
    const { dns, ports } = await system(new Map([["11:-12", [A, B, C]]]));
    const c = client(ports);
    expect(await c.getRoute(11, -12)).toEqual([]);
    await dns.pulls.next((p) => p.modid === 11);
    let hosts = await c.getRoute(11, -12);
    while (hosts.length === 0) hosts = await c.getRoute(11, -12);
    expect(hosts.map((h) => `${h.ip}:${h.port}`).sort()).toEqual(["10.0.0.1:9000", "10.0.0.2:9001", "192.168.1.177:80"]);
    // concurrent calls for the same route each get an answer
    const both = await Promise.all([c.getRoute(11, -12), c.getRoute(11, -12), c.getRoute(1, 1)]);
    expect(both.map((h) => h.length)).toEqual([3, 3, 0]);
    expect(c.stats).toMatchObject({ getRouteReplies: 5, stale: 0 });
  });

  it("the default port formula reaches the agent: basePort + (modid + cmdid) mod 3, negative ids too", async () => {
    const dns = await fakeDns(new Map([["-5:1", [A]], ["4:-4", [B]], ["-7:-8", [A]]]));
    let base = 0;
    for (let tries = 0; base === 0 && tries < 20; tries++) {
      const candidate = 20000 + Math.floor(Math.random() * 40000);
      try {
        await startAgent(dns.port, candidate);
        base = candidate;
      } catch {
        // a port of the three is taken: another base
      }
    }
    expect(base).toBeGreaterThan(0);
    const c = new LarsClient({ basePort: base, timeoutMs: 2000 });
    onCleanup(() => c.close());
    expect([c.portFor(-5, 1), c.portFor(4, -4), c.portFor(-7, -8)]).toEqual([base + 2, base, base]);
    for (const [m, k, ip] of [[-5, 1, "10.0.0.1"], [4, -4, "10.0.0.2"], [-7, -8, "10.0.0.1"]] as const) {
      expect(await warm(c, m, k)).toMatchObject({ ok: true, host: { ip } });
    }
    // asking at the wrong port never gets the route: the DNS answer lands in the right port's table
    const wrong = new LarsClient({ ports: [base + 1, base + 2, base], timeoutMs: 2000 });
    onCleanup(() => wrong.close());
    expect(await wrong.regInit(-5, 1, { attempts: 5, intervalMs: 20 })).toMatchObject({ ok: false, reason: "NOEXIST" });
  });
});

describe("LarsClient timeouts, limits, close", () => {
  it("times out with LARS_API_TIMEOUT when no agent listens (getHost and getRoute)", async () => {
    const c = client([await deadPort()], 50);
    const err = await c.getHost(1, 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LarsApiTimeoutError);
    expect(err).toMatchObject({ code: "LARS_API_TIMEOUT", op: "getHost", modid: 1, cmdid: 1, timeoutMs: 50 });
    await expect(c.getRoute(1, 1, { timeoutMs: 20 })).rejects.toMatchObject({ code: "LARS_API_TIMEOUT", op: "getRoute", timeoutMs: 20 });
    await expect(c.regInit(1, 1)).rejects.toMatchObject({ code: "LARS_API_TIMEOUT" });
    expect(c.pending).toBe(0);
    expect(c.stats.timeouts).toBe(3);
  });

  it("bounds the calls waiting: past maxPending a call rejects at once with LARS_API_PENDING_FULL", async () => {
    const c = new LarsClient({ ports: [await deadPort()], maxPending: 2, timeoutMs: 5000 });
    const waiting = [c.getHost(1, 1), c.getRoute(1, 1)];
    expect(c.pending).toBe(2);
    await expect(c.getHost(1, 1)).rejects.toMatchObject({ code: "LARS_API_PENDING_FULL", limit: 2 });
    expect(c.stats.getHosts).toBe(1);
    const closed = c.close();
    for (const w of waiting) await expect(w).rejects.toBeInstanceOf(LarsApiClosedError);
    await closed;
    expect(c.pending).toBe(0);
  });

  it("close() rejects waiting calls with LARS_API_CLOSED; afterwards every call does; idempotent", async () => {
    const c = new LarsClient({ ports: [await deadPort()] });
    const p = c.getHost(1, 1);
    await Promise.all([c.close(), c.close()]);
    await expect(p).rejects.toMatchObject({ code: "LARS_API_CLOSED" });
    await expect(c.getHost(1, 1)).rejects.toMatchObject({ code: "LARS_API_CLOSED" });
    await expect(c.getRoute(1, 1)).rejects.toMatchObject({ code: "LARS_API_CLOSED" });
    expect(() => c.report(1, 1, { ip: "10.0.0.1", port: 1 }, 0)).toThrow(LarsApiClosedError);
    expect(c.isClosed).toBe(true);
  });

  it("an AbortSignal stops the wait with LARS_API_ABORTED", async () => {
    const c = client([await deadPort()], 5000);
    const ac = new AbortController();
    const p = c.getHost(1, 1, { signal: ac.signal });
    ac.abort(new Error("user gave up"));
    await expect(p).rejects.toMatchObject({ code: "LARS_API_ABORTED", cause: { message: "user gave up" } });
    await expect(c.getRoute(1, 1, { signal: ac.signal })).rejects.toMatchObject({ code: "LARS_API_ABORTED" });
    expect(c.pending).toBe(0);
  });

  it("rejects bad arguments with LARS_API_INVALID_ARGUMENT (ids outside int32 would wrap on the wire and miss the port)", async () => {
    const c = client([await deadPort()]);
    await expect(c.getHost(2 ** 31, 0)).rejects.toBeInstanceOf(LarsApiInvalidArgumentError);
    await expect(c.getRoute(1.5, 0)).rejects.toMatchObject({ code: "LARS_API_INVALID_ARGUMENT" });
    await expect(c.getHost(1, 1, { timeoutMs: 0 })).rejects.toMatchObject({ code: "LARS_API_INVALID_ARGUMENT" });
    expect(() => c.report(1, 1, { ip: "10.0.0.1", port: 0 }, 0)).toThrow(LarsApiInvalidArgumentError);
    expect(() => c.report(1, 1, { ip: "10.0.0", port: 1 }, 0)).toThrow(expect.objectContaining({ code: "LARS_INVALID_IP" }));
    await expect(c.regInit(1, 1, { attempts: 0 })).rejects.toMatchObject({ code: "LARS_API_INVALID_ARGUMENT" });
    expect(() => new LarsClient({ host: "localhost" })).toThrow(LarsApiInvalidArgumentError);
    expect(() => new LarsClient({ basePort: 65534, count: 3 })).toThrow(LarsApiInvalidArgumentError);
    expect(() => new LarsClient({ ports: [] })).toThrow(LarsApiInvalidArgumentError);
    expect(() => new LarsClient({ maxPending: 0 })).toThrow(LarsApiInvalidArgumentError);
    expect(c.pending).toBe(0);
  });

  it("defaults: 127.0.0.1, ports 8888..8890", async () => {
    const c = new LarsClient();
    expect(c.host).toBe("127.0.0.1");
    expect(c.ports).toEqual([8888, 8889, 8890]);
    expect(c.portFor(1, 1)).toBe(8890);
    expect(c.portFor(-1, -1)).toBe(8889);
    await c.close();
  });
});
