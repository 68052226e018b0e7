import { describe, expect, it } from "vitest";
import { RetCode } from "@lars/proto";
import { Balancer, DEFAULT_LOAD_BALANCE_CONFIG as C, agentPortIndex, resolveLoadBalanceConfig } from "../src/index.js";

const A = { ip: 1, port: 10 };

describe("Balancer", () => {
  it("unknown route → created PULLING, pull requested, NOEXIST; no second pull while PULLING", () => {
    const b = new Balancer(C);
    expect(b.getHost(1, 2, 0)).toEqual({ retcode: RetCode.NOEXIST, pull: true });
    expect(b.route(1, 2)?.state).toBe("PULLING");
    expect(b.getHost(1, 2, 1)).toEqual({ retcode: RetCode.NOEXIST, pull: false });
    b.updateRoute(1, 2, [A], 2);
    expect(b.getHost(1, 2, 3)).toMatchObject({ retcode: RetCode.SUCC, host: A, pull: false });
  });

  it("pulls again after answering when NEW and older than update_timeout", () => {
    const b = new Balancer(C);
    b.getHost(1, 2, 0);
    b.updateRoute(1, 2, [A], 0);
    expect(b.getHost(1, 2, 15_000).pull).toBe(false);
    const r = b.getHost(1, 2, 15_001);
    expect(r).toMatchObject({ retcode: RetCode.SUCC, host: A, pull: true });
    expect(b.route(1, 2)?.state).toBe("PULLING");
    expect(b.getHost(1, 2, 15_002).pull).toBe(false);
  });

  it("an empty update removes the route and caches NOEXIST for noexistTimeout", () => {
    const b = new Balancer(resolveLoadBalanceConfig({ noexistTimeout: 2 }));
    b.getHost(1, 2, 0);
    expect(b.updateRoute(1, 2, [], 100)).toBe(false);
    expect(b.route(1, 2)).toBeUndefined();
    expect(b.getHost(1, 2, 2099)).toEqual({ retcode: RetCode.NOEXIST, pull: false });
    expect(b.route(1, 2)).toBeUndefined();
    expect(b.getHost(1, 2, 2100)).toEqual({ retcode: RetCode.NOEXIST, pull: true });
  });

  it("the NOEXIST cache is bounded", () => {
    const b = new Balancer(C, { noexistCacheCap: 2 });
    for (let i = 0; i < 3; i++) b.updateRoute(i, 0, [], 0);
    expect(b.getHost(0, 0, 1).pull).toBe(true); // evicted
    expect(b.getHost(2, 0, 1).pull).toBe(false);
  });

  it("reports for unknown routes or hosts are ignored", () => {
    const b = new Balancer(C);
    expect(b.report(1, 2, A, 1, 0)).toBe(false);
    b.updateRoute(1, 2, [A], 0);
    expect(b.report(1, 2, { ip: 5, port: 5 }, 1, 0)).toBe(false);
    expect(b.pendingReports).toBe(0);
    expect(b.report(1, 2, A, 1, 0)).toBe(true);
  });

  it("coalesces reports to at most one ReportStatusRequest per route per second", () => {
    const b = new Balancer(C);
    b.updateRoute(1, 2, [A], 0);
    b.updateRoute(3, 4, [A], 0);
    for (let i = 0; i < 5; i++) b.report(1, 2, A, 0, 0);
    b.report(3, 4, A, 1, 0);
    const first = b.takeReports(7, 0);
    expect(first.map((r) => [r.modid, r.results[0]?.succ, r.results[0]?.err])).toEqual([
      [1, 5, 0],
      [3, 0, 1],
    ]);
    b.report(1, 2, A, 0, 10);
    expect(b.takeReports(7, 999)).toEqual([]);
    expect(b.takeReports(7, 500)).toEqual([]);
    const later = b.takeReports(7, 1000);
    expect(later).toHaveLength(1);
    expect(later[0]).toMatchObject({ modid: 1, cmdid: 2, caller: 7, ts: 1 });
    expect(b.takeReports(7, 5000)).toEqual([]);
  });

  it("pullingRoutes lists routes stuck PULLING; needsPull marks stale routes PULLING", () => {
    const b = new Balancer(C);
    b.getHost(1, 1, 0);
    b.getHost(2, 2, 0);
    b.updateRoute(2, 2, [A], 0);
    expect(b.pullingRoutes().map((r) => r.modid)).toEqual([1]);
    expect(b.needsPull(15_001).map((r) => r.modid)).toEqual([2]);
    expect(b.pullingRoutes()).toHaveLength(2);
  });
});

describe("agentPortIndex", () => {
  it("is (modid + cmdid) mod count, non-negative", () => {
    expect(agentPortIndex(1, 1, 3)).toBe(2);
    expect(agentPortIndex(10, 2, 3)).toBe(0);
    expect(agentPortIndex(-1, 0, 3)).toBe(2);
    expect(agentPortIndex(-3, -1, 3)).toBe(2);
  });
});

describe("resolveLoadBalanceConfig", () => {
  it("defaults are the C++ ones", () => {
    expect(resolveLoadBalanceConfig()).toMatchObject({
      probeNum: 10, initSuccCnt: 180, initErrCnt: 5, errRate: 0.1, succRate: 0.95,
      continErrLimit: 15, continSuccLimit: 15, windowErrRate: 0.7,
      idleTimeout: 15, overloadTimeout: 15, updateTimeout: 15,
    });
  });
  it("refuses out-of-range values", () => {
    expect(() => resolveLoadBalanceConfig({ errRate: 2 })).toThrow(/errRate/);
    expect(() => resolveLoadBalanceConfig({ probeNum: -1 })).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT" }));
  });
});
