import type { BatchWriter } from "./batch-writer.js";
import { ReporterOptionError } from "./errors.js";
import type { CallHistoryRow, ReporterLogger } from "./types.js";

/** Options of a {@link HistoryRecorder}. */
export interface HistoryOptions {
  /** Window length, seconds. Default 60. */
  readonly intervalSec?: number;
  /** Rows older than this are pruned after each window, seconds. Default 7 days. */
  readonly retentionSec?: number;
  /** Most hosts tracked per window; more are dropped and counted. Default 100000. */
  readonly cap?: number;
  readonly logger?: ReporterLogger | undefined;
  /** Clock in unix seconds (tests). */
  readonly now?: () => number;
}

/** Counters of a {@link HistoryRecorder}. */
export interface HistoryStats {
  readonly windows: number;
  readonly rowsWritten: number;
  readonly dropped: number;
  readonly failures: number;
}

interface Acc {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  succ: number;
  err: number;
  overload: boolean;
}

/**
 * The optional call history: sums what every agent reported for each host
 * (modid, cmdid, ip, port) during a window of `intervalSec`, writes one row
 * per host at the end of the window, then prunes rows older than
 * `retentionSec`. Memory is bounded by `cap` hosts per window.
 */
export class HistoryRecorder {
  readonly intervalSec: number;
  readonly retentionSec: number;
  readonly #cap: number;
  readonly #writer: BatchWriter;
  readonly #logger: ReporterLogger | undefined;
  readonly #now: () => number;
  #window = new Map<string, Acc>();
  #windowStart: number;
  #timer: NodeJS.Timeout | undefined;
  #windows = 0;
  #rowsWritten = 0;
  #dropped = 0;
  #failures = 0;
  #pending: Promise<void> = Promise.resolve();

  constructor(writer: BatchWriter, options: HistoryOptions = {}) {
    this.intervalSec = options.intervalSec ?? 60;
    this.retentionSec = options.retentionSec ?? 7 * 24 * 3600;
    this.#cap = options.cap ?? 100_000;
    if (!(this.intervalSec > 0)) throw new ReporterOptionError(`history interval must be positive, got ${this.intervalSec}`);
    if (!(this.retentionSec > 0)) throw new ReporterOptionError(`history retention must be positive, got ${this.retentionSec}`);
    this.#writer = writer;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => Math.floor(Date.now() / 1000));
    this.#windowStart = this.#alignedNow();
  }

  /** Starts the window timer. */
  start(): void {
    this.#timer ??= setInterval(() => void this.flushWindow(), this.intervalSec * 1000);
  }

  /** Adds one host's result to the current window. */
  add(modid: number, cmdid: number, ip: number, port: number, succ: number, err: number, overload: boolean): void {
    const key = `${modid}:${cmdid}:${ip}:${port}`;
    const acc = this.#window.get(key);
    if (acc !== undefined) {
      acc.succ += succ;
      acc.err += err;
      acc.overload ||= overload;
      return;
    }
    if (this.#window.size >= this.#cap) {
      this.#dropped++;
      return;
    }
    this.#window.set(key, { modid, cmdid, ip, port, succ, err, overload });
  }

  /** Ends the current window: writes its rows and prunes old ones. */
  flushWindow(): Promise<void> {
    const window = this.#window;
    const windowStart = this.#windowStart;
    this.#window = new Map();
    this.#windowStart = this.#alignedNow();
    this.#windows++;
    const rows: CallHistoryRow[] = [];
    for (const a of window.values()) rows.push({ ...a, windowStart });
    this.#pending = this.#pending.then(async () => {
      try {
        if (rows.length > 0) await this.#writer.writeHistory(rows);
        this.#rowsWritten += rows.length;
        await this.#writer.pruneHistory(this.#now() - this.retentionSec);
      } catch (err) {
        this.#failures++;
        this.#dropped += rows.length;
        this.#logger?.warn({ err, rows: rows.length, windowStart }, "call history write failed: window dropped");
      }
    });
    return this.#pending;
  }

  /** Stops the timer and writes the last window. */
  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    if (this.#window.size > 0) await this.flushWindow();
    await this.#pending;
  }

  stats(): HistoryStats {
    return { windows: this.#windows, rowsWritten: this.#rowsWritten, dropped: this.#dropped, failures: this.#failures };
  }

  #alignedNow(): number {
    const now = this.#now();
    return now - (now % this.intervalSec);
  }
}
