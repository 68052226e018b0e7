#!/usr/bin/env node
// Benchmark of @lars/dns, on a SQLite route database:
//  1. GetRoute lookups/s over 1, 8 and 64 connections, each with one request in flight
//     (send, wait for the GetRouteResponse, send the next), beside a raw echo TcpServer of
//     the same reactor in the same run (msgid 1 in, the body back as msgid 2), as a ratio;
//  2. push fan-out: 1000 connections subscribed to one route; time from the change's start to the
//     push reaching the last connection, with 1000 routes in the table and with 100k, for an admin
//     change through the server's store (target <= 50 ms) and for one written by another store
//     connection, which the server sees only by polling every 1000 ms (target <= poll + 500 ms);
//  3. time and RSS to load 100k routes (3 hosts each) from SQLite, in a fresh process, and a forced
//     reload in the reactor's thread and through a WorkerTableLoader (with the loop's longest stall).
// The server runs in a worker thread, the clients (@lars/tcp-client) in the main thread.
//
//   node packages/dns/bench/run.mjs [--quick] [--seconds 3] [--rounds 3] [--subscribers 1000]
//                                   [--changes 10] [--routes 100000]
//
// Build first: npx turbo run build --filter=@lars/dns. Progress on stderr, the table (markdown) on stdout.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import Database from "better-sqlite3"; // @lars/store's SQLite driver, to fill the bench databases fast
import { EventLoop } from "@lars/event-loop";
import { TcpClient } from "@lars/tcp-client";
import { openStore } from "@lars/store";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec } from "@lars/proto";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    warmup: { type: "string" },
    rounds: { type: "string" },
    subscribers: { type: "string", default: "1000" },
    changes: { type: "string" },
    routes: { type: "string", default: "100000" },
    "no-lookups": { type: "boolean", default: false },
    conns: { type: "string", default: "1,8,64" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "usage: run.mjs [--quick (1 round of 1 s, 3 changes)] [--seconds 3] [--warmup 0.5] [--rounds 3]\n" +
      "               [--conns 1,8,64] [--subscribers 1000] [--changes 10] [--routes 100000] [--no-lookups]\n",
  );
  process.exit(0);
}
const num = (name, raw, fallback) => {
  const n = Number(raw ?? fallback);
  if (!Number.isFinite(n) || n <= 0) {
    process.stderr.write(`dns-bench: --${name} must be a positive number, got ${raw}\n`);
    process.exit(2);
  }
  return n;
};
const SECONDS = num("seconds", values.seconds, values.quick ? 1 : 3);
const WARMUP = num("warmup", values.warmup, values.quick ? 0.3 : 0.5);
const ROUNDS = Math.floor(num("rounds", values.rounds, values.quick ? 1 : 3));
const SUBSCRIBERS = Math.floor(num("subscribers", values.subscribers));
const CHANGES = Math.floor(num("changes", values.changes, values.quick ? 3 : 10));
const BIG = Math.floor(num("routes", values.routes));
const SMALL = 1000;
const HOSTS_PER_ROUTE = 3;
const CONNS = values.conns.split(",").map((c) => Math.floor(num("conns", c)));

const log = (s) => process.stderr.write(`${s}\n`);
const now = () => performance.timeOrigin + performance.now();
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmt = (n, d = 0) => n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
const HERE = fileURLToPath(new URL(".", import.meta.url));

// ---------------------------------------------------------------- databases

/** A route database with `routes` routes (modid 1..routes, cmdid 1) of HOSTS_PER_ROUTE hosts each. */
async function makeDb(path, routes) {
  const store = await openStore({ type: "sqlite", path }); // creates the C++ schema
  await store.replaceHosts(1, 1, [{ ip: 0x0a000001, port: 80 }]); // a RouteVersion row
  await store.close();
  const db = new Database(path);
  db.pragma("journal_mode = WAL");
  const insert = db.prepare("INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (?, ?, ?, ?)");
  db.transaction(() => {
    db.prepare("DELETE FROM RouteData").run();
    for (let m = 1; m <= routes; m++) {
      for (let h = 0; h < HOSTS_PER_ROUTE; h++) insert.run(m, 1, 0x0a000000 + ((m * HOSTS_PER_ROUTE + h) % 0xffffff), 8000 + h);
    }
  })();
  db.close();
}

