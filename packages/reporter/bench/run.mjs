#!/usr/bin/env node
// Benchmark of @lars/reporter: HostCallResults stored per second, sustained,
// through the real path (agents over TCP -> ReporterServer -> bounded queue ->
// batched multi-row upserts off the I/O path), beside the C++ way in the same
// run: one upsert per result. SQLite always; MariaDB/MySQL when
// LARS_TEST_MYSQL_URL is set (e.g. mysql://root@127.0.0.1:3306/test).
//
//   node packages/reporter/bench/run.mjs [--quick] [--seconds 30] [--agents 4] [--hosts 100000]
//                                                   [--batch 2000] [--no-baseline] [--no-full]
//
// Build first: npx turbo run build --filter=@lars/reporter...
// Progress goes to stderr, the table (markdown) to stdout.
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { EventLoop } from "@lars/event-loop";
import { MsgId, reportStatusRequestCodec } from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { ReporterServer, createStoreWriter, openCallStatusStore } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "30" },
    warmup: { type: "string", default: "2" },
    agents: { type: "string", default: "4" },
    hosts: { type: "string", default: "100000" },
    batch: { type: "string", default: "2000" },
    "no-baseline": { type: "boolean", default: false },
    "no-full": { type: "boolean", default: false },
    quick: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.quick) {
  values.seconds = "5";
  values.warmup = "1";
}
if (values.help) {
  process.stdout.write("usage: run.mjs [--quick (5 s runs)] [--seconds 30] [--warmup 2] [--agents 4] [--hosts 100000] [--batch 2000] [--no-baseline] [--no-full (skip SQLite at synchronous FULL)]\n");
  process.exit(0);
}
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const AGENTS = Number(values.agents);
const HOSTS = Number(values.hosts);
const BATCH = Number(values.batch);
const RESULTS_PER_REPORT = 100;
for (const [k, v] of Object.entries({ SECONDS, WARMUP, AGENTS, HOSTS, BATCH })) {
  if (!(v >= 0) || (k !== "WARMUP" && v <= 0)) {
    process.stderr.write(`reporter-bench: bad --${k.toLowerCase()}\n`);
    process.exit(2);
  }
}

const mb = (n) => (n / 1024 / 1024).toFixed(0);
const log = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The reports an agent sends: RESULTS_PER_REPORT hosts each, cycling over HOSTS hosts, so rows rarely coalesce. */
function makeReports(agent, modid) {
  const bodies = [];
  const perAgent = Math.max(1, Math.floor(HOSTS / RESULTS_PER_REPORT));
  for (let r = 0; r < perAgent; r++) {
    const results = [];
    for (let i = 0; i < RESULTS_PER_REPORT; i++) {
      const h = r * RESULTS_PER_REPORT + i;
      results.push({ ip: 0x0a000000 + h, port: 80 + (h % 7), succ: 100 + (h % 13), err: h % 3, overload: h % 50 === 0 });
    }
    bodies.push(reportStatusRequestCodec.encode({ modid, cmdid: 1, caller: 0x0b000000 + agent, ts: 1_700_000_000, results }));
  }
  return bodies;
}

async function batched(storeOptions, modid) {
  const loop = new EventLoop();
  const writer = createStoreWriter(storeOptions, { threads: 1, storeModule: STORE_MODULE });
  await writer.open();
  const reporter = new ReporterServer(loop, { writer, port: 0, queueCap: 200_000, batchSize: BATCH, flushIntervalMs: 50 });
  const { port } = await reporter.listen();
  const clients = [];
  for (let a = 0; a < AGENTS; a++) {
    const c = new TcpClient(loop, { host: "127.0.0.1", port, reconnect: false });
    await c.ready();
    clients.push({ c, bodies: makeReports(a, modid), next: 0 });
  }
  let running = true;
  // Agents send while the reporter keeps up: pause when its queue is past 20 000 rows
  // (a real agent reports every few seconds; here we push as hard as storage takes).
  const pump = () => {
    if (!running) return;
    if (reporter.queue.size < 20_000) {
      for (const cl of clients) {
        for (let k = 0; k < 20 && cl.c.pendingBytes < 1 << 20; k++) {
          cl.c.sendMessage(cl.bodies[cl.next], MsgId.ReportStatusRequest);
          cl.next = (cl.next + 1) % cl.bodies.length;
        }
      }
    }
    setImmediate(pump);
  };
  pump();
  await sleep(WARMUP * 1000);
  const rssWarm = process.memoryUsage().rss;
  const s0 = reporter.stats();
  const t0 = performance.now();
  let rssMax = rssWarm;
  const rssTimer = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
  await sleep(SECONDS * 1000);
  const s1 = reporter.stats();
  const elapsed = (performance.now() - t0) / 1000;
  clearInterval(rssTimer);
  const rssEnd = process.memoryUsage().rss;
  rssMax = Math.max(rssMax, rssEnd);
  running = false;
  await reporter.close();
  await loop.stop();
  const stored = s1.flusher.stored - s0.flusher.stored;
  return {
    stored,
    elapsed,
    rate: stored / elapsed,
    rssWarm,
    rssEnd,
    rssMax,
    extra: `batches avg ${s1.flusher.batches.avg.toFixed(0)} rows, store latency avg ${s1.flusher.storeLatencyMs.avg.toFixed(1)} ms / max ${s1.flusher.storeLatencyMs.max.toFixed(0)} ms, coalesced ${s1.queue.coalesced - s0.queue.coalesced}, dropped ${s1.queue.dropped - s0.queue.dropped}, max pending ${s1.queue.maxPending}`,
  };
}

