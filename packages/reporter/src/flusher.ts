import type { BatchWriter } from "./batch-writer.js";
import { ReporterOptionError, ReporterStoreWriteError } from "./errors.js";
import { callStatusKey } from "./report-queue.js";
import type { ReportQueue } from "./report-queue.js";
import { SummaryCounter } from "./stats.js";
import type { Summary } from "./stats.js";
import type { CallStatusRow, ReporterLogger } from "./types.js";

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

/** A batch handed to the writer whose write has not settled. */
interface InFlight {
  readonly rows: CallStatusRow[];
}

/**
 * Writes a {@link ReportQueue} to a {@link BatchWriter}, by size (`batchSize`
 * rows pending) or after `flushIntervalMs`: one batch at a time, or two when
 * the writer writes in call order (`inOrder`: one worker thread), so it is
 * handed the next batch while it writes this one instead of idling. A failed
 * write gives its rows back to the queue (newer snapshots win, including those
 * of the later batch still in flight; what does not fit is dropped and
 * counted) and is retried with exponential backoff; the queue stays bounded
 * meanwhile. Drops are logged (at most once a second).
 */
export class Flusher {
  readonly #queue: ReportQueue;
  readonly #writer: BatchWriter;
  readonly #batchSize: number;
  readonly #intervalMs: number;
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #maxInFlight: number;
  readonly #logger: ReporterLogger | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** Oldest first; with an in-order writer they settle in this order. */
  readonly #inFlight: InFlight[] = [];
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
  readonly #settledWaiters: (() => void)[] = [];

  constructor(queue: ReportQueue, writer: BatchWriter, options: FlusherOptions = {}) {
    this.#queue = queue;
    this.#writer = writer;
    this.#batchSize = positive("batchSize", options.batchSize ?? DEFAULT_FLUSHER_OPTIONS.batchSize);
    this.#intervalMs = positive("flushIntervalMs", options.flushIntervalMs ?? DEFAULT_FLUSHER_OPTIONS.flushIntervalMs);
    this.#retryInitialMs = positive("retryInitialMs", options.retryInitialMs ?? DEFAULT_FLUSHER_OPTIONS.retryInitialMs);
    this.#retryMaxMs = Math.max(this.#retryInitialMs, positive("retryMaxMs", options.retryMaxMs ?? DEFAULT_FLUSHER_OPTIONS.retryMaxMs));
    this.#maxInFlight = writer.inOrder === true ? 2 : 1;
    this.#logger = options.logger;
  }

  /** Call after rows were pushed: writes at once when a batch is full, else arms the interval timer. */
  notify(): void {
    if (this.#stopped || this.#retrying) return;
    while (this.#inFlight.length < this.#maxInFlight && this.#queue.size >= this.#batchSize) {
      this.#clearTimer();
      this.#startWrite();
    }
    if (this.#inFlight.length < this.#maxInFlight && this.#queue.size > 0) {
      this.#timer ??= setTimeout(() => {
        this.#timer = undefined;
        if (!this.#stopped && !this.#retrying && this.#inFlight.length < this.#maxInFlight) this.#startWrite();
      }, this.#intervalMs);
    } else if (this.#inFlight.length === 0 && this.#queue.size === 0) {
      this.#wakeIdle();
    }
  }

  /** Resolves once nothing is pending or being written (for tests and shutdown). */
  idle(): Promise<void> {
    if (this.#inFlight.length === 0 && this.#queue.size === 0) return Promise.resolve();
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
    let ok = true;
    while (this.#inFlight.length > 0) await new Promise<void>((resolve) => this.#settledWaiters.push(resolve));
    while (ok && this.#queue.size > 0) ok = await this.#write(this.#queue.takeBatch(this.#batchSize));
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

  /** Hands one batch of what is pending (full or not) to the writer, then decides what comes next. */
  #startWrite(): void {
    const rows = this.#queue.takeBatch(this.#batchSize);
    if (rows.length === 0) return;
    void this.#write(rows).then((ok) => {
      this.#reportDrops(false);
      if (this.#stopped) return;
      if (ok) {
        if (!this.#retrying) this.#retryDelay = 0;
        this.notify();
      } else if (!this.#retrying) {
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
      if (!this.#stopped) {
        if (this.#inFlight.length < this.#maxInFlight) this.#startWrite();
        this.notify();
      }
    }, this.#retryDelay);
  }

  /** Writes one batch; false when the write failed (rows given back). Never rejects. */
  async #write(rows: CallStatusRow[]): Promise<boolean> {
    const entry: InFlight = { rows };
    this.#inFlight.push(entry);
    const t0 = performance.now();
    let failure: unknown;
    let failed = false;
    try {
      await this.#writer.write(rows);
    } catch (err) {
      failed = true;
      failure = err;
    }
    this.#inFlight.splice(this.#inFlight.indexOf(entry), 1);
    try {
      if (failed) {
        this.#failures++;
        // A batch taken after this one, still in flight, holds newer snapshots of its keys: never retry older ones over them.
        const newer = this.#inFlight.length > 0 ? new Set(this.#inFlight.flatMap((b) => b.rows.map(callStatusKey))) : undefined;
        const lost = this.#queue.giveBack(rows, newer);
        if (!this.#storeDown || lost > 0) {
          this.#logger?.warn(
            { err: new ReporterStoreWriteError(rows.length, failure), requeued: rows.length - lost, dropped: lost },
            "call status write failed: retrying with backoff",
          );
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
    } finally {
      for (const w of this.#settledWaiters.splice(0)) w();
      if (this.#inFlight.length === 0 && this.#queue.size === 0) this.#wakeIdle();
    }
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