// ---------------------------------------------------------------- server worker

function startWorker(mode, db) {
  const worker = new Worker(join(HERE, "server-worker.mjs"), { workerData: { mode, db, maxConn: SUBSCRIBERS + 100 } });
  const waiters = new Map();
  worker.on("message", (m) => {
    const w = waiters.get(m.event);
    if (w !== undefined) {
      waiters.delete(m.event);
      w(m);
    }
  });
  worker.on("error", (err) => {
    log(`dns-bench: server worker failed: ${err.stack ?? err}`);
    process.exit(1);
  });
  const once = (event) => new Promise((resolve) => waiters.set(event, resolve));
  return {
    listening: once("listening"),
    async call(msg, reply) {
      const p = once(reply);
      worker.postMessage(msg);
      return p;
    },
    async stop() {
      const p = once("stopped");
      worker.postMessage({ cmd: "stop" });
      await p;
      await worker.terminate();
    },
  };
}

async function connectAll(loop, port, n, onResponse, onConnStart) {
  const clients = [];
  for (let i = 0; i < n; i += 100) {
    const batch = [];
    for (let j = i; j < Math.min(n, i + 100); j++) {
      const c = new TcpClient(loop, {
        host: "127.0.0.1",
        port,
        reconnect: false,
        ...(onConnStart ? { onConnStart: (conn) => onConnStart(j, conn) } : {}),
        onConnClose: (_c, reason, err) => {
          if (!stopping) log(`dns-bench: client ${j} closed (${reason}) ${err?.message ?? ""}`);
        },
      });
      c.addMsgRouter(MsgId.GetRouteResponse, (body, _msgid, conn) => onResponse(j, body, conn));
      batch.push(c.ready({ timeoutMs: 10_000 }));
      clients.push(c);
    }
    await Promise.all(batch);
  }
  return clients;
}
let stopping = false;

// ---------------------------------------------------------------- 1. lookups/s

const REQUESTS = Array.from({ length: SMALL }, (_, i) => getRouteRequestCodec.encode({ modid: i + 1, cmdid: 1 }));

async function lookups(mode, db, conns) {
  const server = startWorker(mode, db);
  const { port } = await server.listening;
  const loop = new EventLoop();
  let count = 0;
  let bad = 0;
  const next = new Array(conns).fill(0);
  const send = (j, conn) => {
    conn.sendMessage(REQUESTS[(next[j] = (next[j] + 7) % SMALL)], MsgId.GetRouteRequest);
  };
  const clients = await connectAll(
    loop,
    port,
    conns,
    (j, body, conn) => {
      count++;
      if (mode === "dns" && body.length < 20) bad++; // a GetRouteResponse of 3 hosts, not an empty one
      send(j, conn);
    },
    (j, conn) => send(j, conn),
  );
  await sleep(WARMUP * 1000);
  const c0 = count;
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const rate = ((count - c0) * 1000) / (performance.now() - t0);
  stopping = true;
  await Promise.all(clients.map((c) => c.close()));
  await loop.stop();
  await server.stop();
  stopping = false;
  if (bad > 0) throw new Error(`${bad} dns answers without the route's hosts`);
  return rate;
}

// ---------------------------------------------------------------- 2. fan-out

/**
 * `external`: the change is written by another store connection (this thread's, as another process would:
 * the server learns of it only by polling RouteVersion every 1000 ms); else through the server's own store
 * (its admin API: pushed at once).
 */