async function rowByRow(storeOptions, modid) {
  const store = await openCallStatusStore(storeOptions, STORE_MODULE);
  const rssWarm = process.memoryUsage().rss;
  let stored = 0;
  let h = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let k = 0; k < 100; k++) {
      await store.upsertCallStatus([
        { modid, cmdid: 1, ip: 0x0a000000 + h, port: 80 + (h % 7), caller: 0x0b000000, succCnt: 100 + (h % 13), errCnt: h % 3, ts: 1_700_000_000, overload: false },
      ]);
      h = (h + 1) % HOSTS;
      stored++;
    }
  }
  const elapsed = (performance.now() - t0) / 1000;
  const rssEnd = process.memoryUsage().rss;
  await store.close();
  return { stored, elapsed, rate: stored / elapsed, rssWarm, rssEnd, rssMax: rssEnd, extra: "one upsert (one transaction) per result, in the main thread" };
}

const STORE_MODULE = "@lars/store";
const STORE_NAME = "@lars/store";

const backends = [];
const dir = mkdtempSync(join(os.tmpdir(), "lars-reporter-bench-"));
// SQLite twice: at the store's default (synchronous NORMAL: commits survive a process crash, not a power
// loss) and at FULL (every commit fsynced, as durable as the C++ way's InnoDB commit per upsert). Both
// paths of one row run at the same setting, so each ratio compares like with like.
backends.push({ name: "SQLite (synchronous NORMAL, the default)", options: { type: "sqlite", path: join(dir, "normal.db") } });
if (!values["no-full"]) backends.push({ name: "SQLite (synchronous FULL)", options: { type: "sqlite", path: join(dir, "full.db"), synchronous: "full" } });
if (process.env.LARS_TEST_MYSQL_URL) backends.push({ name: "MariaDB", options: { type: "mysql", url: process.env.LARS_TEST_MYSQL_URL } });

const rssStart = process.memoryUsage().rss;
const rows = [];
for (const [i, b] of backends.entries()) {
  const modid = 900_000 + i * 10 + Math.floor(Math.random() * 9);
  log(`${b.name}: batched, ${SECONDS} s (+${WARMUP} s warm-up), ${AGENTS} agents ...`);
  const bat = await batched(b.options, modid);
  log(`  ${bat.rate.toFixed(0)} results/s; ${bat.extra}`);
  let base;
  if (!values["no-baseline"]) {
    log(`${b.name}: row-by-row baseline, ${SECONDS} s ...`);
    base = await rowByRow(b.options, modid + 1);
    log(`  ${base.rate.toFixed(0)} results/s`);
  }
  rows.push({ b, bat, base });
}
rmSync(dir, { recursive: true, force: true });

const out = [];
out.push(`reporter benchmark: ${SECONDS} s per run, ${AGENTS} agents x ${RESULTS_PER_REPORT} results/report over ${HOSTS} hosts, batch ${BATCH}, store ${STORE_NAME}, node ${process.version}, ${os.cpus().length} cpus`);
out.push("");
out.push("| backend | path | results stored | s | results/s | vs row-by-row | RSS after warm-up -> end (max), MB |");
out.push("| --- | --- | ---: | ---: | ---: | ---: | --- |");
for (const { b, bat, base } of rows) {
  const ratio = base ? `${(bat.rate / base.rate).toFixed(1)}x` : "-";
  out.push(`| ${b.name} | batched (reporter, TCP, worker) | ${bat.stored} | ${bat.elapsed.toFixed(1)} | ${bat.rate.toFixed(0)} | ${ratio} | ${mb(bat.rssWarm)} -> ${mb(bat.rssEnd)} (${mb(bat.rssMax)}) |`);
  if (base) out.push(`| ${b.name} | row-by-row (one upsert per result) | ${base.stored} | ${base.elapsed.toFixed(1)} | ${base.rate.toFixed(0)} | 1.0x | ${mb(base.rssWarm)} -> ${mb(base.rssEnd)} |`);
}
out.push("");
out.push(`process RSS: ${mb(rssStart)} MB before, ${mb(process.memoryUsage().rss)} MB after`);
process.stdout.write(`${out.join("\n")}\n`);
