import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Piscina } from "piscina";
import { packRows } from "./packed-rows.js";
import { DEFAULT_STORE_MODULE } from "./open-store.js";
import type { ReporterStoreOptions } from "./types.js";
import type { BatchWriter } from "./batch-writer.js";
import type { CallHistoryRow, CallStatusRow } from "./types.js";
import type { WorkerTask } from "./worker-task.js";

/** Options of a {@link WorkerBatchWriter}. */
export interface WorkerBatchWriterOptions {
  /** The store the worker opens (its own connection / file handle). */
  readonly store: ReporterStoreOptions;
  /**
   * Worker threads (Lars `db_thread_cnt`). Default 1, which suits SQLite (one
   * writer at a time); the flusher writes one batch at a time anyway.
   */
  readonly threads?: number;
  /** The module whose `openStore` the worker uses; default `@lars/store`. */
  readonly storeModule?: string;
  /** The built worker script; default `store-worker.js` beside this package's build. */
  readonly workerFile?: string;
}

/** Where the built worker script is: beside the bundle (or one folder up from `dist/bin`), or in `dist/` when run from the sources (tests). */
export function defaultWorkerFile(): string {
  const candidates = ["./store-worker.js", "../store-worker.js", "../dist/store-worker.js"].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((f) => existsSync(f)) ?? candidates[0]!;
}

/**
 * A {@link BatchWriter} that writes from a worker thread (a piscina pool)
 * which opens its own store from `ReporterStoreOptions`: SQLite's synchronous driver
 * then never blocks the reactor thread. Rows cross the thread boundary by
 * structured clone, one message per batch.
 */
export class WorkerBatchWriter implements BatchWriter {
  /** One thread runs piscina's tasks one at a time in FIFO order: batches land in the order they were taken. */
  readonly inOrder: boolean;
  readonly #pool: Piscina<WorkerTask, void>;
  readonly #store: ReporterStoreOptions;
  readonly #module: string;
  #closed: Promise<void> | undefined;

  constructor(options: WorkerBatchWriterOptions) {
    const threads = options.threads ?? 1;
    this.inOrder = threads === 1;
    this.#store = options.store;
    this.#module = options.storeModule ?? DEFAULT_STORE_MODULE;
    this.#pool = new Piscina<WorkerTask, void>({
      filename: options.workerFile ?? defaultWorkerFile(),
      minThreads: threads,
      maxThreads: threads,
      idleTimeout: Infinity,
      // One thread: two tasks may be queued in it (the flusher keeps a second batch in flight, and the worker
      // runs its tasks one after another in arrival order), so it never waits for this thread to send the next.
      concurrentTasksPerWorker: threads === 1 ? 2 : 1,
    });
  }

  open(): Promise<void> {
    return this.#pool.run({ op: "open", options: this.#store, module: this.#module });
  }

  write(rows: CallStatusRow[]): Promise<void> {
    const packed = packRows(rows);
    return this.#pool.run({ op: "write", options: this.#store, module: this.#module, rows: packed }, { transferList: [packed.buffer] });
  }

  writeHistory(rows: CallHistoryRow[]): Promise<void> {
    return this.#pool.run({ op: "history", options: this.#store, module: this.#module, rows });
  }

  pruneHistory(olderThan: number): Promise<void> {
    return this.#pool.run({ op: "prune", options: this.#store, module: this.#module, olderThan });
  }

  /** Closes the worker's store and the pool. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= (async () => {
      const threads = this.#pool.threads.length;
      await Promise.all(Array.from({ length: Math.max(1, threads) }, () => this.#pool.run({ op: "close" }).catch(() => undefined)));
      await this.#pool.destroy();
    })();
    return this.#closed;
  }
}