async function fanOut(db, label, external = false) {
  const server = startWorker("dns", db);
  const writer = external ? await openStore({ type: "sqlite", path: db }) : undefined;
  const { port } = await server.listening;
  const loop = new EventLoop();
  const arrivals = new Array(SUBSCRIBERS).fill(undefined);
  let want = -1; // host count of the expected push
  let got = 0;
  let done = () => {};
  const initial = new Set();
  let initialDone = () => {};
  const initialAll = new Promise((r) => (initialDone = r));
  const MOD = 1;
  const clients = await connectAll(loop, port, SUBSCRIBERS, (j, body) => {
    const t = now();
    const r = getRouteResponseCodec.decode(body);
    if (r.modid !== MOD) return;
    if (!initial.has(j)) {
      initial.add(j);
      if (initial.size === SUBSCRIBERS) initialDone();
      return;
    }
    if (r.host.length === want && arrivals[j] === undefined) {
      arrivals[j] = t;
      if (++got === SUBSCRIBERS) done();
    }
  });
  for (const c of clients) c.sendMessage(getRouteRequestCodec.encode({ modid: MOD, cmdid: 1 }), MsgId.GetRouteRequest);
  await initialAll;
  const lastMs = [];
  const medianMs = [];
  const commitMs = [];
  const pushedMs = [];
  const extra = { ip: 0x0b000001, port: 9 };
  let hosts = HOSTS_PER_ROUTE;
  // Change 0 warms the push path up (JIT) and is not counted; a long-running server is warm.
  for (let k = -1; k < CHANGES; k++) {
    const add = (k + 1) % 2 === 0;
    hosts += add ? 1 : -1;
    want = hosts;
    got = 0;
    arrivals.fill(undefined);
    const all = new Promise((r) => (done = r));
    let t0;
    let committedAt;
    let pushedAt = Number.NaN;
    if (writer !== undefined) {
      t0 = now();
      await (add ? writer.addHost(MOD, 1, extra) : writer.removeHost(MOD, 1, extra));
      committedAt = now();
    } else {
      ({ t0, committedAt, pushedAt } = await server.call({ cmd: "change", add, modid: MOD, cmdid: 1, host: extra, subscribers: SUBSCRIBERS }, "changed"));
    }
    await all;
    if (k < 0) continue;
    commitMs.push(committedAt - t0);
    pushedMs.push(pushedAt - t0);
    const lat = arrivals.map((t) => t - t0);
    lastMs.push(Math.max(...lat));
    medianMs.push(median(lat));
    await sleep(50);
  }
  const { stats } = await server.call({ cmd: "stats" }, "stats");
  await writer?.close();
  stopping = true;
  await Promise.all(clients.map((c) => c.close()));
  await loop.stop();
  await server.stop();
  stopping = false;
  log(`  fan-out ${label}: last ${lastMs.map((x) => x.toFixed(1)).join(", ")} ms; committed ${commitMs.map((x) => x.toFixed(1)).join(", ")}; all pushes sent ${pushedMs.map((x) => x.toFixed(1)).join(", ")}`);
  return {
    label,
    external,
    routes: stats.routes,
    lastMedian: median(lastMs),
    lastMax: Math.max(...lastMs),
    arrivalMedian: median(medianMs),
    commitMedian: median(commitMs),
    pushedMedian: median(pushedMs),
  };
}

// ---------------------------------------------------------------- run

