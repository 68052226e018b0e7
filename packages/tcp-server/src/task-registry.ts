import { LarsError } from "@lars/iobuf";

/**
 * Runs a named task (C++ Lars `task_func`) on a worker's loop. May be
 * `async`: a rejection is reported exactly like a throw
 * (`LARS_TASK_FAILED`) and never crashes the process.
 */
export type TaskHandler = (payload: unknown) => void | Promise<void>;

/**
 * A task name sent that no process registered; a task handler that threw or
 * rejected; or (`LARS_TASK_BACKLOG`) a worker's IPC channel holding
 * `maxPendingTasks` unsent tasks already.
 */
export class TaskError extends LarsError {
  override readonly name = "TaskError";
  constructor(code: "LARS_TASK_UNKNOWN" | "LARS_TASK_FAILED" | "LARS_TASK_DUPLICATE" | "LARS_TASK_BACKLOG", readonly task: string, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}

/** Where {@link TaskRegistry.run} reports a task that failed later (its promise rejected). */
export type TaskFailureReporter = (err: TaskError) => void;

function describe(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Named task handlers of one server. */
export class TaskRegistry {
  private readonly handlers = new Map<string, TaskHandler>();

  register(name: string, handler: TaskHandler): void {
    if (this.handlers.has(name)) throw new TaskError("LARS_TASK_DUPLICATE", name, `task "${name}" already has a handler`);
    this.handlers.set(name, handler);
  }

  /**
   * Run `name` now; returns the error to report at once, if any. A handler
   * whose promise rejects is reported later through `report`, the same
   * {@link TaskError} a throw gives (never an unhandled rejection).
   */
  run(name: string, payload: unknown, report: TaskFailureReporter): TaskError | undefined {
    const handler = this.handlers.get(name);
    if (handler === undefined) return new TaskError("LARS_TASK_UNKNOWN", name, `no handler for task "${name}"`);
    let result: unknown;
    try {
      result = handler(payload);
    } catch (err) {
      return new TaskError("LARS_TASK_FAILED", name, `task "${name}" threw: ${describe(err)}`, err);
    }
    if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === "function") {
      (result as PromiseLike<void>).then(undefined, (err: unknown) => {
        try {
          report(new TaskError("LARS_TASK_FAILED", name, `task "${name}" rejected: ${describe(err)}`, err));
        } catch {
          // The reporter is the last resort: a throwing one must not become an unhandled rejection.
        }
      });
    }
    return undefined;
  }
}
