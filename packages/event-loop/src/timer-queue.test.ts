import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { TimerQueue } from "./timer-queue.js";

const noReport = (err: unknown): void => {
  throw err;
};

describe("TimerQueue (fake timers)", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it("fires timers in due-time order, equal due times in insertion order", () => {
    const q = new TimerQueue(noReport);
    const fired: string[] = [];
    q.schedule(30, 0, () => fired.push("c30"));
    q.schedule(10, 0, () => fired.push("a10"));
    q.schedule(20, 0, () => fired.push("b20-1"));
    q.schedule(20, 0, () => fired.push("b20-2"));
    q.schedule(10, 0, () => fired.push("a10-2"));
    vi.advanceTimersByTime(9);
    expect(fired).toEqual([]);
    vi.advanceTimersByTime(30);
    expect(fired).toEqual(["a10", "a10-2", "b20-1", "b20-2", "c30"]);
    expect(q.size).toBe(0);
    expect(q.fired).toBe(5);
  });

  it("a timer queued by a callback never fires in the same drain, even with delay 0", () => {
    const q = new TimerQueue(noReport);
    const fired: number[] = [];
    q.schedule(5, 0, () => {
      fired.push(1);
      q.schedule(0, 0, () => fired.push(2));
      expect(fired).toEqual([1]);
    });
    vi.advanceTimersByTime(5);
    expect(fired).toEqual([1]);
    expect(q.size).toBe(1);
    vi.advanceTimersByTime(1); // the next Node timer turn (Node, like the fake clock, makes 0 ms at least 1 ms)
    expect(fired).toEqual([1, 2]);
  });

  it("periodic timer that fell behind fires once late, then skips to the next future slot (no burst)", () => {
    // The queue's clock runs ahead of the fake Node timers when a callback "blocks":
    // a skew added inside the callback models a callback that took 350 ms.
    let skew = 0;
    const q = new TimerQueue(noReport, () => performance.now() + skew);
    const start = q.now();
    const at: number[] = [];
    q.schedule(100, 100, () => {
      at.push(q.now() - start);
      if (at.length === 1) skew += 350;
    });
    vi.advanceTimersByTime(300 - skew); // clock reaches ~650
    // slot 100 on time; slot 200 late (at ~450); slots 300 and 400 skipped; then 500, 600.
    expect(at[0]).toBe(100);
    expect(at[1]).toBeGreaterThanOrEqual(450);
    expect(at[1]).toBeLessThan(500);
    expect(at.slice(2)).toEqual([500, 600]);
    expect(q.size).toBe(1);
    q.clear();
    expect(q.size).toBe(0);
  });

  it("periodic timers keep fixed slots (no drift)", () => {
    const q = new TimerQueue(noReport);
    const start = q.now();
    const at: number[] = [];
    q.schedule(7, 7, () => at.push(q.now() - start));
    vi.advanceTimersByTime(70);
    expect(at).toEqual([7, 14, 21, 28, 35, 42, 49, 56, 63, 70]);
    q.clear();
  });

  it("delays beyond setTimeout's 2^31-1 ms limit are re-armed in steps, not fired early", () => {
    const q = new TimerQueue(noReport);
    let fired = false;
    const big = 2 ** 31 + 5000;
    q.schedule(big, 0, () => (fired = true));
    vi.advanceTimersByTime(2 ** 31 - 1);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(big - (2 ** 31 - 1) - 1);
    expect(fired).toBe(false);
    vi.advanceTimersByTime(1);
    expect(fired).toBe(true);
  });

  it("cancel removes at once, is idempotent, and active tracks the state", () => {
    const q = new TimerQueue(noReport);
    const fired: number[] = [];
    const a = q.schedule(10, 0, () => fired.push(1));
    const b = q.schedule(10, 0, () => fired.push(2));
    const p = q.schedule(5, 5, () => {
      fired.push(3);
      expect(p.active).toBe(true); // periodic: active inside its own callback
      expect(p.cancel()).toBe(true); // and may cancel itself there
    });
    expect(q.size).toBe(3);
    expect(a.cancel()).toBe(true);
    expect(a.cancel()).toBe(false);
    expect(a.active).toBe(false);
    expect(q.size).toBe(2);
    vi.advanceTimersByTime(20);
    expect(fired).toEqual([3, 2]);
    expect(b.active).toBe(false);
    expect(b.cancel()).toBe(false);
    expect(q.size).toBe(0);
  });

  it("holds no Node timer when nothing is pending", () => {
    const q = new TimerQueue(noReport);
    const t = q.schedule(1000, 0, () => undefined);
    expect(vi.getTimerCount()).toBe(1);
    t.cancel();
    expect(vi.getTimerCount()).toBe(0);
    q.schedule(1000, 50, () => undefined);
    q.schedule(10, 0, () => undefined);
    expect(vi.getTimerCount()).toBe(1);
    q.clear();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("property: random add/cancel/advance sequences fire in due-time order, each live timer once, on time", () => {
    type Op =
      | { kind: "add"; delay: number; period: number }
      | { kind: "cancel"; pick: number }
      | { kind: "advance"; ms: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant("add" as const), delay: fc.integer({ min: 0, max: 300 }), period: fc.constant(0) }),
      fc.record({ kind: fc.constant("add" as const), delay: fc.integer({ min: 0, max: 300 }), period: fc.integer({ min: 1, max: 200 }) }),
      fc.record({ kind: fc.constant("cancel" as const), pick: fc.nat() }),
      fc.record({ kind: fc.constant("advance" as const), ms: fc.integer({ min: 0, max: 150 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 120 }), (ops) => {
        vi.clearAllTimers();
        const q = new TimerQueue(noReport);
        interface Model {
          id: number;
          due: number;
          seq: number;
          period: number;
          cancelled: boolean;
          fires: number;
          handle: ReturnType<TimerQueue["schedule"]>;
        }
        const model: Model[] = [];
        const log: { id: number; due: number; seq: number; at: number }[] = [];
        let seq = 0;
        const livePending = (m: Model): boolean => !m.cancelled && (m.period > 0 || m.fires === 0);
        for (const o of ops) {
          if (o.kind === "add") {
            const id = model.length;
            const m = { id, due: q.now() + o.delay, seq: seq++, period: o.period, cancelled: false, fires: 0 } as Model;
            m.handle = q.schedule(o.delay, o.period, () => {
              log.push({ id, due: m.due, seq: m.seq, at: q.now() });
              m.fires++;
              if (m.period > 0) {
                m.due += m.period;
                m.seq = seq++;
              }
            });
            model.push(m);
          } else if (o.kind === "cancel") {
            const m = model[o.pick % Math.max(1, model.length)];
            if (m === undefined) continue;
            expect(m.handle.cancel()).toBe(livePending(m));
            m.cancelled = true;
          } else {
            vi.advanceTimersByTime(o.ms);
          }
          // Accurate pending count, and nothing live is overdue.
          expect(q.size).toBe(model.filter(livePending).length);
          // Right after an advance, nothing live may be due any more.
          const now = q.now();
          for (const m of model) {
            if (livePending(m)) expect(o.kind === "advance" ? m.due > now : m.due >= now).toBe(true);
          }
        }
        vi.advanceTimersByTime(400);
        // Order: by due time, ties by queue order; never early.
        for (let i = 1; i < log.length; i++) {
          const a = log[i - 1]!;
          const b = log[i]!;
          expect(a.due < b.due || (a.due === b.due && a.seq < b.seq)).toBe(true);
        }
        for (const e of log) expect(e.at).toBe(e.due);
        for (const m of model) {
          if (m.period === 0) expect(m.fires).toBeLessThanOrEqual(1);
          if (m.period === 0 && !m.cancelled) expect(m.fires).toBe(1);
        }
        q.clear();
        expect(vi.getTimerCount()).toBe(0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("TimerQueue (real timers)", () => {
  it("10,000 timers cost one Node timer", () => {
    const countTimeouts = (): number => process.getActiveResourcesInfo().filter((r) => r === "Timeout").length;
    const base = countTimeouts();
    const spy = vi.spyOn(globalThis, "setTimeout");
    try {
      const q = new TimerQueue(noReport);
      for (let i = 0; i < 10_000; i++) q.schedule(60_000 + i, 0, () => undefined);
      expect(spy).toHaveBeenCalledTimes(1);
      // Reverse order re-arms, but still only one Node timer is alive.
      for (let i = 0; i < 10_000; i++) q.schedule(59_000 - i * 0.01, i % 2 === 0 ? 0 : 1000, () => undefined);
      expect(q.size).toBe(20_000);
      expect(countTimeouts() - base).toBe(1);
      q.clear();
      expect(countTimeouts() - base).toBe(0);
    } finally {
      spy.mockRestore();
    }
  });
});
