import { describe, expect, it } from "vitest";
import { RetCode } from "@lars/proto";
import { DEFAULT_LOAD_BALANCE_CONFIG as C, RouteBalancer, resolveLoadBalanceConfig } from "../src/index.js";

const A = { ip: 1, port: 10 };
const B = { ip: 2, port: 20 };

function route(hosts = [A], now = 0): RouteBalancer {
  const rb = new RouteBalancer(1, 2, C);
  rb.update(hosts, now);
  return rb;
}

describe("RouteBalancer worked examples (defaults)", () => {
  it("a fresh host that only fails goes to overload at its 15th failure", () => {
    const rb = route();
    for (let i = 1; i <= 14; i++) {
      rb.report(A, RetCode.OVERLOAD, 1);
      expect(rb.host(A.ip, A.port)?.overload).toBe(false);
    }
    rb.report(A, RetCode.OVERLOAD, 1);
    const h = rb.host(A.ip, A.port);
    expect(h?.overload).toBe(true);
    expect(h?.verr).toBe(C.initErrCnt);
    expect(h?.vsucc).toBe(0);
    expect(rb.overloadedHosts()).toEqual([A]);
    expect(rb.idleHosts()).toEqual([]);
  });

  it("mixed failures overload when verr/(vsucc+verr) first passes 0.1", () => {
    const rb = route();
    // success, failure, failure, ... never 15 failures in a row: alternate 1 success / 2 failures
    let vsucc = 180;
    let verr = 0;
    let overloadedAt = -1;
    for (let i = 0; i < 300 && overloadedAt < 0; i++) {
      const succ = i % 3 === 0;
      if (succ) vsucc++;
      else verr++;
      rb.report(A, succ ? RetCode.SUCC : RetCode.SYSTEM_ERROR, 1);
      const expected = !succ && verr / (vsucc + verr) > 0.1;
      expect(rb.host(A.ip, A.port)?.overload).toBe(expected);
      if (expected) overloadedAt = i;
    }
    // it overloads on the failure that first makes verr/(vsucc+verr) exceed 0.1, not before
    expect(overloadedAt).toBeGreaterThan(14);
    expect(vsucc).toBe(180 + Math.ceil(overloadedAt / 3));
    expect(verr / (vsucc + verr)).toBeGreaterThan(0.1);
    expect((verr - 1) / (vsucc + verr - 1)).toBeLessThanOrEqual(0.1);
  });

  it("an overloaded host goes idle after 15 successes in a row", () => {
    const rb = route();
    for (let i = 0; i < 15; i++) rb.report(A, 1, 100);
    expect(rb.host(A.ip, A.port)?.overload).toBe(true);
    for (let i = 1; i <= 14; i++) {
      rb.report(A, RetCode.SUCC, 200);
      expect(rb.host(A.ip, A.port)?.overload).toBe(true);
    }
    rb.report(A, RetCode.SUCC, 200);
    const h = rb.host(A.ip, A.port);
    expect(h?.overload).toBe(false);
    expect(h?.vsucc).toBe(C.initSuccCnt);
    expect(h?.verr).toBe(0);
    expect(rb.idleHosts()).toEqual([A]);
  });

  it("an overloaded host goes idle at its first report 15 s after it was overloaded", () => {
    const rb = route();
    for (let i = 0; i < 15; i++) rb.report(A, 1, 1000);
    expect(rb.host(A.ip, A.port)?.overload).toBe(true);
    rb.report(A, 1, 1000 + 14_999);
    expect(rb.host(A.ip, A.port)?.overload).toBe(true);
    rb.report(A, 1, 1000 + 15_000);
    expect(rb.host(A.ip, A.port)?.overload).toBe(false);
    expect(rb.host(A.ip, A.port)?.idleTs).toBe(16_000);
  });

  it("an idle window with rerr/(rsucc+rerr) >= 0.7 overloads; otherwise the window restarts", () => {
    const cfg = resolveLoadBalanceConfig({ continErrLimit: 1000, errRate: 1 });
    const rb = new RouteBalancer(1, 2, cfg);
    rb.update([A, B], 0);
    for (let i = 0; i < 3; i++) rb.report(A, RetCode.SUCC, 10);
    for (let i = 0; i < 6; i++) rb.report(A, 2, 10);
    rb.report(A, 2, 15_000); // 7 errors of 10 = 0.7
    expect(rb.host(A.ip, A.port)?.overload).toBe(true);
    rb.report(B, 2, 10);
    rb.report(B, RetCode.SUCC, 15_000);
    const b = rb.host(B.ip, B.port);
    expect(b?.overload).toBe(false);
    expect(b?.rsucc).toBe(0);
    expect(b?.idleTs).toBe(15_000);
  });

  it("reports for unknown hosts are ignored", () => {
    const rb = route();
    expect(rb.report({ ip: 9, port: 9 }, 1, 1)).toBe(false);
    expect(rb.host(A.ip, A.port)?.verr).toBe(0);
  });
});

