// Two batches in flight to an in-order writer (the SQLite worker thread): the writer is handed the next batch
// while it writes one, and a failed older batch never overwrites the newer snapshot a later batch carried.
import { describe, expect, it } from "vitest";
import type { BatchWriter } from "../src/batch-writer.js";
import { Flusher } from "../src/flusher.js";
import { ReportQueue } from "../src/report-queue.js";
import type { CallStatusRow } from "../src/types.js";
import { statusRow } from "./helpers.js";

interface Pending {
  rows: CallStatusRow[];
  resolve: () => void;
  reject: (err: Error) => void;
}

/** Writes only when the test settles them, oldest first, like one worker thread. */
class SteppedWriter implements BatchWriter {
  readonly pending: Pending[] = [];
  readonly table = new Map<number, CallStatusRow>();
  maxPending = 0;
  #waiters: (() => void)[] = [];
  constructor(readonly inOrder: boolean) {}
  open(): Promise<void> {
    return Promise.resolve();
  }
  write(rows: CallStatusRow[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ rows, resolve, reject });
      this.maxPending = Math.max(this.maxPending, this.pending.length);
      for (const w of this.#waiters.splice(0)) w();
    });
  }
  /** Settles the oldest write: applied (rows stored) or failed. */
  async settleOldest(ok: boolean): Promise<void> {
    const p = this.pending.shift()!;
    if (ok) {
      for (const r of p.rows) this.table.set(r.ip, r);
      p.resolve();
    } else {
      p.reject(new Error("database is gone"));
    }
    // Let the flusher's continuation run.
    await new Promise((r) => setImmediate(r));
  }
  async waitPending(n: number): Promise<void> {
    while (this.pending.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }
  writeHistory(): Promise<void> {
    return Promise.resolve();
  }
  pruneHistory(): Promise<void> {
    return Promise.resolve();
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

describe("Flusher with an in-order writer", () => {
  it("keeps two batches in flight, and a failed older batch never overwrites the newer snapshot of a later one", async () => {
    const q = new ReportQueue(1000);
    const w = new SteppedWriter(true);
    const f = new Flusher(q, w, { batchSize: 2, flushIntervalMs: 10_000, retryInitialMs: 5, retryMaxMs: 5 });
    q.push(statusRow(1, { succCnt: 1 })); // key K, old snapshot
    q.push(statusRow(2));
    f.notify();
    q.push(statusRow(1, { succCnt: 2 })); // key K, newer snapshot: in the second batch
    q.push(statusRow(3));
    f.notify();
    await w.waitPending(2);
    expect(w.maxPending).toBe(2);
    expect(w.pending.map((p) => p.rows.map((r) => `${r.ip}:${r.succCnt}`))).toEqual([["1:1", "2:2"], ["1:2", "3:3"]]);

    await w.settleOldest(false); // the older batch fails
    await w.settleOldest(true); // the newer one lands
    expect(w.table.get(1)?.succCnt).toBe(2);
    // The retry carries only what the newer batch did not: row 2, not K's old snapshot.
    await w.waitPending(1);
    expect(w.pending[0]!.rows.map((r) => `${r.ip}:${r.succCnt}`)).toEqual(["2:2"]);
    await w.settleOldest(true);
    await f.idle();
    expect([...w.table.values()].map((r) => `${r.ip}:${r.succCnt}`).sort()).toEqual(["1:2", "2:2", "3:3"]);
    expect(f.stats()).toMatchObject({ stored: 3, failures: 1, storeDown: false });
    expect(await f.drain()).toBe(0);
  });

  it("a writer that does not promise order gets one batch at a time", async () => {
    const q = new ReportQueue(1000);
    const w = new SteppedWriter(false);
    const f = new Flusher(q, w, { batchSize: 2, flushIntervalMs: 10_000 });
    for (let i = 0; i < 6; i++) q.push(statusRow(i));
    f.notify();
    await w.waitPending(1);
    await new Promise((r) => setImmediate(r));
    expect(w.pending).toHaveLength(1);
    await w.settleOldest(true);
    await w.waitPending(1);
    await w.settleOldest(true);
    await w.waitPending(1);
    await w.settleOldest(true);
    await f.idle();
    expect(w.maxPending).toBe(1);
    expect(w.table.size).toBe(6);
    await f.drain();
  });
});
