import type { Logger } from "@lars/iobuf";
import { InvalidArgumentError } from "./errors.js";

/** Default for {@link EventLoopOptions.stopDeadlineMs}: 5 s. */
export const DEFAULT_STOP_DEADLINE_MS = 5000;
/** Default for {@link EventLoopOptions.monitorDelay}. */
export const DEFAULT_MONITOR_DELAY = true;
/** Sampling resolution of the loop-delay monitor, in ms (Node's own default). */
export const DEFAULT_DELAY_RESOLUTION_MS = 10;
/**
 * How long past its deadline `stop()` still waits for an owned resource's
 * `close` before reporting a {@link CloseTimeoutError} and going on, in ms.
 */
export const DEFAULT_STOP_GRACE_MS = 250;

/** Where a reported error came from. A failing resource `close` during `stop()` counts as `"task"`. */
export type LoopErrorSource = "task" | "timer";

/** Options of {@link EventLoop}. Every field is optional. */
export interface EventLoopOptions {
  /**
   * Where the loop reports what it may not throw. The loop never prints on
   * its own. Used for task/timer errors only when `onError` is not given.
   */
  logger?: Logger;
  /**
   * Called with every error a task, a timer callback or an owned resource's
   * `close` threw or rejected with. Takes precedence over `logger`. If it
   * throws itself, that error is rethrown asynchronously (an
   * `uncaughtException`). Called from inside the loop turn that failed.
   */
  onError?: (err: unknown, source: LoopErrorSource) => void;
  /** Deadline passed to each owned resource's `close` by `stop()` without an argument, in ms. Default 5000. */
  stopDeadlineMs?: number;
  /** Sample loop delay with `perf_hooks.monitorEventLoopDelay` for `stats().delay`. Default true. */
  monitorDelay?: boolean;
}

/** {@link EventLoopOptions} with defaults applied and every field checked. */
export interface ResolvedEventLoopOptions {
  readonly logger: Logger | undefined;
  readonly onError: ((err: unknown, source: LoopErrorSource) => void) | undefined;
  readonly stopDeadlineMs: number;
  readonly monitorDelay: boolean;
}

/**
 * Checks a duration in ms: a finite number, >= 0 (or > 0 when `positive`).
 * Returns it; throws {@link InvalidArgumentError} naming `field` otherwise.
 */
export function checkMs(field: string, value: unknown, positive = false): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new InvalidArgumentError(field, `must be a finite number of milliseconds, got ${describe(value)}`);
  }
  if (positive ? value <= 0 : value < 0) {
    throw new InvalidArgumentError(field, `must be ${positive ? "> 0" : ">= 0"} ms, got ${value}`);
  }
  return value;
}

/** Throws {@link InvalidArgumentError} naming `field` unless `value` is a function. */
export function checkFunction(field: string, value: unknown): void {
  if (typeof value !== "function") {
    throw new InvalidArgumentError(field, `must be a function, got ${describe(value)}`);
  }
}

/**
 * Merges `options` with the defaults and validates every field; throws
 * {@link InvalidArgumentError} naming the first bad field
 * (`options.stopDeadlineMs`, ...). Unknown fields are ignored.
 */
export function resolveEventLoopOptions(options: EventLoopOptions | undefined): ResolvedEventLoopOptions {
  if (options === undefined) {
    return { logger: undefined, onError: undefined, stopDeadlineMs: DEFAULT_STOP_DEADLINE_MS, monitorDelay: DEFAULT_MONITOR_DELAY };
  }
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError("options", `must be an object, got ${describe(options)}`);
  }
  const { logger, onError, stopDeadlineMs, monitorDelay } = options;
  if (logger !== undefined) {
    if (typeof logger !== "object" || logger === null || typeof logger.error !== "function") {
      throw new InvalidArgumentError("options.logger", "must be an object with an error(message, meta) method");
    }
  }
  if (onError !== undefined) checkFunction("options.onError", onError);
  if (monitorDelay !== undefined && typeof monitorDelay !== "boolean") {
    throw new InvalidArgumentError("options.monitorDelay", `must be a boolean, got ${describe(monitorDelay)}`);
  }
  return {
    logger,
    onError,
    stopDeadlineMs:
      stopDeadlineMs === undefined ? DEFAULT_STOP_DEADLINE_MS : checkMs("options.stopDeadlineMs", stopDeadlineMs),
    monitorDelay: monitorDelay ?? DEFAULT_MONITOR_DELAY,
  };
}

function describe(value: unknown): string {
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  return value === null ? "null" : typeof value;
}
