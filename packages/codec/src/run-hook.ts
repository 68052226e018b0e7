import { LarsError } from "@lars/iobuf";

function describe(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** How a hook failed: it threw, or the promise it returned rejected. */
export type HookFailureKind = "threw" | "rejected";

/**
 * A user hook (or user callback such as a reconnect `delay` function) threw
 * or rejected (`LARS_HOOK_ERROR`); `cause` is what it threw or rejected
 * with. The one hook error class of every Lars package.
 */
export class HookError extends LarsError {
  override readonly name = "HookError";
  constructor(
    /** The hook's name, e.g. `"onConnStart"`. */
    readonly hook: string,
    cause: unknown,
    /** Whether it threw synchronously or its promise rejected. */
    readonly kind: HookFailureKind = "threw",
  ) {
    super("LARS_HOOK_ERROR", `${hook} ${kind}: ${describe(cause)}`, { cause });
  }
}

/** Where {@link runHook} sends a failure. It should not throw; if it does, that error is swallowed. */
export type HookFailureReporter = (err: HookError) => void;

/** Anything that looks like a promise (has a `then` method). */
interface Thenable {
  then(onFulfilled: undefined, onRejected: (reason: unknown) => void): unknown;
}

function isThenable(value: unknown): value is Thenable {
  return value !== undefined && value !== null && typeof (value as { then?: unknown }).then === "function";
}

/**
 * Report that hook `hook` failed with `cause`: wraps it in a
 * {@link HookError} (unless it is one already) and hands it to `report`.
 * Never throws, whatever `report` does.
 */
export function reportHookFailure(hook: string, cause: unknown, report: HookFailureReporter, kind: HookFailureKind = "threw"): void {
  const err = cause instanceof HookError ? cause : new HookError(hook, cause, kind);
  try {
    report(err);
  } catch {
    // The reporter is the last resort; a throwing reporter must not take the process down.
  }
}

/**
 * Call user hook `fn(...args)` under the one Lars hook-failure policy: a
 * synchronous throw and a rejection of the promise it returns are both
 * handed to `report` as a {@link HookError}; nothing propagates and nothing
 * becomes an unhandled rejection. `fn` undefined is a no-op. Returns what
 * `fn` returned synchronously (undefined when it threw).
 *
 * A hook that returns nothing allocates nothing here beyond the call; a
 * closure is made only for a returned promise.
 */
export function runHook<A extends unknown[]>(
  hook: string,
  fn: ((...args: A) => unknown) | undefined,
  report: HookFailureReporter,
  ...args: A
): unknown {
  if (fn === undefined) return undefined;
  let result: unknown;
  try {
    result = fn(...args);
  } catch (err) {
    reportHookFailure(hook, err, report, "threw");
    return undefined;
  }
  if (isThenable(result)) {
    result.then(undefined, (err: unknown) => reportHookFailure(hook, err, report, "rejected"));
  }
  return result;
}
