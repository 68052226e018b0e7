#!/usr/bin/env node
// Soak test: a Lars server under mixed traffic with connection churn, then a
// check that its memory comes back. Run against the BUILT packages:
//
//   npm run build && node --expose-gc scripts/soak.mjs [--seconds 180] [--clients 16] [--json]
//
// This process is the server (so its heap is the server's alone). The traffic
// comes from a child process (this script with --role=clients): sessions of
// TcpClients doing echo and request/response while the server broadcasts, each
// session living a fraction of a second before it closes and a new one opens
// (churn), mixed with hostile raw sockets (bad headers, half frames then RST,
// half-close, slow readers, silent peers).
//
// Phases: a warm-up (JIT, pools, caches reach their steady size), then the
// baseline is measured once every client has gone (heap after global.gc(),
// BufPool counts); then the soak itself; then the same measure again. It
// fails (exit 1) when, after the soak, the heap grew more than --heap-mb
// (default 20 MB) over the baseline, any pooled buffer is still leased, a
// connection is still open, the server reported an error it should not, or a
// client saw a wrong or missing reply. Prints a summary either way.
// --inject-leak makes the server keep every echoed body and one pooled buffer
// per 1000 echoes (to see the check fail).
import { fork } from "node:child_process";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

let lars;
try {
  lars = await Promise.all(["@lars/codec", "@lars/event-loop", "@lars/iobuf", "@lars/tcp-client", "@lars/tcp-server"].map((m) => import(m)));
} catch (err) {
  console.error(`soak: cannot load the built packages (${err.message}); run \`npm run build\` first`);
  process.exit(2);
}
const [{ FrameDecoder, encodeFrame }, { EventLoop }, { BufPool }, { TcpClient }, { TcpServer }] = lars;

const { values: args } = parseArgs({
  options: {
    seconds: { type: "string", default: "180" },
    clients: { type: "string", default: "16" },
    "heap-mb": { type: "string", default: "20" },
    json: { type: "boolean", default: false },
    "inject-leak": { type: "boolean", default: false },
    role: { type: "string", default: "server" },
    port: { type: "string" },
  },
});
const SECONDS = Number(args.seconds);
const CLIENTS = Number(args.clients);
const HEAP_BOUND = Number(args["heap-mb"]) * 1024 * 1024;
if (!(SECONDS > 0) || !(CLIENTS > 0) || !(HEAP_BOUND > 0)) {
  console.error("usage: node --expose-gc scripts/soak.mjs [--seconds N>0] [--clients N>0] [--heap-mb N>0] [--json]");
  process.exit(2);
}

const MSG_ECHO = 1;
const MSG_REQUEST = 2;
const MSG_REPLY = 3;
const MSG_PULL = 5;
const MSG_BROADCAST = 100;
const MiB = 1024 * 1024;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rand = (lo, hi) => lo + Math.floor(Math.random() * (hi - lo + 1));
const body = (seq, len) => {
  const b = Buffer.alloc(Math.max(4, len));
  b.writeUInt32LE(seq >>> 0, 0);
  for (let i = 4; i < b.length; i++) b[i] = (seq + i) & 0xff;
  return b;
};

if (args.role === "clients") await runClients(Number(args.port));
else await runServer();

// ---------------------------------------------------------------- server side

