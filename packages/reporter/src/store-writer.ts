import { openCallStatusStore } from "./open-store.js";
import type { OpenedCallStatusStore, ReporterStoreOptions } from "./types.js";
import type { BatchWriter } from "./batch-writer.js";
import type { CallHistoryRow, CallStatusRow, ReporterLogger } from "./types.js";
import { WorkerBatchWriter } from "./worker-batch-writer.js";

/** Options of {@link createStoreWriter}. */
export interface StoreWriterOptions {
  /** Worker threads for SQLite (Lars `db_thread_cnt`); SQLite has one writer, so 1 is best. Default 1. */
  readonly threads?: number;
  readonly logger?: ReporterLogger | undefined;
  /** The module whose `openStore` is used; default `@lars/store`. */
  readonly storeModule?: string;
}

/**
 * The {@link BatchWriter} for a store, by kind:
 * - SQLite: a {@link WorkerBatchWriter} (better-sqlite3 is synchronous, so
 *   writes run in a worker thread that opens its own handle);
 * - MySQL/MariaDB: a {@link MainThreadStoreWriter} (mysql2 is asynchronous:
 *   the reactor thread only waits on sockets).
 */
export function createStoreWriter(store: ReporterStoreOptions, options: StoreWriterOptions = {}): BatchWriter {
  if (store.type === "sqlite") {
    return new WorkerBatchWriter({ store, threads: options.threads ?? 1, ...(options.storeModule === undefined ? {} : { storeModule: options.storeModule }) });
  }
  return new MainThreadStoreWriter(store, options.logger, options.storeModule);
}

/**
 * Writes through a store opened in this thread, lazily: the store is opened
 * on first use, and after a failed write it is closed and reopened on the
 * next one (a lost MySQL server comes back without a restart).
 */
export class MainThreadStoreWriter implements BatchWriter {
  readonly #options: ReporterStoreOptions;
  readonly #logger: ReporterLogger | undefined;
  #store: Promise<OpenedCallStatusStore> | undefined;

  readonly #module: string | undefined;

  constructor(options: ReporterStoreOptions, logger?: ReporterLogger, storeModule?: string) {
    this.#options = options;
    this.#module = storeModule;
    this.#logger = logger;
  }

  open(): Promise<void> {
    return this.#use(() => Promise.resolve());
  }

  write(rows: CallStatusRow[]): Promise<void> {
    return this.#use((s) => s.upsertCallStatus(rows));
  }

  writeHistory(rows: CallHistoryRow[]): Promise<void> {
    return this.#use((s) => s.insertCallHistory(rows));
  }

  pruneHistory(olderThan: number): Promise<void> {
    return this.#use(async (s) => {
      await s.pruneCallHistory(olderThan);
    });
  }

  async close(): Promise<void> {
    const current = this.#store;
    this.#store = undefined;
    const store = await current?.catch(() => undefined);
    await store?.close();
  }

  async #use(fn: (s: OpenedCallStatusStore) => Promise<void>): Promise<void> {
    this.#store ??= openCallStatusStore(this.#options, this.#module);
    const pending = this.#store;
    try {
      await fn(await pending);
    } catch (err) {
      if (this.#store === pending) {
        this.#store = undefined;
        void pending
          .then((s) => s.close())
          .catch((closeErr: unknown) => this.#logger?.warn({ err: closeErr }, "closing the failed store"));
      }
      throw err;
    }
  }
}
