import { InvalidArgumentError } from "@lars/iobuf";

/**
 * The `[loadbalance]` settings of the agent (the C++ agent's keys, in camelCase).
 * Times are in seconds, as in the C++ configuration file.
 */
export interface LoadBalanceConfig {
  /** One pick in `probeNum + 1` probes an overloaded host. */
  readonly probeNum: number;
  /** `vsucc` a host starts with when it (re)joins the idle list. */
  readonly initSuccCnt: number;
  /** `verr` a host starts with when it goes to the overload list. */
  readonly initErrCnt: number;
  /** An idle host goes to overload when `verr / (vsucc + verr)` exceeds this. */
  readonly errRate: number;
  /** An overloaded host goes idle when `vsucc / (vsucc + verr)` exceeds this. */
  readonly succRate: number;
  /** An idle host goes to overload after this many failures in a row. */
  readonly continErrLimit: number;
  /** An overloaded host goes idle after this many successes in a row. */
  readonly continSuccLimit: number;
  /** At the end of an idle window, `rerr / (rsucc + rerr) >= windowErrRate` overloads the host. */
  readonly windowErrRate: number;
  /** Length of an idle host's window, seconds. */
  readonly idleTimeout: number;
  /** An overloaded host goes idle at its first report this many seconds after it was overloaded. */
  readonly overloadTimeout: number;
  /** A route is pulled again when it is this many seconds older than its last update. */
  readonly updateTimeout: number;
  /** How long "this route does not exist" is remembered, seconds (not in the C++ agent). */
  readonly noexistTimeout: number;
}

/** The defaults of the C++ agent (plus `noexistTimeout` = 1 s). */
export const DEFAULT_LOAD_BALANCE_CONFIG: LoadBalanceConfig = Object.freeze({
  probeNum: 10,
  initSuccCnt: 180,
  initErrCnt: 5,
  errRate: 0.1,
  succRate: 0.95,
  continErrLimit: 15,
  continSuccLimit: 15,
  windowErrRate: 0.7,
  idleTimeout: 15,
  overloadTimeout: 15,
  updateTimeout: 15,
  noexistTimeout: 1,
});

const INTEGER_KEYS = ["probeNum", "initSuccCnt", "initErrCnt", "continErrLimit", "continSuccLimit"] as const;
const RATE_KEYS = ["errRate", "succRate", "windowErrRate"] as const;
const SECONDS_KEYS = ["idleTimeout", "overloadTimeout", "updateTimeout", "noexistTimeout"] as const;

/**
 * Fills in defaults and validates.
 * @throws InvalidArgumentError (code `LARS_INVALID_ARGUMENT`) for a value out of range.
 */
export function resolveLoadBalanceConfig(partial: Partial<LoadBalanceConfig> = {}): LoadBalanceConfig {
  const merged: LoadBalanceConfig = { ...DEFAULT_LOAD_BALANCE_CONFIG };
  for (const [key, value] of Object.entries(partial)) {
    if (value !== undefined && key in DEFAULT_LOAD_BALANCE_CONFIG) {
      (merged as unknown as Record<string, number>)[key] = value;
    }
  }
  for (const key of INTEGER_KEYS) {
    const v = merged[key];
    if (!Number.isInteger(v) || v < 0) throw new InvalidArgumentError(key, `must be a non-negative integer, got ${v}`);
  }
  for (const key of RATE_KEYS) {
    const v = merged[key];
    if (!Number.isFinite(v) || v < 0 || v > 1) throw new InvalidArgumentError(key, `must be within 0..1, got ${v}`);
  }
  for (const key of SECONDS_KEYS) {
    const v = merged[key];
    if (!Number.isFinite(v) || v < 0) throw new InvalidArgumentError(key, `must be a non-negative number of seconds, got ${v}`);
  }
  return Object.freeze(merged);
}
