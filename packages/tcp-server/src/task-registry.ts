import { LarsError } from "@lars/iobuf";

/** Runs a named async task (C++ Lars `task_func`) on a worker's loop. */
export type TaskHandler = (payload: unknown) => void;

/** A task name sent that no process registered; or a task handler that threw. */
export class TaskError extends LarsError {
  override readonly name = "TaskError";
  constructor(code: "LARS_TASK_UNKNOWN" | "LARS_TASK_FAILED" | "LARS_TASK_DUPLICATE", readonly task: string, message: string, cause?: unknown) {
    super(code, message, { cause });
  }
}

/** Named task handlers of one server. */
export class TaskRegistry {
  private readonly handlers = new Map<string, TaskHandler>();

  register(name: string, handler: TaskHandler): void {
    if (this.handlers.has(name)) throw new TaskError("LARS_TASK_DUPLICATE", name, `task "${name}" already has a handler`);
    this.handlers.set(name, handler);
  }

  /** Run `name` now; returns the error to report, if any. */
  run(name: string, payload: unknown): TaskError | undefined {
    const handler = this.handlers.get(name);
    if (handler === undefined) return new TaskError("LARS_TASK_UNKNOWN", name, `no handler for task "${name}"`);
    try {
      handler(payload);
      return undefined;
    } catch (err) {
      return new TaskError("LARS_TASK_FAILED", name, `task "${name}" threw: ${String(err)}`, err);
    }
  }
}
