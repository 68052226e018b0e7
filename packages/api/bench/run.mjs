#!/usr/bin/env node
// Benchmark of @lars/api: getHost + report pairs per second (what a caller does per call) through LarsClient against a real
// LarsAgent (in its own process), beside a hand-written raw node:dgram client doing the same
// encode / send / decode with nothing else (no promise, no timer, no pending map), in the same
// run, alternating the two. Target: LarsClient >= 0.7x the raw client.
//
//   node packages/api/bench/run.mjs [--quick] [--seconds 2] [--rounds 5] [--concurrency 1,4,16]
//
// The machine is shared and noisy: the two arms run back to back (order alternating per round)
// and the ratio is the median of the per-round ratios. Client CPU per round trip
// (process.cpuUsage of this process, the agent excluded) shows the client's own cost.
//
// Build first: npx turbo run build --filter=@lars/api
// Progress goes to stderr, the table (markdown) to stdout.
import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import os from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { encodeFrame } from "@lars/codec";
import { MsgId, getHostRequestCodec, getHostResponseCodec, int32ToIp, reportRequestCodec } from "@lars/proto";
import { LarsClient, agentPortIndex } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    quick: { type: "boolean", default: false },
    seconds: { type: "string" },
    rounds: { type: "string" },
    concurrency: { type: "string", default: "1,4,16" },
  },
});
const seconds = Number(values.seconds ?? (values.quick ? "0.5" : "2"));
const rounds = Number(values.rounds ?? (values.quick ? "2" : "5"));
const concurrencies = values.concurrency.split(",").map(Number);
const MODID = 1;
const CMDID = 1;
const log = (s) => process.stderr.write(`${s}\n`);

// --- the agent, in its own process
const child = spawn(process.execPath, [fileURLToPath(new URL("./agent-child.mjs", import.meta.url))], { stdio: ["pipe", "pipe", "inherit"] });
const first = await new Promise((resolve, reject) => {
  child.once("exit", (code) => reject(new Error(`agent exited with ${code}`)));
  createInterface({ input: child.stdout }).once("line", resolve);
});
const { ports } = JSON.parse(first);
const agentPort = ports[agentPortIndex(MODID, CMDID, ports.length)];
{
  // the agent pulls the route from its DNS on the first ask
  const c = new LarsClient({ ports });
  const warm = await c.regInit(MODID, CMDID, { attempts: 100, intervalMs: 10 });
  await c.close();
  if (!warm.ok) throw new Error(`route not warm: ${warm.reason}`);
}

// --- arm 1: LarsClient, K loops of `await getHost()`
async function larsArm(k, ms) {
  const client = new LarsClient({ ports, timeoutMs: 1000 });
  let n = 0;
  let running = true;
  const end = performance.now() + ms;
  const timer = setTimeout(() => (running = false), ms);
  const loop = async () => {
    while (running) {
      const r = await client.getHost(MODID, CMDID);
      if (!r.ok) throw new Error(`getHost: ${r.reason}`);
      client.report(MODID, CMDID, r.host, 0);
      n++;
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: k }, loop));
  clearTimeout(timer);
  const elapsed = Math.max(performance.now(), end) - started;
  await client.close();
  return (n * 1000) / elapsed;
}

// --- arm 2: raw node:dgram, K requests in flight, the next sent from the reply handler
async function rawArm(k, ms) {
  const sock = createSocket("udp4");
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  let seq = 0;
  let n = 0;
  let running = true;
  let inflight = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const send = () => {
    seq = (seq + 1) >>> 0;
    inflight++;
    sock.send(encodeFrame(MsgId.GetHostRequest, getHostRequestCodec.encode({ seq, modid: MODID, cmdid: CMDID })), agentPort, "127.0.0.1");
  };
  sock.on("message", (msg) => {
    inflight--;
    const r = getHostResponseCodec.decode(msg.subarray(8));
    if (r.retcode !== 0 || r.host === undefined) throw new Error(`raw getHost retcode ${r.retcode}`);
    int32ToIp(r.host.ip); // what a caller needs: the dotted address
    sock.send(encodeFrame(MsgId.ReportRequest, reportRequestCodec.encode({ modid: MODID, cmdid: CMDID, host: r.host, retcode: 0 })), agentPort, "127.0.0.1");
    n++;
    if (running) send();
    else if (inflight === 0) done();
  });
  const started = performance.now();
  for (let i = 0; i < k; i++) send();
  setTimeout(() => (running = false), ms);
  await finished;
  const elapsed = performance.now() - started;
  await new Promise((r) => sock.close(r));
  return (n * 1000) / elapsed;
}

log(`agent pid ${child.pid} on udp ${ports.join(",")}; ${rounds} round(s) of ${seconds} s per arm; node ${process.version}, ${os.cpus().length} cpus`);
const results = new Map(); // `${arm}:${k}` -> [{ rate, cpuUs }] per round
const arms = [["raw", rawArm], ["lars", larsArm]];
for (let round = 1; round <= rounds; round++) {
  for (const k of concurrencies) {
    for (const [arm, fn] of round % 2 === 1 ? arms : [...arms].reverse()) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const rate = await fn(k, seconds * 1000);
      const cpu = process.cpuUsage(cpu0);
      const ops = (rate * (performance.now() - t0)) / 1000;
      const cpuUs = (cpu.user + cpu.system) / ops;
      log(`round ${round} concurrency ${k} ${arm}: ${Math.round(rate)} getHost+report pairs/s, ${cpuUs.toFixed(1)} us client cpu each`);
      const key = `${arm}:${k}`;
      results.set(key, [...(results.get(key) ?? []), { rate, cpuUs }]);
    }
  }
}
child.stdin.end();
await once(child, "exit");

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x) => Math.round(x).toLocaleString("en-US");
const lines = [
  `getHost + report pairs/s through a real LarsAgent (own process), LarsClient vs raw node:dgram: median of ${rounds} rounds x ${seconds} s`,
  "",
  "| concurrency | raw node:dgram /s | LarsClient /s | ratio (median per round) | client CPU us/op raw | client CPU us/op LarsClient |",
  "|---:|---:|---:|---:|---:|---:|",
];
let worst = Infinity;
for (const k of concurrencies) {
  const raw = results.get(`raw:${k}`);
  const lars = results.get(`lars:${k}`);
  const ratio = median(raw.map((r, i) => lars[i].rate / r.rate));
  worst = Math.min(worst, ratio);
  lines.push(
    `| ${k} | ${fmt(median(raw.map((r) => r.rate)))} | ${fmt(median(lars.map((r) => r.rate)))} | ${ratio.toFixed(2)}x | ` +
      `${median(raw.map((r) => r.cpuUs)).toFixed(1)} | ${median(lars.map((r) => r.cpuUs)).toFixed(1)} |`,
  );
}
lines.push("", `worst ratio ${worst.toFixed(2)}x (target >= 0.70x): ${worst >= 0.7 ? "met" : "NOT met"}`);
process.stdout.write(`${lines.join("\n")}\n`);
