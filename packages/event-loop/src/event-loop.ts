import type { Logger } from "@lars/iobuf";
import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";
import { InvalidArgumentError, LoopStoppedError } from "./errors.js";
import {
  checkFunction,
  checkMs,
  DEFAULT_DELAY_RESOLUTION_MS,
  resolveEventLoopOptions,
  type EventLoopOptions,
  type LoopErrorSource,
  type ResolvedEventLoopOptions,
} from "./options.js";
import { ResourceScope, type LoopResource } from "./resource-scope.js";
import { TaskQueue, type StoredTask } from "./task-queue.js";
import { TimerQueue, type TimerHandle } from "./timer-queue.js";

/** Loop delay from `perf_hooks.monitorEventLoopDelay`, in ms. */
export interface EventLoopDelayStats {
  readonly minMs: number;
  readonly meanMs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** A snapshot returned by {@link EventLoop.stats}. */
export interface EventLoopStats {
  /** Tasks started since the loop was created (a throwing task counts). */
  readonly tasksRun: number;
  /** Tasks queued and not started yet. */
  readonly tasksPending: number;
  /** Timers pending; a periodic timer counts once. */
  readonly timersPending: number;
  /** Timer callbacks started; each firing of a periodic timer counts. */
  readonly timersFired: number;
  /** Resources currently owned (registered and not yet closed or disowned). */
  readonly ownedResources: number;
  /** Loop delay since creation; null when `monitorDelay` is false or no sample was taken yet. */
  readonly delay: EventLoopDelayStats | null;
}

const RUNNING = 0;
const STOPPING = 1;
const STOPPED = 2;
const NS_PER_MS = 1e6;

/**
 * A task or timer callback: sync, or `async` (a rejection is reported like a throw).
 */
export type LoopCallback = (() => void) | (() => Promise<void>);

function rethrow(err: unknown): never {
  throw err;
}

/**
 * The Lars `event_loop` contract on Node's own event loop. libuv already
 * polls with epoll; this class does not poll. It adds, per loop:
 *
 * - a ready-task queue run in one batch per Node loop turn (`addTask`);
 * - timers in one heap driven by one Node timer (`runAfter`, `runEvery`, `runAt`);
 * - ownership of servers, clients and connections, so `stop()` closes them all;
 * - `run()`, a promise that resolves once the loop has stopped.
 *
 * The loop is live from construction: tasks and timers work without `run()`.
 * Neither `run()` nor an idle loop keeps the process alive; a pending timer
 * does (its one Node timer is referenced), and so do owned sockets.
 *
 * Errors: a throwing task or timer never stops the loop nor skips the rest
 * of its batch. Tasks and timer callbacks may be `async`: a rejection of the
 * promise they return is reported exactly like a throw (never an unhandled
 * rejection). The error goes to `options.onError` if given; otherwise to
 * `options.logger.error(...)` if given; otherwise it is rethrown
 * asynchronously right after the batch (`process.nextTick`), so it surfaces
 * as an `uncaughtException` like any Node callback error.
 *
 * Lifecycle: running → stopping (from the first `stop()`) → stopped. While
 * stopping, tasks and timers are still accepted. Once stopped, `addTask`,
 * `runAfter`, `runEvery`, `runAt` and `own` throw {@link LoopStoppedError}
 * (`LARS_LOOP_STOPPED`).
 */
export class EventLoop {
  readonly #options: ResolvedEventLoopOptions;
  readonly #tasks: TaskQueue;
  readonly #timers: TimerQueue;
  readonly #resources: ResourceScope;
  readonly #histogram: IntervalHistogram | null;
  readonly #runPromise: Promise<void>;
  #resolveRun: () => void = () => {};
  #state = RUNNING;
  #stopPromise: Promise<void> | null = null;
  /** Absolute end of the stop deadline, on the timer clock. */
  #stopDeadlineAt = 0;

