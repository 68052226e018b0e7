import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { RetCode } from "@lars/proto";
import { RouteBalancer, resolveLoadBalanceConfig } from "../src/index.js";
import type { HostState, LoadBalanceConfig } from "../src/index.js";

const HOSTS = [1, 2, 3].map((i) => ({ ip: i, port: 1000 + i }));

const configArb = fc.record({
  probeNum: fc.integer({ min: 0, max: 12 }),
  initSuccCnt: fc.integer({ min: 0, max: 200 }),
  initErrCnt: fc.integer({ min: 0, max: 10 }),
  continErrLimit: fc.integer({ min: 1, max: 20 }),
  continSuccLimit: fc.integer({ min: 1, max: 20 }),
  errRate: fc.double({ min: 0, max: 1, noNaN: true }),
  succRate: fc.double({ min: 0, max: 1, noNaN: true }),
  windowErrRate: fc.double({ min: 0, max: 1, noNaN: true }),
  idleTimeout: fc.integer({ min: 1, max: 20 }),
  overloadTimeout: fc.integer({ min: 1, max: 20 }),
});

const opArb = fc.oneof(
  fc.record({ kind: fc.constant("report" as const), host: fc.integer({ min: 0, max: 2 }), succ: fc.boolean(), dt: fc.integer({ min: 0, max: 4000 }) }),
  fc.record({ kind: fc.constant("pick" as const) }),
);

type Snap = Pick<HostState, "vsucc" | "verr" | "rsucc" | "rerr" | "continSucc" | "continErr" | "idleTs" | "overloadTs" | "overload">;

/** The rules of the issue, written independently of the implementation. */
function expectedAfterReport(c: LoadBalanceConfig, h: Snap, succ: boolean, now: number): Snap {
  const s = { ...h };
  const idle = (): void => {
    Object.assign(s, { vsucc: c.initSuccCnt, verr: 0, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, idleTs: now, overload: false });
  };
  const over = (): void => {
    Object.assign(s, { vsucc: 0, verr: c.initErrCnt, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, overloadTs: now, overload: true });
  };
  if (succ) Object.assign(s, { vsucc: s.vsucc + 1, rsucc: s.rsucc + 1, continSucc: s.continSucc + 1, continErr: 0 });
  else Object.assign(s, { verr: s.verr + 1, rerr: s.rerr + 1, continErr: s.continErr + 1, continSucc: 0 });
  if (!s.overload && !succ && (s.verr / (s.vsucc + s.verr) > c.errRate || s.continErr >= c.continErrLimit)) over();
  else if (s.overload && succ && (s.vsucc / (s.vsucc + s.verr) > c.succRate || s.continSucc >= c.continSuccLimit)) idle();
  if (!s.overload) {
    if (now - s.idleTs >= c.idleTimeout * 1000) {
      if (s.rerr / (s.rsucc + s.rerr) >= c.windowErrRate) over();
      else idle();
    }
  } else if (now - s.overloadTs >= c.overloadTimeout * 1000) idle();
  return s;
}

function snap(h: HostState): Snap {
  const { vsucc, verr, rsucc, rerr, continSucc, continErr, idleTs, overloadTs, overload } = h;
  return { vsucc, verr, rsucc, rerr, continSucc, continErr, idleTs, overloadTs, overload };
}

describe("RouteBalancer properties", () => {
  it("every report follows the rules; lists partition the hosts and match the overload flag", () => {
    fc.assert(
      fc.property(configArb, fc.array(opArb, { maxLength: 300 }), (partial, ops) => {
        const c = resolveLoadBalanceConfig(partial);
        const rb = new RouteBalancer(1, 1, c);
        let now = 1000;
        rb.update(HOSTS, now);
        for (const op of ops) {
          if (op.kind === "report") {
            now += op.dt;
            const host = HOSTS[op.host]!;
            const before = snap(rb.host(host.ip, host.port)!);
            rb.report(host, op.succ ? RetCode.SUCC : RetCode.SYSTEM_ERROR, now);
            expect(snap(rb.host(host.ip, host.port)!)).toEqual(expectedAfterReport(c, before, op.succ, now));
          } else {
            const r = rb.pick(now);
            if (r.retcode === RetCode.SUCC) expect(rb.host(r.host!.ip, r.host!.port)!.overload).toBe(r.probe === true);
            else expect(r.retcode).toBe(RetCode.OVERLOAD);
          }
          const idle = rb.idleHosts();
          const over = rb.overloadedHosts();
          expect(idle.length + over.length).toBe(HOSTS.length);
          for (const h of idle) expect(rb.host(h.ip, h.port)!.overload).toBe(false);
          for (const h of over) expect(rb.host(h.ip, h.port)!.overload).toBe(true);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("with overloaded hosts present, exactly one pick in probe_num + 1 probes", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 5 }), (probeNum, idleCount, rounds) => {
        const c = resolveLoadBalanceConfig({ probeNum, continErrLimit: 1 });
        const rb = new RouteBalancer(1, 1, c);
        rb.update(HOSTS, 0);
        // overload the hosts beyond idleCount
        for (let i = idleCount; i < HOSTS.length; i++) rb.report(HOSTS[i]!, 1, 0);
        const picks = Array.from({ length: rounds * (probeNum + 1) }, () => rb.pick(0));
        expect(picks.filter((p) => p.probe === true)).toHaveLength(rounds);
        const others = picks.filter((p) => p.probe !== true);
        if (idleCount === 0) expect(others.every((p) => p.retcode === RetCode.OVERLOAD)).toBe(true);
        else expect(others.every((p) => p.retcode === RetCode.SUCC && !rb.host(p.host!.ip, p.host!.port)!.overload)).toBe(true);
      }),
    );
  });

  it("updates keep the host map and the lists equal to the update's host set", () => {
    const setArb = fc.uniqueArray(fc.integer({ min: 0, max: 6 }), { maxLength: 7 });
    fc.assert(
      fc.property(fc.array(fc.tuple(setArb, fc.array(fc.integer({ min: 0, max: 6 }), { maxLength: 20 })), { maxLength: 10 }), (steps) => {
        const c = resolveLoadBalanceConfig({ continErrLimit: 2 });
        const rb = new RouteBalancer(1, 1, c);
        for (const [ids, fails] of steps) {
          const hosts = ids.map((i) => ({ ip: i, port: i }));
          rb.update(hosts, 0);
          for (const f of fails) rb.report({ ip: f, port: f }, 1, 0);
          const all = rb.allHosts().map((h) => h.ip).sort();
          expect(all).toEqual([...ids].sort());
          expect(rb.size).toBe(ids.length);
        }
      }),
    );
  });
});
