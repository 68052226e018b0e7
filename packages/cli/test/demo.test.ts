import { describe, expect, it } from "vitest";
import { DemoTraffic, OverloadLog, liveLine, summary } from "../src/index.js";
import type { AgentRouteSnapshot } from "@lars/agent";
import type { LarsClient } from "@lars/api";

const host = (ip: string, port: number, state: "idle" | "overload") => ({ ip, port, state, vsucc: 0, verr: 0, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, picks: 0, probes: 0, overloads: 0 });

describe("demo traffic rules", () => {
  it("a host down for a while fails exactly in its window; a flaky one at its rate", () => {
    let r = 0;
    const randoms = [0.1, 0.5, 0.19, 0.2];
    const demo = new DemoTraffic({} as LarsClient, { failures: [{ host: "a:1", from: 3, until: 18 }, { host: "b:1", errorRate: 0.2 }], random: () => randoms[r++ % 4] as number });
    expect([2.99, 3, 17.99, 18].map((t) => demo.fails("a:1", t))).toEqual([false, true, true, false]);
    expect([0, 0, 0, 0].map((t) => demo.fails("b:1", t))).toEqual([true, false, true, false]);
    expect(demo.fails("c:1", 5)).toBe(false);
  });
});

describe("live line and summary", () => {
  const routes: AgentRouteSnapshot[] = [{ modid: 1, cmdid: 1, state: "NEW", updatedAt: 0, hosts: [host("127.0.0.1", 9101, "idle"), host("127.0.0.1", 9103, "overload")] }];

  it("shows calls/s, each host's share of its route and the hosts in overload", () => {
    const window = { calls: 4, failures: 1, noHost: 0, perHost: new Map([["1:1 127.0.0.1:9101", 3], ["1:1 127.0.0.1:9103", 1]]) };
    expect(liveLine(7, window, routes)).toBe("[  7s] 4 calls/s, 1 failed | 1:1 :9101 75% :9103 25% | overload: 127.0.0.1:9103 (1:1)");
  });

  it("the summary counts overload episodes per host", () => {
    const log = new OverloadLog();
    const idle: AgentRouteSnapshot[] = [{ ...routes[0]!, hosts: [host("127.0.0.1", 9103, "idle")] }];
    log.record(1, idle);
    log.record(2, routes);
    log.record(3, routes);
    log.record(4, idle);
    log.record(5, routes);
    const total = { calls: 10, failures: 2, noHost: 1, perHost: new Map([["1:1 127.0.0.1:9101", 10]]) };
    expect(summary(5, total, log)).toEqual([
      "demo: 10 calls in 5 s (2 failed, 1 without a host)",
      "  route 1:1: 127.0.0.1:9101 100%",
      "  the agent steered around:",
      "    127.0.0.1:9103 (1:1): in overload between 2 s and 5 s (2 times)",
    ]);
  });
});