const dir = mkdtempSync(join(os.tmpdir(), "lars-dns-bench-"));
try {
  const small = join(dir, "small.db");
  const big = join(dir, "big.db");
  log(`dns-bench: filling ${SMALL} and ${BIG} routes (${HOSTS_PER_ROUTE} hosts each) in ${dir}`);
  await makeDb(small, SMALL);
  await makeDb(big, BIG);

  const load0 = os.loadavg()[0];
  const rows = [];
  if (!values["no-lookups"]) {
    log("  warm-up (not counted)");
    for (const mode of ["dns", "echo"]) await lookups(mode, small, 8);
  }
  for (const conns of values["no-lookups"] ? [] : CONNS) {
    const rates = { dns: [], echo: [] };
    for (let r = 0; r < ROUNDS; r++) {
      for (const mode of r % 2 === 0 ? ["dns", "echo"] : ["echo", "dns"]) {
        const rate = await lookups(mode, small, conns);
        rates[mode].push(rate);
        log(`  ${conns} conn(s) round ${r + 1} ${mode}: ${fmt(rate)}/s`);
      }
    }
    rows.push({ conns, dns: median(rates.dns), echo: median(rates.echo) });
  }

  const fan = [
    await fanOut(small, `${fmt(SMALL)} routes`),
    await fanOut(big, `${fmt(BIG)} routes`),
    await fanOut(small, `${fmt(SMALL)} routes`, true),
    await fanOut(big, `${fmt(BIG)} routes`, true),
  ];

  log("  loading the big table in a fresh process");
  const child = spawnSync(process.execPath, ["--expose-gc", join(HERE, "load-child.mjs"), big], { encoding: "utf8" });
  if (child.status !== 0) throw new Error(`load-child failed: ${child.stderr}`);
  const load = JSON.parse(child.stdout.trim().split("\n").at(-1));

  const out = [];
  out.push(
    `@lars/dns benchmark — node ${process.version}, ${os.cpus()[0]?.model ?? "?"} ×${os.cpus().length}, SQLite; ` +
      `${ROUNDS} round(s) of ${SECONDS} s (median); server in a worker thread, clients @lars/tcp-client in the main thread`,
    "",
    "| GetRoute lookups, 1 in flight per connection | @lars/dns | raw echo TcpServer | dns / echo |",
    "| --- | ---: | ---: | ---: |",
  );
  for (const r of rows) out.push(`| ${r.conns} connection${r.conns > 1 ? "s" : ""} | ${fmt(r.dns)}/s | ${fmt(r.echo)}/s | ${(r.dns / r.echo).toFixed(2)} |`);
  out.push(
    "",
    `| push fan-out to ${fmt(SUBSCRIBERS)} subscribers after a committed change (${CHANGES} changes), from the change's start | committed | all pushes sent | median subscriber | last subscriber, median | last, worst | target |`,
    "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
  );
  for (const f of fan) {
    const target = f.external ? 1500 : 50;
    const how = f.external ? "written by another store connection (seen by the 1000 ms poll)" : "admin change through the server's store";
    const pushed = Number.isNaN(f.pushedMedian) ? "—" : `${f.pushedMedian.toFixed(1)} ms`;
    out.push(
      `| table of ${f.label}, ${how} | ${f.commitMedian.toFixed(1)} ms | ${pushed} | ${f.arrivalMedian.toFixed(1)} ms | ${f.lastMedian.toFixed(1)} ms | ${f.lastMax.toFixed(1)} ms | ≤ ${target} ms: ${f.lastMax <= target ? "met" : "missed"} |`,
    );
  }
  out.push(
    "",
    `| load ${fmt(load.routes)} routes (${fmt(load.hosts)} hosts) from SQLite, fresh process | value |`,
    "| --- | ---: |",
    `| DnsServer.start() (RouteVersion, whole RouteData, RouteChange, listen) | ${fmt(load.startMs)} ms |`,
    `| forced reload (what a RouteVersion change costs) | ${fmt(load.reloadMs)} ms |`,
    `| longest event-loop stall during that reload | ${fmt(load.maxLoopBlockMs)} ms |`,
    `| the same forced reload with a WorkerTableLoader (load and diff on a worker thread; lars-dns's default) | ${fmt(load.workerReloadMs)} ms |`,
    `| longest event-loop stall during that one | ${fmt(load.workerMaxLoopBlockMs)} ms |`,
    `| RSS before → after start (after gc) | ${mb(load.rssBefore)} → ${mb(load.rssAfter)} (+${mb(load.rssAfter - load.rssBefore)}) |`,
    `| RSS after the reload (after gc) | ${mb(load.rssReloaded)} |`,
    `| JS heap used before → after start → after the reload (after gc) | ${mb(load.heapBefore)} → ${mb(load.heapAfter)} → ${mb(load.heapReloaded)} |`,
    "",
    `Machine load average (1 min) at start / end: ${load0.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} on ${os.cpus().length} cpus.`,
  );
  process.stdout.write(`${out.join("\n")}\n`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
