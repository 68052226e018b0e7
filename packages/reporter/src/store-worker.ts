/**
 * The worker-thread side of `WorkerBatchWriter` (run by piscina): opens its
 * own store from the ReporterStoreOptions of each task (once, then cached) and runs
 * the write there, so SQLite's synchronous driver never blocks the reactor.
 * Not part of the public API.
 */
import { openCallStatusStore } from "./open-store.js";
import { unpackRows } from "./packed-rows.js";
import type { OpenedCallStatusStore, ReporterStoreOptions } from "./types.js";
import type { WorkerTask } from "./worker-task.js";

let opened: { key: string; store: Promise<OpenedCallStatusStore> } | undefined;

function storeFor(options: ReporterStoreOptions, module: string): Promise<OpenedCallStatusStore> {
  const key = `${module} ${JSON.stringify(options)}`;
  if (opened?.key !== key) {
    const previous = opened;
    const store = openCallStatusStore(options, module);
    opened = { key, store };
    // a failed open is retried by the next task
    store.catch(() => {
      if (opened?.store === store) opened = undefined;
    });
    void previous?.store.then((s) => s.close()).catch(() => undefined);
  }
  return opened.store;
}

/** The tasks of this thread run one after another, in arrival order (up to two are queued here at once). */
let tail: Promise<void> = Promise.resolve();

/** Runs one task, after every task that arrived before it has settled: batches land in the order they were taken. */
export default function run(task: WorkerTask): Promise<void> {
  const mine = tail.then(() => runNow(task));
  tail = mine.catch(() => undefined);
  return mine;
}

async function runNow(task: WorkerTask): Promise<void> {
  if (task.op === "close") {
    const current = opened;
    opened = undefined;
    if (current !== undefined) await (await current.store.catch(() => undefined))?.close();
    return;
  }
  const store = await storeFor(task.options, task.module);
  if (task.op === "open") return;
  if (task.op === "write") await store.upsertCallStatus(unpackRows(task.rows));
  else if (task.op === "history") await store.insertCallHistory(task.rows);
  else await store.pruneCallHistory(task.olderThan);
}
