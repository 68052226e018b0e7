/**
 * Reconnect delays: capped exponential backoff with jitter. Pure functions,
 * no timers — the {@link Connector} schedules what these compute.
 */

/** A user function computing the delay before reconnect attempt `attempt` (1, 2, ...), in ms. */
export type ReconnectDelayFn = (attempt: number, lastError: Error) => number;

/** Backoff settings with defaults filled in (see `ReconnectOptions` for each field). */
export interface BackoffPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly maxAttempts: number;
  readonly delay: ReconnectDelayFn | undefined;
}

/** Longest delay a loop timer takes, ms (Node's setTimeout limit). */
export const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/**
 * The delay before attempt `attempt` (1-based) without jitter:
 * `min(maxDelayMs, initialDelayMs * factor^(attempt-1))`.
 */
export function baseDelay(attempt: number, policy: BackoffPolicy): number {
  const raw = policy.initialDelayMs * policy.factor ** Math.max(0, attempt - 1);
  return Math.min(policy.maxDelayMs, Number.isFinite(raw) ? raw : policy.maxDelayMs);
}

/**
 * The jittered exponential delay before attempt `attempt` (1-based), ms.
 * Jitter only shortens: the result lies in `[base * (1 - jitter), base]`, so
 * `maxDelayMs` is a true cap and, with `factor * (1 - jitter) > 1`, each
 * delay is longer than the one before until the cap is reached.
 * @param random a source of numbers in [0, 1); `Math.random` by default.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const base = baseDelay(attempt, policy);
  const r = Math.min(1, Math.max(0, random()));
  return base * (1 - policy.jitter * r);
}

/**
 * The delay to wait before attempt `attempt`: the user's `delay` function when
 * given, else {@link backoffDelay}. Clamped to `0..MAX_TIMER_DELAY_MS`.
 * @throws whatever the user's function throws, or RangeError when it returns
 *   something other than a finite number >= 0 (the caller reports it and
 *   falls back to {@link backoffDelay}).
 */
export function reconnectDelay(attempt: number, lastError: Error, policy: BackoffPolicy, random?: () => number): number {
  if (policy.delay === undefined) return Math.min(MAX_TIMER_DELAY_MS, backoffDelay(attempt, policy, random));
  const ms = policy.delay(attempt, lastError);
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`reconnect.delay returned ${String(ms)} for attempt ${attempt}; expected a finite number >= 0`);
  }
  return Math.min(MAX_TIMER_DELAY_MS, ms);
}
