// Lars QPS client (C++ ch. 13): C connections, each sending
// qps_test.EchoMessage { content: "Hello Lars!!!", id } on msgid 1 and, on
// every reply whose content matches, the next one with id + 1 (ping-pong).
// With --depth D each connection keeps D messages in flight (pipelined).
// Prints QPS every second, then a summary with latency percentiles.
//
//   node client.mjs --host 127.0.0.1 --port 7777 --conns 8 --depth 1 --seconds 10 [--json]
import { createHistogram, performance } from "node:perf_hooks";
import { EventLoop } from "@lars/event-loop";
import { echoMessageCodec } from "@lars/protobuf";
import { TcpClient } from "@lars/tcp-client";
import { parseCli, usageError } from "../_shared/cli.mjs";

const MSGID = 1;
const CONTENT = "Hello Lars!!!";

const USAGE = `usage: node client.mjs --port PORT [options]

  --host HOST     server address (default 127.0.0.1)
  --port PORT     server port (default 7777)
  --conns C       connections (default 1)
  --depth D       messages in flight per connection; 1 = ping-pong (default 1)
  --seconds S     how long to measure, after every connection is up (default 10)
  --json          print the summary as one JSON object on stdout (the live
                  lines go to stderr)
  -h, --help      show this help

Exit code 0 when replies arrived and all matched; 1 on a connection error,
a wrong reply, or no reply at all; 2 on bad flags.`;

function numFlag(values, name, min, max, integer = true) {
  const raw = values[name];
  const n = Number(raw);
  if (raw.trim() === "" || !Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < min || n > max) {
    usageError(`--${name} must be ${integer ? "an integer" : "a number"} in ${min}..${max}, got "${raw}"`);
  }
  return n;
}

const values = parseCli(USAGE, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "7777" },
  conns: { type: "string", default: "1" },
  depth: { type: "string", default: "1" },
  seconds: { type: "string", default: "10" },
  json: { type: "boolean", default: false },
});
const host = values.host;
const port = numFlag(values, "port", 1, 65535);
const conns = numFlag(values, "conns", 1, 10_000);
const depth = numFlag(values, "depth", 1, 10_000);
const seconds = numFlag(values, "seconds", 0.1, 86_400, false);
const say = values.json ? (line) => process.stderr.write(`${line}\n`) : (line) => console.log(line);
const fmt = (n) => Math.round(n).toLocaleString("en-US");

const loop = new EventLoop({ logger: console });
const latency = createHistogram({ lowest: 1, highest: 60e9, figures: 3 }); // nanoseconds
let measuring = false;
let finished = false;
let connected = 0;
let replies = 0; // in the measured window
let wrong = 0;

/**
 * One connection's state. Send times of its messages in flight live in a
 * ring of `depth` slots (replies come back in order), so a message costs
 * no closure and no timestamp object.
 */
class QpsConnection {
  sentAt = new Float64Array(depth);
  head = 0; // oldest message in flight
  inFlight = 0;
  replies = 0; // in the measured window

  constructor() {
    this.client = new TcpClient(loop, {
      host,
      port,
      reconnect: false,
      onConnStart: () => {
        for (let id = 1; id <= depth; id++) this.send(id);
        if (++connected === conns) startMeasuring();
      },
      onConnClose: (_client, reason, err) => {
        if (!finished) fail(`connection closed (${reason})${err ? `: ${err.message}` : ""}`);
      },
      onGiveUp: (_client, err) => fail(`cannot connect: ${err.message}`),
      onError: (_client, err) => {
        if (err.name !== "ConnectError") fail(err.message); // connect failures end in onGiveUp
      },
    });
    this.client.addMsgRouter(MSGID, onReply, this);
  }

  send(id) {
    let slot = this.head + this.inFlight++;
    if (slot >= depth) slot -= depth;
    this.sentAt[slot] = performance.now();
    this.client.sendMessage(echoMessageCodec.encode({ content: CONTENT, id }), MSGID);
  }
}

/** Route handler of msgid 1; `c` is the connection's state (registered as the route's user data). */
function onReply(body, _msgid, _client, c) {
  const sentAt = c.sentAt[c.head];
  c.head = c.head + 1 === depth ? 0 : c.head + 1;
  c.inFlight--;
  const message = echoMessageCodec.decode(body);
  if (message.content !== CONTENT) {
    wrong++; // like the C++ client: a wrong reply is not answered
    return;
  }
  if (measuring) {
    latency.record(Math.max(1, Math.round((performance.now() - sentAt) * 1e6)));
    replies++;
    c.replies++;
  }
  c.send(message.id + 1);
}

let startedAt = 0;
let lastAt = 0;
let lastReplies = 0;
let ticks = 0;

function startMeasuring() {
  say(`qps: ${conns} conns x depth ${depth} -> ${host}:${port}, ${seconds} s`);
  measuring = true;
  startedAt = lastAt = performance.now();
  loop.runEvery(1000, printSecond);
  loop.runAfter(seconds * 1000, finish);
}

/** The live line: replies per second since the last one. */
function printSecond() {
  const now = performance.now();
  say(`[${String(++ticks).padStart(3)}s] ${fmt(((replies - lastReplies) * 1000) / (now - lastAt)).padStart(10)} qps`);
  lastAt = now;
  lastReplies = replies;
}

function finish() {
  if (finished) return;
  finished = true;
  measuring = false;
  const now = performance.now();
  if (startedAt !== 0 && now - lastAt >= 500) printSecond(); // the last second, when its timer lost the race
  const elapsed = startedAt === 0 ? 0 : (now - startedAt) / 1000;
  void loop.stop();
  if (startedAt === 0) {
    console.error("qps client: stopped before every connection was up");
    process.exitCode = 1;
    return;
  }
  const us = (ns) => Math.round(ns / 100) / 10;
  const perConn = connections.map((c) => c.replies);
  const summary = {
    qps: elapsed > 0 ? Math.round(replies / elapsed) : 0,
    total: replies,
    seconds: Math.round(elapsed * 1000) / 1000,
    conns,
    depth,
    p50_us: us(latency.percentile(50)),
    p90_us: us(latency.percentile(90)),
    p99_us: us(latency.percentile(99)),
    max_us: us(latency.max),
    per_conn: perConn,
    wrong_replies: wrong,
  };
  if (values.json) {
    console.log(JSON.stringify(summary));
  } else {
    const avg = replies / conns;
    say("--- summary ---");
    say(`replies   ${fmt(replies)} in ${summary.seconds} s = ${fmt(summary.qps)} qps (${conns} conns x depth ${depth})`);
    say(`per conn  min ${fmt(Math.min(...perConn))}  avg ${fmt(avg)}  max ${fmt(Math.max(...perConn))} replies (${fmt(avg / elapsed)} qps each)`);
    say(`latency   p50 ${summary.p50_us} us  p90 ${summary.p90_us} us  p99 ${summary.p99_us} us  max ${summary.max_us} us`);
    if (wrong > 0) say(`WRONG     ${wrong} replies did not carry "${CONTENT}"`);
  }
  if (replies === 0 || wrong > 0) process.exitCode = 1;
}

function fail(message) {
  if (finished) return;
  console.error(`qps client: ${message}`);
  process.exitCode = 1;
  finished = true;
  void loop.stop();
}

// Ctrl-C: stop early and print what was measured.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, finish);

const connections = Array.from({ length: conns }, () => new QpsConnection());
await loop.run();
