// A fresh process that opens a SQLite route database and starts a DnsServer on it, for
// bench/run.mjs: prints one JSON line with the times and the RSS. Run with --expose-gc.
//   node --expose-gc bench/load-child.mjs DB
import { performance } from "node:perf_hooks";
import { openStore } from "@lars/store";
import { DnsServer, WorkerTableLoader } from "../dist/index.js";

const db = process.argv[2];
const gc = globalThis.gc ?? (() => {});
const rss = () => {
  gc();
  return process.memoryUsage().rss;
};
const heap = () => process.memoryUsage().heapUsed; // right after rss()'s gc
const store = await openStore({ type: "sqlite", path: db });
await store.getRouteVersion(); // warm the connection
const rssBefore = rss();
const heapBefore = heap();
let t = performance.now();
const dns = new DnsServer({ store, port: 0, pollIntervalMs: 3_600_000, fullReloadMs: 3_600_000 });
await dns.start();
const startMs = performance.now() - t;
const rssAfter = rss();
const heapAfter = heap();
const routes = dns.stats().routes;
const hosts = [...(await store.loadRoutes()).values()].reduce((n, r) => n + r.hosts.length, 0);
/** A forced reload (what a poll that sees RouteVersion move does), timed with how long the loop was blocked. */
async function timedReload(server) {
  let maxGap = 0;
  let last = performance.now();
  const probe = setInterval(() => {
    const n = performance.now();
    maxGap = Math.max(maxGap, n - last);
    last = n;
  }, 1);
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  await server.requestReload(true);
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 5));
  clearInterval(probe);
  return { ms, maxGap };
}
const inThread = await timedReload(dns);
const rssReloaded = rss();
const heapReloaded = heap();
await dns.close();
// The same with the table loaded and diffed on a worker thread (lars-dns's default): the reactor applies only what differs.
const loader = new WorkerTableLoader({ type: "sqlite", path: db });
const viaWorker = new DnsServer({ store, port: 0, pollIntervalMs: 3_600_000, fullReloadMs: 3_600_000, tableLoader: loader });
await viaWorker.start();
await timedReload(viaWorker); // the worker thread's first reload warms its JIT
const offThread = await timedReload(viaWorker);
await viaWorker.close();
await loader.close();
await store.close();
process.stdout.write(
  `${JSON.stringify({
    routes,
    hosts,
    startMs,
    reloadMs: inThread.ms,
    maxLoopBlockMs: inThread.maxGap,
    workerReloadMs: offThread.ms,
    workerMaxLoopBlockMs: offThread.maxGap,
    rssBefore,
    rssAfter,
    rssReloaded,
    heapBefore,
    heapAfter,
    heapReloaded,
  })}\n`,
);
