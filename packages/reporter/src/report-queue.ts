import { ReporterOptionError } from "./errors.js";
import type { CallStatusRow } from "./types.js";

/** Counters of a {@link ReportQueue}. */
export interface ReportQueueStats {
  /** Rows offered with `push`. */
  readonly received: number;
  /** Rows that replaced an older pending snapshot of the same key. */
  readonly coalesced: number;
  /** Rows refused because the queue held `cap` rows (plus rows given back that no longer fit). */
  readonly dropped: number;
  /** Rows pending now. */
  readonly pending: number;
  /** Most rows ever pending at once. */
  readonly maxPending: number;
}

/** The key a row is coalesced by: `modid:cmdid:ip:port:caller`. */
export function callStatusKey(row: CallStatusRow): string {
  return `${row.modid}:${row.cmdid}:${row.ip}:${row.port}:${row.caller}`;
}

/**
 * A bounded queue of pending call status rows, keyed by (modid, cmdid, ip,
 * port, caller). A newer snapshot of a pending key replaces the older one in
 * place (it overwrites in the database anyway), keeping the key's place in
 * arrival order; a new key past `cap` rows is dropped and counted. Memory is
 * bounded by `cap` rows whatever the rate of reports.
 */
export class ReportQueue {
  /** Most rows held at once. */
  readonly cap: number;
  readonly #rows = new Map<string, CallStatusRow>();
  #received = 0;
  #coalesced = 0;
  #dropped = 0;
  #maxPending = 0;

  constructor(cap: number) {
    if (!Number.isSafeInteger(cap) || cap < 1) throw new ReporterOptionError(`queue cap must be a positive integer, got ${cap}`);
    this.cap = cap;
  }

  /** Rows pending now. */
  get size(): number {
    return this.#rows.size;
  }

  /**
   * Offers one row. Returns `"stored"` (a new key queued), `"coalesced"`
   * (replaced a pending snapshot) or `"dropped"` (the queue is full).
   */
  push(row: CallStatusRow): "stored" | "coalesced" | "dropped" {
    this.#received++;
    const key = callStatusKey(row);
    if (this.#rows.has(key)) {
      this.#rows.set(key, row);
      this.#coalesced++;
      return "coalesced";
    }
    if (this.#rows.size >= this.cap) {
      this.#dropped++;
      return "dropped";
    }
    this.#rows.set(key, row);
    if (this.#rows.size > this.#maxPending) this.#maxPending = this.#rows.size;
    return "stored";
  }

  /** Removes and returns up to `max` rows, oldest first. */
  takeBatch(max: number): CallStatusRow[] {
    const out: CallStatusRow[] = [];
    if (max <= 0) return out;
    for (const [key, row] of this.#rows) {
      out.push(row);
      this.#rows.delete(key);
      if (out.length >= max) break;
    }
    return out;
  }

  /**
   * Gives back rows whose write failed, so they are retried. A key with a
   * newer pending snapshot keeps the newer one; rows that no longer fit are
   * dropped and counted. Given-back rows are not counted as received again.
   * Keys in `newer` are skipped too: a later batch still being written holds
   * a newer snapshot of them, which an older retried row must not overwrite.
   * Returns how many were dropped.
   */
  giveBack(rows: readonly CallStatusRow[], newer?: ReadonlySet<string>): number {
    let dropped = 0;
    for (const row of rows) {
      const key = callStatusKey(row);
      if (this.#rows.has(key) || newer?.has(key) === true) continue;
      if (this.#rows.size >= this.cap) {
        dropped++;
        continue;
      }
      this.#rows.set(key, row);
    }
    this.#dropped += dropped;
    return dropped;
  }

  /** A snapshot of the counters. */
  stats(): ReportQueueStats {
    return {
      received: this.#received,
      coalesced: this.#coalesced,
      dropped: this.#dropped,
      pending: this.#rows.size,
      maxPending: this.#maxPending,
    };
  }
}
