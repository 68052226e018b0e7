import { LarsError } from "@lars/iobuf";

/**
 * A call the loop can no longer honour because it has stopped: `addTask`,
 * `runAfter`, `runEvery`, `runAt` or `own` after `stop()` finished.
 * While the loop is only *stopping* these calls are still accepted (closing
 * resources need tasks and timers), see {@link EventLoop.stop}.
 */
export class LoopStoppedError extends LarsError {
  override readonly name = "LoopStoppedError";
  /** The refused call, e.g. `"addTask"`. */
  readonly operation: string;
  constructor(operation: string) {
    super("LARS_LOOP_STOPPED", `${operation}: the event loop has stopped`);
    this.operation = operation;
  }
}

export { InvalidArgumentError } from "@lars/iobuf";

/**
 * An owned resource whose `close(deadlineMs)` had not settled when the stop
 * deadline (plus a short grace period) ran out. It is reported through the
 * loop's error handling (source `"task"`) and abandoned: `stop()` goes on
 * and resolves instead of hanging on it.
 */
export class CloseTimeoutError extends LarsError {
  override readonly name = "CloseTimeoutError";
  /** The deadline that was passed to the resource's `close`, in ms. */
  readonly deadlineMs: number;
  constructor(deadlineMs: number) {
    super("LARS_CLOSE_TIMEOUT", `an owned resource did not finish close(${deadlineMs}) within its deadline; abandoned`);
    this.deadlineMs = deadlineMs;
  }
}
