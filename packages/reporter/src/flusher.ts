import type { BatchWriter } from "./batch-writer.js";
import { ReporterOptionError, ReporterStoreWriteError } from "./errors.js";
import type { ReportQueue } from "./report-queue.js";
import { SummaryCounter } from "./stats.js";
import type { Summary } from "./stats.js";
import type { ReporterLogger } from "./types.js";

/** Options of a {@link Flusher}. */
export interface FlusherOptions {
  /** Most rows per batch; a batch is written as soon as this many are pending. Default 500. */
  readonly batchSize?: number;
  /** Pending rows fewer than `batchSize` are written after at most this long, ms. Default 50. */
  readonly flushIntervalMs?: number;
  /** First retry delay after a failed write, ms; doubles up to `retryMaxMs`. Default 100. */
  readonly retryInitialMs?: number;
  /** Longest retry delay, ms. Default 5000. */
  readonly retryMaxMs?: number;
  /** Where failures and drops are reported. */
  readonly logger?: ReporterLogger | undefined;
}

/** Counters of a {@link Flusher}. */
export interface FlusherStats {
  /** Rows written to the store. */
  readonly stored: number;
  /** Sizes of the batches written. */
  readonly batches: Summary;
  /** Time of each successful batch write, ms. */
  readonly storeLatencyMs: Summary;
  /** Failed batch writes. */
  readonly failures: number;
  /** Rows still pending when `drain()` gave up on a dead store. */
  readonly lost: number;
  /** Whether the last write failed (the store is considered down). */
  readonly storeDown: boolean;
}

/** Resolved defaults of {@link FlusherOptions}. */
export const DEFAULT_FLUSHER_OPTIONS = { batchSize: 2000, flushIntervalMs: 50, retryInitialMs: 100, retryMaxMs: 5000 } as const;

/**
 * Writes a {@link ReportQueue} to a {@link BatchWriter}: one batch at a time,
 * by size (`batchSize` rows pending) or after `flushIntervalMs`. A failed
 * write gives its rows back to the queue (newer snapshots win, what does not
 * fit is dropped and counted) and is retried with exponential backoff; the
 * queue stays bounded meanwhile. Drops are logged (at most once a second).
 */
export class Flusher {
  readonly #queue: ReportQueue;
  readonly #writer: BatchWriter;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #logger: ReporterLogger | undefined;
  #timer: NodeJS.Timeout | undefined;
  #writing: Promise<void> | undefined;
  #retryDelay = 0;
  #retrying = false;
  #stopped = false;
  #stored = 0;
  #failures = 0;
  #lost = 0;
  #storeDown = false;
  readonly #batches = new SummaryCounter();
  readonly #latency = new SummaryCounter();
  #reportedDropped = 0;
  #lastDropReport = 0;
  readonly #idleWaiters: (() => void)[] = [];

  constructor(queue: ReportQueue, writer: BatchWriter, options: FlusherOptions = {}) {
    this.#queue = queue;
    this.#writer = writer;
    this.#batchSize = positive("batchSize", options.batchSize ?? DEFAULT_FLUSHER_OPTIONS.batchSize);
    this.#intervalMs = positive("flushIntervalMs", options.flushIntervalMs ?? DEFAULT_FLUSHER_OPTIONS.flushIntervalMs);
    this.#retryInitialMs = positive("retryInitialMs", options.retryInitialMs ?? DEFAULT_FLUSHER_OPTIONS.retryInitialMs);
    this.#retryMaxMs = Math.max(this.#retryInitialMs, positive("retryMaxMs", options.retryMaxMs ?? DEFAULT_FLUSHER_OPTIONS.retryMaxMs));
    this.#logger = options.logger;
  }

