import { describe, expect, it } from "vitest";
import { MAX_TIMER_DELAY_MS, backoffDelay, baseDelay, reconnectDelay } from "./backoff.js";
import type { BackoffPolicy } from "./backoff.js";

const policy: BackoffPolicy = { initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2, maxAttempts: Infinity, delay: undefined };
const err = new Error("refused");

describe("backoff", () => {
  it("grows by factor from initialDelayMs and is capped at maxDelayMs", () => {
    const bases = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map((a) => baseDelay(a, policy));
    expect(bases).toEqual([500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000, 30_000]);
  });

  it("jitter only shortens: the delay lies in [base*(1-jitter), base]", () => {
    for (let attempt = 1; attempt <= 12; attempt++) {
      const base = baseDelay(attempt, policy);
      expect(backoffDelay(attempt, policy, () => 0)).toBe(base);
      expect(backoffDelay(attempt, policy, () => 0.999999)).toBeCloseTo(base * 0.8, 0);
      for (let i = 0; i < 50; i++) {
        const d = backoffDelay(attempt, policy);
        expect(d).toBeGreaterThanOrEqual(base * 0.8);
        expect(d).toBeLessThanOrEqual(base);
      }
    }
  });

  it("each jittered delay is longer than the one before until the cap (factor*(1-jitter) > 1)", () => {
    let prevMax = 0;
    for (let attempt = 1; attempt <= 6; attempt++) {
      const lowest = backoffDelay(attempt, policy, () => 0.999999);
      expect(lowest).toBeGreaterThan(prevMax);
      prevMax = backoffDelay(attempt, policy, () => 0);
    }
  });

  it("never overflows: huge attempt numbers stay at the cap", () => {
    expect(baseDelay(10_000, policy)).toBe(30_000);
    expect(baseDelay(10_000, { ...policy, factor: 10 })).toBe(30_000);
  });

  it("jitter 0 gives exact delays; factor 1 gives a constant delay", () => {
    expect(backoffDelay(3, { ...policy, jitter: 0 }, () => 0.7)).toBe(2000);
    expect(backoffDelay(9, { ...policy, factor: 1, jitter: 0 })).toBe(500);
  });

  it("a user delay function replaces the formula and gets attempt and lastError", () => {
    const seen: [number, Error][] = [];
    const p = { ...policy, delay: (a: number, e: Error) => (seen.push([a, e]), a * 7) };
    expect(reconnectDelay(3, err, p)).toBe(21);
    expect(seen).toEqual([[3, err]]);
  });

  it("a user delay function returning garbage is refused (the connector then falls back)", () => {
    for (const bad of [-1, NaN, Infinity, "5" as unknown as number]) {
      expect(() => reconnectDelay(1, err, { ...policy, delay: () => bad })).toThrow(RangeError);
    }
    expect(reconnectDelay(1, err, { ...policy, delay: () => 1e12 })).toBe(MAX_TIMER_DELAY_MS);
  });
});
