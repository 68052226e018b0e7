import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { StoreError, StoreUnavailableError, type StoreOptions } from "@lars/store";
import type { DnsRoute } from "./routes.js";

/** What a whole reload through a {@link DnsTableLoader} found. */
export interface DnsTableDelta {
  /**
   * `false`: the routes that differ from the table the loader last returned or was told of
   * ({@link DnsTableLoader.patched}); `undefined` = the route is gone. `true`: the whole table (a new
   * loader, or one that restarted), to be diffed by the caller.
   */
  readonly full: boolean;
  readonly changed: ReadonlyMap<string, DnsRoute | undefined>;
  /** Routes in the table now. */
  readonly routes: number;
}

/**
 * Whole reloads done elsewhere than the reactor thread (see {@link WorkerTableLoader}), given to
 * `DnsServer` as `tableLoader`. It keeps a mirror of the served table, so a reload answers only what
 * changed and the server applies it in O(changed routes).
 */
export interface DnsTableLoader {
  /** Loads the whole table. Rejects with the store's error. */
  reload(): Promise<DnsTableDelta>;
  /** Routes the server patched in by itself (incremental syncs), to keep the mirror equal to its table. */
  patched(patch: ReadonlyMap<string, DnsRoute | undefined>): void;
  /** Stops it. Idempotent. */
  close(): Promise<void>;
}

/** @internal Messages to the table worker. */
export type TableWorkerRequest =
  | { op: "reload"; id: number }
  | { op: "close"; id: number }
  | { op: "patch"; patch: Array<[string, DnsRoute | null]> };

/** @internal Replies of the table worker. */
export type TableWorkerReply =
  | { id: number; ok: true; full: boolean; changed: Array<[string, DnsRoute | null]>; routes: number }
  | { id: number; ok: false; error: { name: string; message: string; code: string | undefined } };

/** Where the built worker script is: beside the bundle, or in `dist/` when run from the sources (tests). */
function defaultWorkerFile(): string {
  const candidates = ["./table-worker.js", "../table-worker.js", "../dist/table-worker.js"].map((p) => fileURLToPath(new URL(p, import.meta.url)));
  return candidates.find((f) => existsSync(f)) ?? candidates[0]!;
}

/**
 * A {@link DnsTableLoader} on a worker thread that opens its own store (`openStore` of `@lars/store`
 * with `options`): SQLite's synchronous load (about half a second per 100k routes) and the diff then never
 * stall the reactor, which only applies the routes that changed. A worker that dies is replaced on the
 * next reload (which then answers the whole table).
 */
export class WorkerTableLoader implements DnsTableLoader {
  readonly #options: StoreOptions;
  readonly #file: string;
  #worker: Worker | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (r: TableWorkerReply) => void; reject: (e: Error) => void }>();
  #closed = false;

  /** @param options the store to load from (the server's own, opened again in the worker). */
  constructor(options: StoreOptions, hooks: { workerFile?: string } = {}) {
    this.#options = options;
    this.#file = hooks.workerFile ?? defaultWorkerFile();
  }

  #spawn(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(this.#file, { workerData: { options: this.#options } });
    worker.unref();
    worker.on("message", (r: TableWorkerReply) => {
      const p = this.#pending.get(r.id);
      if (p === undefined) return;
      this.#pending.delete(r.id);
      p.resolve(r);
    });
    const gone = (err: Error): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(err);
      this.#pending.clear();
    };
    worker.on("error", gone);
    worker.on("exit", (code) => gone(new StoreError(`the route table worker exited (code ${code})`)));
    this.#worker = worker;
    return worker;
  }

  #call(op: "reload" | "close"): Promise<TableWorkerReply> {
    const worker = this.#spawn();
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ op, id } satisfies TableWorkerRequest);
    });
  }

  async reload(): Promise<DnsTableDelta> {
    if (this.#closed) throw new StoreError("the route table loader is closed");
    const r = await this.#call("reload");
    if (!r.ok) {
      const { message, code } = r.error;
      throw code === "LARS_STORE_UNAVAILABLE" ? new StoreUnavailableError(message) : new StoreError(message);
    }
    return { full: r.full, routes: r.routes, changed: new Map(r.changed.map(([k, route]) => [k, route ?? undefined])) };
  }

  patched(patch: ReadonlyMap<string, DnsRoute | undefined>): void {
    if (this.#worker === undefined || patch.size === 0) return; // a new worker starts from the whole table anyway
    this.#worker.postMessage({ op: "patch", patch: [...patch].map(([k, route]) => [k, route ?? null]) } satisfies TableWorkerRequest);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (worker === undefined) return;
    await this.#call("close").catch(() => undefined);
    this.#worker = undefined;
    await worker.terminate();
  }
}