  /** Call after rows were pushed: writes at once when a batch is full, else arms the interval timer. */
  notify(): void {
    if (this.#stopped || this.#writing !== undefined || this.#retrying) return;
    if (this.#queue.size >= this.#batchSize) {
      this.#clearTimer();
      this.#startWrite();
    } else if (this.#queue.size > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        if (this.#writing === undefined && !this.#stopped) this.#startWrite();
      }, this.#intervalMs);
    } else {
      this.#wakeIdle();
    }
  }

  /** Resolves once nothing is pending or being written (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.#writing === undefined && this.#queue.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Stops the timers and writes what is pending, batch after batch. Gives up
   * (logging how many rows are lost) at the first failure: a shutdown does not
   * wait for a dead store. Resolves with the rows that could not be written.
   */
  async drain(): Promise<number> {
    this.#stopped = true;
    this.#clearTimer();
    if (this.#writing !== undefined) await this.#writing;
    while (this.#queue.size > 0) {
      const ok = await this.#writeOne();
      if (!ok) break;
    }
    const lost = this.#queue.size;
    if (lost > 0) {
      this.#queue.takeBatch(lost);
      this.#lost += lost;
      this.#logger?.error({ lost }, "reporter stopping: store unavailable, pending call status rows lost");
    }
    this.#reportDrops(true);
    this.#wakeIdle();
    return lost;
  }

  /** A snapshot of the counters. */
  stats(): FlusherStats {
    return {
      stored: this.#stored,
      batches: this.#batches.snapshot(),
      storeLatencyMs: this.#latency.snapshot(),
      failures: this.#failures,
      lost: this.#lost,
      storeDown: this.#storeDown,
    };
  }

  #clearTimer(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Writes one batch of what is pending (full or not), then decides what comes next. */
  #startWrite(): void {
    this.#writing = this.#writeOne().then((ok) => {
      this.#writing = undefined;
      this.#reportDrops(false);
      if (this.#stopped) return;
      if (ok) {
        this.#retryDelay = 0;
        this.notify();
      } else {
        this.#scheduleRetry();
      }
    });
  }

  #scheduleRetry(): void {
    this.#retryDelay = this.#retryDelay === 0 ? this.#retryInitialMs : Math.min(this.#retryMaxMs, this.#retryDelay * 2);
    this.#retrying = true;
    this.#clearTimer();
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#retrying = false;
      if (!this.#stopped) this.#startWrite();
    }, this.#retryDelay);
  }

  /** Writes one batch; false when the write failed (rows given back). */
  async #writeOne(): Promise<boolean> {
    const rows = this.#queue.takeBatch(this.#batchSize);
    if (rows.length === 0) return true;
    const t0 = performance.now();
    try {
      await this.#writer.write(rows);
    } catch (err) {
      this.#failures++;
      const lost = this.#queue.giveBack(rows);
      if (!this.#storeDown || lost > 0) {
        this.#logger?.warn({ err: new ReporterStoreWriteError(rows.length, err), requeued: rows.length - lost, dropped: lost }, "call status write failed: retrying with backoff");
      }
      this.#storeDown = true;
      return false;
    }
    if (this.#storeDown) this.#logger?.info({ failures: this.#failures }, "call status store is back");
    this.#storeDown = false;
    this.#latency.add(performance.now() - t0);
    this.#batches.add(rows.length);
    this.#stored += rows.length;
    return true;
  }

  #reportDrops(force: boolean): void {
    const dropped = this.#queue.stats().dropped;
    if (dropped === this.#reportedDropped) return;
    const now = Date.now();
    if (!force && now - this.#lastDropReport < 1000) return;
    this.#logger?.warn({ dropped: dropped - this.#reportedDropped, totalDropped: dropped, cap: this.#queue.cap }, "report queue full: call status rows dropped");
    this.#reportedDropped = dropped;
    this.#lastDropReport = now;
  }

  #wakeIdle(): void {
    const waiters = this.#idleWaiters.splice(0);
    for (const w of waiters) w();
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new ReporterOptionError(`${name} must be a positive number, got ${value}`);
  return value;
}