async function runServer() {
  if (typeof globalThis.gc !== "function") {
    console.error("soak: run with `node --expose-gc scripts/soak.mjs` (the heap is measured after global.gc())");
    process.exit(2);
  }
  const pool = new BufPool();
  const loopErrors = [];
  const loop = new EventLoop({ onError: (err) => loopErrors.push(err) });
  const errors = {};
  const server = new TcpServer(loop, {
    host: "127.0.0.1",
    port: 0,
    pool,
    maxConn: 1000,
    outputCap: 1 * MiB,
    highWaterMark: 256 * 1024,
    idleTimeoutMs: 5000,
    frameTimeoutMs: 2000,
    closeTimeoutMs: 1000,
    onError: (err) => (errors[err.code] = (errors[err.code] ?? 0) + 1),
  });
  const leaked = [];
  let echoes = 0;
  server.addMsgRouter(MSG_ECHO, (b, msgid, conn) => {
    conn.sendMessage(b, msgid);
    if (args["inject-leak"]) {
      leaked.push(Buffer.from(b).toString("base64"));
      if (++echoes % 1000 === 0) pool.alloc(100);
    }
  });
  server.addMsgRouter(MSG_REQUEST, (b, _msgid, conn) => conn.sendMessage(b, MSG_REPLY));
  // A pull answers with 16 x 60 KB: a peer that does not read fills its output (refusals are reported).
  const big = Buffer.alloc(60_000, 7);
  server.addMsgRouter(MSG_PULL, (_b, msgid, conn) => {
    for (let i = 0; i < 16; i++) conn.sendMessage(big, msgid);
  });
  const { port } = await server.listen();
  const news = Buffer.alloc(256, 0x42);
  let broadcasts = 0;
  const ticker = loop.runEvery(100, () => {
    broadcasts++;
    server.broadcast(news, MSG_BROADCAST);
  });

  const measure = async () => {
    for (let i = 0; i < 4; i++) {
      globalThis.gc();
      await new Promise((r) => setImmediate(r));
    }
    const m = process.memoryUsage();
    const p = pool.stats();
    return { heapUsed: m.heapUsed, rss: m.rss, external: m.external, poolInUse: pool.inUse, poolInUseBytes: p.inUseBytes, poolBytes: p.bytes };
  };
  const drained = async () => {
    const end = Date.now() + 15_000;
    while (server.connectionCount > 0 && Date.now() < end) await sleep(20);
    return server.connectionCount;
  };
  const runPhase = (seconds) =>
    new Promise((resolve, reject) => {
      const child = fork(fileURLToPath(import.meta.url), ["--role=clients", `--port=${port}`, `--seconds=${seconds}`, `--clients=${CLIENTS}`], {
        stdio: ["ignore", "inherit", "inherit", "ipc"],
      });
      let summary;
      child.on("message", (m) => (summary = m));
      child.on("error", reject);
      child.on("exit", (code, signal) => resolve({ code, signal, summary }));
    });

  const t0 = performance.now();
  const warmSeconds = Math.min(10, Math.max(1, SECONDS * 0.15));
  const warm = await runPhase(warmSeconds);
  const leftAfterWarm = await drained();
  const baseline = await measure();
  const statsBefore = server.stats();
  const errorsBefore = { ...errors };

  const broadcastsBefore = broadcasts;
  let heapPeak = 0;
  const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 250);
  const soak = await runPhase(SECONDS);
  clearInterval(sampler);
  const left = await drained();
  const after = await measure();
  const stats = server.stats();
  ticker.cancel();
  const diff = (now, before) => Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => v !== 0));
  const closes = diff(stats.closes, statsBefore.closes);
  const reported = diff(errors, errorsBefore);

  // What the server may report: hostile peers' bad headers, refusals to peers that do not read, and
  // broadcasts refused by connections already closing (documented: counted in `refused`, reported).
  const EXPECTED = new Set(["LARS_FRAME_TOO_LONG", "LARS_FRAME_NEGATIVE_LENGTH", "LARS_OUTPUT_FULL", "LARS_CONN_CLOSED"]);
  const unexpectedErrors = Object.entries(errors).filter(([code]) => !EXPECTED.has(code));
  const failures = [];
  if (warm.code !== 0 || soak.code !== 0) failures.push(`client process failed (warm-up exit ${warm.code ?? warm.signal}, soak exit ${soak.code ?? soak.signal})`);
  if (leftAfterWarm !== 0 || left !== 0) failures.push(`connections still open after the clients left: ${leftAfterWarm} / ${left}`);
  if (after.heapUsed - baseline.heapUsed > HEAP_BOUND) {
    failures.push(`heap grew ${((after.heapUsed - baseline.heapUsed) / MiB).toFixed(1)} MiB over the baseline (bound ${HEAP_BOUND / MiB} MiB)`);
  }
  if (after.poolInUse !== 0 || after.poolInUseBytes !== 0) failures.push(`pool still has ${after.poolInUse} buffers (${after.poolInUseBytes} B) leased`);
  if (after.poolBytes > pool.maxFreeBytes) failures.push(`pool holds ${after.poolBytes} B, more than its free-buffer bound ${pool.maxFreeBytes}`);
  if (unexpectedErrors.length > 0) failures.push(`server reported unexpected errors: ${JSON.stringify(Object.fromEntries(unexpectedErrors))}`);
  if (loopErrors.length > 0) failures.push(`server loop reported ${loopErrors.length} errors: ${loopErrors.map(String).join("; ")}`);
  for (const s of [warm.summary, soak.summary]) {
    if (s === undefined) failures.push("a client phase sent no summary");
    else if (s.problems.length > 0) failures.push(`clients saw ${s.problems.length} problems, e.g. ${s.problems.slice(0, 5).join("; ")}`);
  }

  const summary = {
    ok: failures.length === 0,
    failures,
    seconds: SECONDS,
    warmUpSeconds: warmSeconds,
    elapsedSeconds: Number(((performance.now() - t0) / 1000).toFixed(1)),
    clientSlots: CLIENTS,
    traffic: soak.summary?.counts,
    server: {
      connections: stats.total - statsBefore.total,
      messagesIn: stats.messagesIn - statsBefore.messagesIn,
      messagesOut: stats.messagesOut - statsBefore.messagesOut,
      broadcasts: broadcasts - broadcastsBefore,
      refusedAtMaxConn: stats.refused - statsBefore.refused,
      closes,
      reported,
    },
    memory: {
      heapBaselineMiB: +(baseline.heapUsed / MiB).toFixed(2),
      heapAfterMiB: +(after.heapUsed / MiB).toFixed(2),
      heapGrowthMiB: +((after.heapUsed - baseline.heapUsed) / MiB).toFixed(2),
      heapPeakMiB: +(heapPeak / MiB).toFixed(2),
      rssBaselineMiB: +(baseline.rss / MiB).toFixed(1),
      rssAfterMiB: +(after.rss / MiB).toFixed(1),
      poolInUseBaseline: baseline.poolInUse,
      poolInUseAfter: after.poolInUse,
      poolInUseBytesAfter: after.poolInUseBytes,
      poolFreeBytesAfter: after.poolBytes,
    },
  };
  if (args.json) {
    console.log(JSON.stringify(summary));
  } else {
    const t = summary.traffic ?? {};
    const m = summary.memory;
    console.log(`soak ${summary.ok ? "PASSED" : "FAILED"}: ${SECONDS} s (+${warmSeconds} s warm-up), ${CLIENTS} client slots`);
    console.log(
      `  traffic: ${t.sessions} sessions (${JSON.stringify(t.byKind)}), ${t.echoes} echoes, ${t.requests} requests, ` +
        `${t.broadcastsReceived} broadcasts received, ${t.bytesSent} bytes sent by clients`,
    );
    console.log(
      `  server: ${summary.server.connections} connections, ${summary.server.messagesIn} frames in, ${summary.server.messagesOut} out, ` +
        `${broadcasts - broadcastsBefore} broadcasts; closes ${JSON.stringify(closes)}; reported ${JSON.stringify(reported)}`,
    );
    console.log(
      `  heap: baseline ${m.heapBaselineMiB} MiB, after ${m.heapAfterMiB} MiB (growth ${m.heapGrowthMiB} MiB, bound ${HEAP_BOUND / MiB}), peak ${m.heapPeakMiB} MiB; ` +
        `rss ${m.rssBaselineMiB} -> ${m.rssAfterMiB} MiB`,
    );
    console.log(`  pool: leased ${m.poolInUseBaseline} -> ${m.poolInUseAfter} buffers (${m.poolInUseBytesAfter} B), ${m.poolFreeBytesAfter} B kept free for reuse`);
    for (const f of failures) console.log(`  FAIL: ${f}`);
  }
  await loop.stop();
  process.exitCode = failures.length === 0 ? 0 : 1;
}

