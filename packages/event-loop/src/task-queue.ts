/** A queued task as stored: called with its argument (`undefined` for the no-argument form). */
export type StoredTask = (arg: unknown) => unknown;

/**
 * The ready-task queue of one loop (Lars `add_task`).
 *
 * Tasks run in batches, one batch per Node loop turn, in the check phase
 * (`setImmediate`) — that is after the I/O callbacks of the current turn.
 * One immediate is scheduled when the first task of a batch is queued, never
 * one per task. A task queued while a batch runs goes into the next batch:
 * the queue is swapped before the batch starts. Functions and arguments are
 * kept in parallel arrays, so queuing allocates no object per task.
 *
 * A task that throws, or returns a promise that rejects, is handed to
 * `report` and the rest of the batch still runs. `report` must not throw.
 */
export class TaskQueue {
  #fns: StoredTask[] = [];
  #args: unknown[] = [];
  /** The arrays of the previous batch, emptied, reused for the next swap. */
  #spareFns: StoredTask[] = [];
  #spareArgs: unknown[] = [];
  #immediate: NodeJS.Immediate | null = null;
  /** Tasks of the running batch not started yet. */
  #batchLeft = 0;
  #tasksRun = 0;
  #idleWaiters: (() => void)[] = [];
  readonly #report: (err: unknown) => void;

  constructor(report: (err: unknown) => void) {
    this.#report = report;
  }

  /** Queues `fn(arg)` for the next batch. O(1); allowed from inside a task (it runs in the next batch). */
  push(fn: StoredTask, arg: unknown): void {
    this.#fns.push(fn);
    this.#args.push(arg);
    if (this.#immediate === null) this.#immediate = setImmediate(this.#runBatch);
  }

  /** Tasks queued and not started yet, including the rest of a running batch. */
  get pending(): number {
    return this.#fns.length + this.#batchLeft;
  }

  /** Tasks started so far (a task that threw counts). */
  get tasksRun(): number {
    return this.#tasksRun;
  }

  /**
   * Resolves once no task is pending and no batch is scheduled. Resolves at
   * once when the queue is already idle. A task queued later is not waited for
   * unless it is queued before the batch in flight ends.
   */
  whenIdle(): Promise<void> {
    if (this.#immediate === null && this.pending === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  readonly #runBatch = (): void => {
    this.#immediate = null;
    const fns = this.#fns;
    const args = this.#args;
    this.#fns = this.#spareFns;
    this.#args = this.#spareArgs;
    const n = fns.length;
    this.#batchLeft = n;
    for (let i = 0; i < n; i++) {
      const fn = fns[i]!;
      const arg = args[i];
      this.#batchLeft--;
      this.#tasksRun++;
      try {
        const result = fn(arg) as PromiseLike<unknown> | undefined;
        // An async task's rejection goes the same way as a throw; the reporter is pre-bound (no closure per task).
        if (result !== undefined && result !== null && typeof result.then === "function") result.then(undefined, this.#report);
      } catch (err) {
        this.#report(err);
      }
    }
    // Drop the references the batch held, keep the arrays for the next swap.
    fns.length = 0;
    args.length = 0;
    this.#spareFns = fns;
    this.#spareArgs = args;
    if (this.#immediate === null && this.#idleWaiters.length > 0) {
      const waiters = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };
}