  /** @throws InvalidArgumentError naming the bad option. */
  constructor(options?: EventLoopOptions) {
    this.#options = resolveEventLoopOptions(options);
    this.#tasks = new TaskQueue((err) => this.#report(err, "task"));
    this.#timers = new TimerQueue((err) => this.#report(err, "timer"));
    this.#resources = new ResourceScope((err) => this.#report(err, "task"));
    this.#runPromise = new Promise((resolve) => (this.#resolveRun = resolve));
    if (this.#options.monitorDelay) {
      this.#histogram = monitorEventLoopDelay({ resolution: DEFAULT_DELAY_RESOLUTION_MS });
      this.#histogram.enable();
    } else {
      this.#histogram = null;
    }
  }

  /** The logger given in the options, for resources that report through their loop. */
  get logger(): Logger | undefined {
    return this.#options.logger;
  }

  /** True from the first `stop()` call on, also once stopped. */
  get stopping(): boolean {
    return this.#state !== RUNNING;
  }

  /** True once `stop()` has finished (owned resources closed, timers cancelled). */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /**
   * Queues `fn` (or `fn(arg)`) to run in the next task batch: after the I/O
   * callbacks of the current Node loop turn, in queue order. Allowed from
   * inside a task (it runs in the next batch, not the current one) and while
   * stopping. The `(fn, arg)` form lets hot paths pass a static function and
   * an object, allocating no closure per call. O(1).
   * @throws LoopStoppedError once the loop has stopped.
   * @throws InvalidArgumentError if `fn` is not a function.
   */
  addTask(fn: LoopCallback): void;
  addTask<A>(fn: ((arg: A) => void) | ((arg: A) => Promise<void>), arg: A): void;
  addTask(fn: StoredTask, arg?: unknown): void {
    checkFunction("fn", fn);
    if (this.#state === STOPPED) throw new LoopStoppedError("addTask");
    this.#tasks.push(fn, arg);
  }

  /**
   * Runs `fn` once, `delayMs` ms from now (a finite number >= 0; fractions
   * allowed). Timers with equal due times fire in the order they were added.
   * @throws InvalidArgumentError for a bad delay or callback.
   * @throws LoopStoppedError once the loop has stopped.
   */
  runAfter(delayMs: number, fn: LoopCallback): TimerHandle {
    checkMs("delayMs", delayMs);
    return this.#schedule("runAfter", delayMs, 0, fn);
  }

  /**
   * Runs `fn` every `intervalMs` ms (finite, > 0), first `intervalMs` from
   * now. Slots are fixed (previous due + interval), so it does not drift; if
   * the loop fell behind by more than an interval, missed slots are skipped,
   * never fired in a burst. Repeats until cancelled or the loop stops.
   * @throws InvalidArgumentError for a bad interval or callback.
   * @throws LoopStoppedError once the loop has stopped.
   */
  runEvery(intervalMs: number, fn: LoopCallback): TimerHandle {
    checkMs("intervalMs", intervalMs, true);
    return this.#schedule("runEvery", intervalMs, intervalMs, fn);
  }

  /**
   * Runs `fn` once at wall-clock time `when` (a `Date` or epoch ms). A time
   * in the past fires on the next timer drain. The wait is measured on the
   * monotonic clock from now, so later wall-clock jumps do not move it.
   * @throws InvalidArgumentError for an invalid date or callback.
   * @throws LoopStoppedError once the loop has stopped.
   */
  runAt(when: Date | number, fn: LoopCallback): TimerHandle {
    const ms = when instanceof Date ? when.getTime() : when;
    if (typeof ms !== "number" || !Number.isFinite(ms)) {
      throw new InvalidArgumentError("when", "must be a valid Date or a finite epoch time in ms");
    }
    return this.#schedule("runAt", Math.max(0, ms - Date.now()), 0, fn);
  }

  /**
   * Registers `resource` so that `stop()` closes it; returns it. Idempotent
   * for a resource already owned. While the loop is stopping, the resource
   * is owned and its close starts at once (with what is left of the stop
   * deadline), and `stop()` waits for it too.
   * @throws LoopStoppedError once the loop has stopped.
   * @throws InvalidArgumentError if `resource` has no `close` method.
   */
  own<R extends LoopResource>(resource: R): R {
    if (typeof resource !== "object" || resource === null || typeof resource.close !== "function") {
      throw new InvalidArgumentError("resource", "must be an object with a close(deadlineMs) method");
    }
    if (this.#state === STOPPED) throw new LoopStoppedError("own");
    this.#resources.add(resource);
    if (this.#state === STOPPING) {
      this.#resources.startClose(resource, Math.max(0, this.#stopDeadlineAt - this.#timers.now()));
    }
    return resource;
  }

  /**
   * Forgets `resource` without closing it: for a resource that closed
   * itself. No-op if not owned. Allowed at any time, also from inside the
   * resource's own `close` during `stop()` (stop still waits for that close).
   */
  disown(resource: LoopResource): void {
    this.#resources.delete(resource);
  }

  /**
   * Stops the loop: cancels every timer, calls `close(deadlineMs)` on every
   * owned resource concurrently (a close that throws or rejects is reported
   * like a task error, source `"task"`, never propagated; one still pending
   * `DEFAULT_STOP_GRACE_MS` after the deadline is reported as
   * {@link CloseTimeoutError} and abandoned), then marks the loop stopped,
   * cancels timers added meanwhile, disables the delay monitor, lets already
   * queued tasks run (one more batch at most), and resolves — as does `run()`.
   * After that the loop holds no Node handle.
   *
   * Idempotent: every call returns the same promise, which never rejects.
   * Allowed from inside a task, a timer or a close.
   * @param deadlineMs ms each resource gets to close; default `options.stopDeadlineMs` (5000).
   *   Only the first call's deadline counts.
   * @throws InvalidArgumentError for a bad deadline (a programmer mistake, on any call).
   */
  stop(deadlineMs?: number): Promise<void> {
    const deadline = deadlineMs === undefined ? this.#options.stopDeadlineMs : checkMs("deadlineMs", deadlineMs);
    if (this.#stopPromise !== null) return this.#stopPromise;
    this.#state = STOPPING;
    this.#stopDeadlineAt = this.#timers.now() + deadline;
    this.#timers.clear();
    this.#resources.startCloseAll(deadline);
    this.#stopPromise = this.#finishStop(deadline);
    return this.#stopPromise;
  }

  /** Resolves once the loop has stopped; never rejects. Does not keep the process alive by itself. */
  run(): Promise<void> {
    return this.#runPromise;
  }

  /** A snapshot of counters and loop delay. Cheap; allowed at any time, also after stop. */
  stats(): EventLoopStats {
    return {
      tasksRun: this.#tasks.tasksRun,
      tasksPending: this.#tasks.pending,
      timersPending: this.#timers.size,
      timersFired: this.#timers.fired,
      ownedResources: this.#resources.size,
      delay: this.#delayStats(),
    };
  }

  #schedule(operation: string, delayMs: number, intervalMs: number, fn: LoopCallback): TimerHandle {
    checkFunction("fn", fn);
    if (this.#state === STOPPED) throw new LoopStoppedError(operation);
    return this.#timers.schedule(delayMs, intervalMs, fn);
  }

  async #finishStop(deadlineMs: number): Promise<void> {
    await this.#resources.settle(deadlineMs);
    this.#state = STOPPED;
    this.#timers.clear();
    this.#histogram?.disable();
    await this.#tasks.whenIdle();
    this.#resolveRun();
  }

  #delayStats(): EventLoopDelayStats | null {
    const h = this.#histogram;
    if (h === null || h.count === 0) return null;
    return {
      minMs: h.min / NS_PER_MS,
      meanMs: h.mean / NS_PER_MS,
      p50Ms: h.percentile(50) / NS_PER_MS,
      p99Ms: h.percentile(99) / NS_PER_MS,
      maxMs: h.max / NS_PER_MS,
    };
  }

  /** Routes an error per the documented policy. Never throws. */
  #report(err: unknown, source: LoopErrorSource): void {
    const { onError, logger } = this.#options;
    try {
      if (onError !== undefined) onError(err, source);
      else if (logger !== undefined) logger.error({ err, source }, `@lars/event-loop: a ${source} threw`);
      else process.nextTick(rethrow, err);
    } catch (handlerErr) {
      process.nextTick(rethrow, handlerErr);
    }
  }
}