// ---------------------------------------------------------------- client side

async function runClients(port) {
  const loop = new EventLoop();
  const deadline = Date.now() + SECONDS * 1000;
  const counts = { sessions: 0, byKind: {}, echoes: 0, requests: 0, broadcastsReceived: 0, bytesSent: 0 };
  const problems = [];
  const problem = (p) => {
    if (problems.length < 100) problems.push(p);
  };
  const kinds = [
    ["tcp-client", 70],
    ["bad-header", 5],
    ["half-frame-rst", 5],
    ["half-close", 8],
    ["slow-reader", 6],
    ["silent", 6],
  ];
  const total = kinds.reduce((a, [, w]) => a + w, 0);
  const pick = () => {
    let r = Math.random() * total;
    for (const [k, w] of kinds) if ((r -= w) < 0) return k;
    return kinds[0][0];
  };

  /** A TcpClient session: echoes and requests for a random while, then close. */
  async function tcpClientSession() {
    let echoWant = 0;
    let echoGot = 0;
    let onEcho;
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port,
      reconnect: false,
      onError: (_c, err) => problem(`client error ${err.code}: ${err.message}`),
    });
    client.addMsgRouter(MSG_ECHO, (b) => {
      if (b.readUInt32LE(0) !== echoGot) problem(`echo out of order: got ${b.readUInt32LE(0)}, want ${echoGot}`);
      echoGot++;
      onEcho?.();
    });
    client.addMsgRouter(MSG_BROADCAST, () => void counts.broadcastsReceived++);
    try {
      await client.ready();
    } catch (err) {
      problem(`connect failed: ${err.message}`);
      return;
    }
    const lifeMs = rand(20, 400);
    const end = Date.now() + lifeMs;
    let seq = 0;
    while (Date.now() < end && client.connected) {
      if (Math.random() < 0.5) {
        const b = body(echoWant, rand(0, 2000));
        client.sendMessage(b, MSG_ECHO);
        counts.bytesSent += b.length + 8;
        echoWant++;
      } else {
        const b = body(seq, rand(0, 4000));
        counts.bytesSent += b.length + 8;
        try {
          const reply = await client.request(MSG_REQUEST, b, { replyMsgid: MSG_REPLY, timeoutMs: 5000 });
          if (!reply.equals(b)) problem(`request ${seq}: wrong reply`);
          counts.requests++;
        } catch (err) {
          problem(`request ${seq} failed: ${err.code ?? err.message}`);
        }
        seq++;
      }
      if (Math.random() < 0.2) await sleep(rand(0, 15));
    }
    // Wait for every echo before leaving.
    if (echoGot < echoWant) {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 5000);
        onEcho = () => {
          if (echoGot >= echoWant) {
            clearTimeout(timer);
            resolve();
          }
        };
      });
    }
    if (echoGot !== echoWant) problem(`echoes: got ${echoGot} of ${echoWant}`);
    counts.echoes += echoGot;
    await client.close();
  }

  /** A raw socket session; `script(socket, decoder frames)` drives it; resolves on close. */
  function rawSession(script) {
    return new Promise((resolve) => {
      const socket = connect({ port, host: "127.0.0.1" });
      const frames = [];
      const decoder = new FrameDecoder({ onFrame: (msgid, b) => frames.push({ msgid, len: b.length }) });
      socket.on("data", (chunk) => {
        if (decoder.open) decoder.feed(chunk);
      });
      socket.on("error", () => {});
      socket.on("close", () => {
        decoder.close();
        resolve(frames);
      });
      socket.once("connect", () => script(socket, frames));
    });
  }

  const sessions = {
    "tcp-client": tcpClientSession,
    // A negative length: the server closes it ("bad-frame").
    "bad-header": () =>
      rawSession((s) => {
        const h = Buffer.alloc(8);
        h.writeInt32LE(1, 0);
        h.writeInt32LE(-rand(1, 1000), 4);
        s.write(Buffer.concat([encodeFrame(MSG_ECHO, "ok"), h, Buffer.alloc(rand(0, 100), 9)]));
        counts.bytesSent += 18 + 8;
      }),
    // A header and part of a body, then a reset.
    "half-frame-rst": () =>
      rawSession((s) => {
        const f = encodeFrame(MSG_ECHO, Buffer.alloc(rand(100, 65_527), 3));
        s.write(f.subarray(0, rand(9, f.length - 1)), () => setTimeout(() => s.resetAndDestroy(), rand(0, 20)));
      }),
    // Requests and FIN together: the replies must arrive before the server closes.
    "half-close": async () => {
      const n = rand(1, 5);
      const frames = await rawSession((s) => {
        s.cork();
        for (let i = 0; i < n; i++) s.write(encodeFrame(MSG_REQUEST, body(i, rand(0, 3000))));
        s.end();
        s.uncork();
      });
      const replies = frames.filter((f) => f.msgid === MSG_REPLY).length;
      if (replies !== n) problem(`half-close: ${replies} of ${n} replies before close`);
    },
    // Pulls 1 MB it does not read for a while, then leaves.
    "slow-reader": () =>
      rawSession((s) => {
        s.pause();
        for (let i = 0; i < 4; i++) s.write(encodeFrame(MSG_PULL, "more"));
        setTimeout(() => s.destroy(), rand(50, 300));
      }),
    // Connects, says nothing, leaves.
    silent: () => rawSession((s) => setTimeout(() => s.end(), rand(10, 200))),
  };

  async function slot() {
    while (Date.now() < deadline) {
      const kind = pick();
      counts.sessions++;
      counts.byKind[kind] = (counts.byKind[kind] ?? 0) + 1;
      await sessions[kind]();
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, slot));
  await loop.stop();
  process.send({ counts, problems });
  process.disconnect();
  process.exitCode = problems.length === 0 ? 0 : 1;
}