describe("RouteBalancer pick", () => {
  it("round-robins over idle hosts", () => {
    const rb = route([A, B]);
    const got = [0, 1, 2, 3].map(() => rb.pick(0).host);
    expect(got).toEqual([A, B, A, B]);
  });

  it("probes one request in probe_num + 1 when only overloaded hosts remain", () => {
    const rb = route();
    for (let i = 0; i < 15; i++) rb.report(A, 1, 0);
    const results = Array.from({ length: 33 }, () => rb.pick(0));
    const probes = results.filter((r) => r.retcode === RetCode.SUCC);
    expect(probes).toHaveLength(3);
    expect(probes.every((p) => p.probe === true && p.host?.ip === A.ip)).toBe(true);
    expect(results[10]?.retcode).toBe(RetCode.SUCC);
    expect(results.filter((r) => r.retcode === RetCode.OVERLOAD)).toHaveLength(30);
  });

  it("probes an overloaded host one pick in probe_num + 1 when both lists are non-empty", () => {
    const rb = route([A, B]);
    for (let i = 0; i < 15; i++) rb.report(A, 1, 0);
    const results = Array.from({ length: 22 }, () => rb.pick(0));
    expect(results.filter((r) => r.probe).map((r) => r.host)).toEqual([A, A]);
    expect(results.filter((r) => !r.probe).every((r) => r.host?.ip === B.ip)).toBe(true);
  });

  it("no host → NOEXIST", () => {
    const rb = new RouteBalancer(1, 1, C);
    expect(rb.pick(0).retcode).toBe(RetCode.NOEXIST);
  });
});

describe("RouteBalancer update and snapshot", () => {
  it("new hosts join idle, missing hosts leave both lists and the host map", () => {
    const rb = route([A, B]);
    for (let i = 0; i < 15; i++) rb.report(A, 1, 0);
    rb.update([B, { ip: 3, port: 30 }], 5);
    expect(rb.host(A.ip, A.port)).toBeUndefined();
    expect(rb.overloadedHosts()).toEqual([]);
    expect(rb.idleHosts()).toEqual([B, { ip: 3, port: 30 }]);
    expect(rb.host(3, 30)?.vsucc).toBe(180);
    expect(rb.state).toBe("NEW");
    expect(rb.lastUpdate).toBe(5);
  });

  it("needsPull only when NEW and older than update_timeout", () => {
    const rb = route([A], 1000);
    expect(rb.needsPull(16_000)).toBe(false);
    expect(rb.needsPull(16_001)).toBe(true);
    rb.markPulling();
    expect(rb.needsPull(100_000)).toBe(false);
  });

  it("snapshot lists every host with window counts and overload flag", () => {
    const rb = route([A, B]);
    rb.report(B, 0, 10);
    rb.report(B, 3, 10);
    for (let i = 0; i < 15; i++) rb.report(A, 1, 0);
    const s = rb.snapshot(-1062731343, 2500);
    expect(s).toEqual({
      modid: 1,
      cmdid: 2,
      caller: -1062731343,
      ts: 2,
      results: [
        { ip: 2, port: 20, succ: 1, err: 1, overload: false },
        { ip: 1, port: 10, succ: 0, err: 0, overload: true },
      ],
    });
  });
});
