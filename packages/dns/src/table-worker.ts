/**
 * The worker-thread side of `WorkerTableLoader`: opens its own store, keeps a
 * mirror of the table the server serves, and on `reload` loads the whole
 * table and answers only the routes that differ from the mirror, so the
 * reactor thread never runs the (synchronous, for SQLite) load nor the diff.
 * Messages are handled one at a time, in order. Not part of the public API.
 */
import { parentPort, workerData } from "node:worker_threads";
import { openStore, type LarsStore, type StoreOptions } from "@lars/store";
import { diffRouteTables, type DnsRoute } from "./routes.js";
import type { TableWorkerReply, TableWorkerRequest } from "./worker-table-loader.js";

const port = parentPort!;
const options = (workerData as { options: StoreOptions }).options;
let store: Promise<LarsStore> | undefined;
let mirror = new Map<string, DnsRoute>();
let fresh = true; // the mirror is not the server's table yet: the next reload answers the whole table
let chain: Promise<void> = Promise.resolve();

function opened(): Promise<LarsStore> {
  if (store === undefined) {
    const p = openStore(options);
    store = p;
    p.catch(() => {
      if (store === p) store = undefined; // retried by the next reload
    });
  }
  return store;
}

function reply(r: TableWorkerReply): void {
  port.postMessage(r);
}

async function handle(m: TableWorkerRequest): Promise<void> {
  if (m.op === "patch") {
    for (const [key, route] of m.patch) {
      if (route === null) mirror.delete(key);
      else mirror.set(key, route);
    }
    return;
  }
  if (m.op === "close") {
    const s = store;
    store = undefined;
    if (s !== undefined) await (await s.catch(() => undefined))?.close();
    reply({ id: m.id, ok: true, full: false, changed: [], routes: mirror.size });
    return;
  }
  try {
    const table = (await (await opened()).loadRoutes()) as Map<string, DnsRoute>;
    const full = fresh;
    const keys = full ? [...table.keys()] : diffRouteTables(mirror, table);
    const changed: Array<[string, DnsRoute | null]> = keys.map((k) => [k, table.get(k) ?? null]);
    mirror = table;
    fresh = false;
    reply({ id: m.id, ok: true, full, changed, routes: table.size });
  } catch (err) {
    const e = err as { name?: unknown; message?: unknown; code?: unknown };
    reply({
      id: m.id,
      ok: false,
      error: {
        name: typeof e.name === "string" ? e.name : "Error",
        message: typeof e.message === "string" ? e.message : String(err),
        code: typeof e.code === "string" ? e.code : undefined,
      },
    });
  }
}

port.on("message", (m: TableWorkerRequest) => {
  chain = chain.then(() => handle(m));
});
