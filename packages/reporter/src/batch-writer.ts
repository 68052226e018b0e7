import type { CallHistoryRow, CallStatusRow, CallStatusStore } from "./types.js";

/**
 * Where the flusher writes batches: one `write` is one multi-row upsert in
 * one transaction. {@link storeBatchWriter} writes through a store in this
 * thread (MySQL: mysql2 is asynchronous); `WorkerBatchWriter` writes from a
 * worker thread (SQLite: better-sqlite3 is synchronous and would stall the
 * reactor).
 */
export interface BatchWriter {
  /**
   * True when writes run one at a time, in the order they were called (one
   * worker thread): the flusher then keeps a second batch in flight, so the
   * writer never waits for the reactor to hand it the next one. Default false.
   */
  readonly inOrder?: boolean;
  /** Opens the store now (fail fast at start-up); writes open it on demand anyway. */
  open(): Promise<void>;
  write(rows: CallStatusRow[]): Promise<void>;
  writeHistory(rows: CallHistoryRow[]): Promise<void>;
  pruneHistory(olderThan: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * A {@link BatchWriter} over a store used in this thread. `close()` closes
 * the store only when `ownsStore` is set.
 */
export function storeBatchWriter(store: CallStatusStore, ownsStore = false): BatchWriter {
  return {
    open: () => Promise.resolve(),
    write: (rows) => store.upsertCallStatus(rows),
    writeHistory: async (rows) => {
      if (store.insertCallHistory !== undefined) await store.insertCallHistory(rows);
    },
    pruneHistory: async (olderThan) => {
      if (store.pruneCallHistory !== undefined) await store.pruneCallHistory(olderThan);
    },
    close: async () => {
      if (ownsStore && store.close !== undefined) await store.close();
    },
  };
}
