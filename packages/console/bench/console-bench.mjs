#!/usr/bin/env node
// Console timings: page render with many routes, a write through the form, and how long a
// change of an agent's /status takes to reach a browser over /events.
// Usage (after the build): node bench/console-bench.mjs
import { createServer } from "node:http";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "@lars/store";
import { startConsole } from "../dist/index.js";

const dir = mkdtempSync(join(tmpdir(), "lars-console-bench-"));
const store = await openStore({ type: "sqlite", path: join(dir, "lars.db") });
let status = agent("idle");
const fake = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(status)));
fake.listen(0, "127.0.0.1");
await once(fake, "listening");
const POLL_MS = Number(process.env.POLL_MS ?? 1000);
const con = await startConsole({ port: 0, store, auth: { password: "pw" }, pollMs: POLL_MS, services: [{ name: "agent", kind: "agent", statusUrl: `http://127.0.0.1:${fake.address().port}/status` }] });

function agent(state) {
  const hosts = Array.from({ length: 20 }, (_, i) => ({ ip: `10.0.0.${i + 1}`, port: 9000 + i, state: i === 0 ? state : "idle", vsucc: 10, verr: 0, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, picks: 5, probes: 0 }));
  return { service: "agent", version: "0.1.0", pid: 1, uptimeSeconds: 1, stats: {}, routes: Array.from({ length: 50 }, (_, r) => ({ modid: r + 1, cmdid: 1, state: "NEW", updatedAt: 0, hosts })) };
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p99 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)];

const login = await fetch(`${con.url}/login`, { method: "POST", body: "secret=pw", headers: { "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });
const cookie = login.headers.get("set-cookie").split(";")[0];
const csrf = /name="csrf" value="([^"]+)"/.exec(await (await fetch(`${con.url}/routes`, { headers: { cookie } })).text())[1];

for (let i = 1; i <= 500; i++) await store.replaceHosts(i, 1, [1, 2, 3].map((n) => ({ ip: (10 << 24) | n, port: 8000 + n })));
const pageMs = [];
let bytes = 0;
for (let i = 0; i < 50; i++) {
  const t = performance.now();
  bytes = (await (await fetch(`${con.url}/routes`, { headers: { cookie } })).text()).length;
  pageMs.push(performance.now() - t);
}
const writeMs = [];
for (let i = 0; i < 100; i++) {
  const t = performance.now();
  const res = await fetch(`${con.url}/routes/add-host`, { method: "POST", body: new URLSearchParams({ modid: "9999", cmdid: "1", ip: "10.1.1.1", port: String(1000 + i), csrf }), headers: { cookie, "content-type": "application/x-www-form-urlencoded" }, redirect: "manual" });
  if (res.status !== 303) throw new Error(`add-host: HTTP ${res.status}`);
  writeMs.push(performance.now() - t);
}

const events = await fetch(`${con.url}/events`, { headers: { cookie } });
const reader = events.body.getReader();
const decoder = new TextDecoder();
let buffer = "";
async function until(pred) {
  for (;;) {
    const i = buffer.indexOf("\n\n");
    if (i >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      if (block.startsWith("event: status") && pred(block)) return block.length;
      continue;
    }
    const { value, done } = await reader.read();
    if (done) throw new Error("stream ended");
    buffer += decoder.decode(value, { stream: true });
  }
}
await until((b) => b.includes('"up":true'));
const sseMs = [];
let eventBytes = 0;
for (let i = 0; i < 10; i++) {
  const next = i % 2 === 0 ? "overload" : "idle";
  const t = performance.now();
  status = agent(next);
  eventBytes = await until((b) => b.includes(`data-host=\\"1:1 10.0.0.1:9000\\" data-state=\\"${next}\\"`));
  sseMs.push(performance.now() - t);
}
await reader.cancel();
console.log(`GET /routes, 500 routes x 3 hosts (${(bytes / 1024).toFixed(0)} KiB): median ${median(pageMs).toFixed(1)} ms, p99 ${p99(pageMs).toFixed(1)} ms`);
console.log(`POST /routes/add-host (SQLite, one admin transaction): median ${median(writeMs).toFixed(1)} ms, p99 ${p99(writeMs).toFixed(1)} ms`);
console.log(`agent /status change -> /events (pollMs ${POLL_MS}, 50 routes x 20 hosts, ${(eventBytes / 1024).toFixed(0)} KiB event): median ${median(sseMs).toFixed(0)} ms, max ${Math.max(...sseMs).toFixed(0)} ms`);
await con.close();
fake.close();
await store.close();
rmSync(dir, { recursive: true, force: true });
