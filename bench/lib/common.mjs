// Shared by every bench server and client: arguments, the payload, the
// latency meter and the stdin/stdout control protocol with bench/run.mjs.
//
// Nothing here is on a contender's hot path except LatencyMeter.record and
// SendTimes (used identically by all three clients), so the contenders
// differ only in their transport code.
import { createHistogram, performance } from "node:perf_hooks";
import { createInterface } from "node:readline";
import { parseArgs } from "node:util";

/** The Lars frame header: int32 LE msgid, int32 LE body length. */
export const HEADER_LENGTH = 8;
/** Largest body of the C++ Lars frame. */
export const MAX_BODY = 65527;
/** msgid of the QPS test's EchoMessage. */
export const MSGID = 1;

/**
 * The QPS EchoMessage body: protobuf of `{ content: "Hello Lars!!!", id: 1 }`
 * (qps_test.EchoMessage), byte-exact the "qps EchoMessage id=1" vector of
 * shared/wire/vectors.json. 17 bytes. Every contender sends these bytes and
 * echoes them as they are; no contender runs protobuf.
 */
export const PAYLOAD = Buffer.from("0a0d48656c6c6f204c6172732121211001", "hex");

/**
 * Parses the common bench arguments.
 * `--port P --host H --conns C --depth D --seconds S --warmup W --payload hex`
 */
export function benchArgs(extra = {}) {
  const { values } = parseArgs({
    options: {
      host: { type: "string", default: "127.0.0.1" },
      port: { type: "string", default: "0" },
      conns: { type: "string", default: "1" },
      depth: { type: "string", default: "1" },
      seconds: { type: "string", default: "3" },
      warmup: { type: "string", default: "0.5" },
      payload: { type: "string", default: PAYLOAD.toString("hex") },
      "max-conn": { type: "string", default: "1024" },
      batch: { type: "string", default: "500" },
      ...extra,
    },
    strict: true,
  });
  const num = (name) => {
    const v = Number(values[name]);
    if (!Number.isFinite(v) || v < 0) throw new RangeError(`--${name} must be a non-negative number, got ${values[name]}`);
    return v;
  };
  const payload = Buffer.from(values.payload, "hex");
  if (payload.length > MAX_BODY) throw new RangeError(`--payload is ${payload.length} bytes, more than ${MAX_BODY}`);
  return {
    host: values.host,
    port: num("port"),
    conns: Math.max(1, Math.floor(num("conns"))),
    depth: Math.max(1, Math.floor(num("depth"))),
    seconds: num("seconds"),
    warmup: num("warmup"),
    payload,
    maxConn: Math.max(1, Math.floor(num("max-conn"))),
    batch: Math.max(1, Math.floor(num("batch"))),
    values,
  };
}

/** One JSON line on stdout (synchronous on pipes on Linux). */
export function emit(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

export function fail(message) {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

/**
 * Send timestamps of the requests in flight on one connection, oldest first:
 * a preallocated ring of `depth` slots (at most `depth` requests are in
 * flight), so recording a send allocates nothing.
 */
export class SendTimes {
  constructor(depth) {
    this.times = new Float64Array(depth);
    this.size = depth;
    this.head = 0; // oldest
    this.count = 0;
  }

  push(t) {
    if (this.count === this.size) throw new Error("more requests in flight than --depth");
    let i = this.head + this.count;
    if (i >= this.size) i -= this.size;
    this.times[i] = t;
    this.count++;
  }

  shift() {
    if (this.count === 0) throw new Error("reply without a request in flight");
    const t = this.times[this.head];
    this.head = this.head + 1 === this.size ? 0 : this.head + 1;
    this.count--;
    return t;
  }
}

/**
 * Counts replies and records their latency (time from the request's send
 * call to the reply's delivery to the application) in a perf_hooks
 * histogram, in nanoseconds, during the measured window only. The window
 * opens after `warmup` seconds and lasts `seconds`; then `onDone(result)`.
 */
export class LatencyMeter {
  constructor({ warmup, seconds, onDone }) {
    this.hist = createHistogram({ lowest: 1, highest: 60e9, figures: 3 });
    this.measuring = false;
    this.replies = 0;
    this.startedAt = 0;
    this.onDone = onDone;
    this.warmupMs = warmup * 1000;
    this.seconds = seconds;
  }

  start() {
    setTimeout(() => {
      this.hist.reset();
      this.replies = 0;
      this.startedAt = performance.now();
      this.measuring = true;
      setTimeout(() => this.finish(), this.seconds * 1000);
    }, this.warmupMs);
  }

  /** A reply arrived for the request sent at `sentAt` (performance.now()). */
  record(sentAt) {
    if (!this.measuring) return;
    const ns = Math.round((performance.now() - sentAt) * 1e6);
    this.hist.record(ns > 0 ? ns : 1);
    this.replies++;
  }

  finish() {
    this.measuring = false;
    const elapsed = (performance.now() - this.startedAt) / 1000;
    const h = this.hist;
    const us = (ns) => Math.round(ns / 100) / 10;
    this.onDone({
      qps: Math.round(this.replies / elapsed),
      p50_us: us(h.percentile(50)),
      p90_us: us(h.percentile(90)),
      p99_us: us(h.percentile(99)),
      max_us: us(h.max),
      replies: this.replies,
      seconds: Math.round(elapsed * 1000) / 1000,
    });
  }
}

/**
 * The server side of the control protocol with bench/run.mjs. On stdin:
 * - `measure N`: wait until `connCount()` >= N (up to 30 s), run the GC
 *   (needs --expose-gc) and print `{event:"memory", ...process.memoryUsage(), conns}`;
 * - `exit`, end of stdin, SIGTERM or SIGINT: exit 0 (so --cpu-prof profiles are written).
 */
export function serverControl(connCount) {
  const exit = () => process.exit(0);
  process.on("SIGTERM", exit);
  process.on("SIGINT", exit);
  const rl = createInterface({ input: process.stdin });
  rl.on("close", exit);
  rl.on("line", (line) => {
    const [cmd, arg] = line.trim().split(/\s+/);
    if (cmd === "exit") exit();
    else if (cmd === "measure") void measure(Number(arg ?? 0), connCount);
  });
}

async function measure(expected, connCount) {
  const deadline = performance.now() + 30_000;
  while (connCount() < expected && performance.now() < deadline) await sleep(20);
  await settleGc();
  emit({ event: "memory", ...process.memoryUsage(), conns: connCount() });
}

/** Several full GCs with turns in between, so finalizers and weak callbacks run. */
export async function settleGc() {
  if (typeof globalThis.gc !== "function") throw new Error("run with --expose-gc");
  for (let i = 0; i < 4; i++) {
    globalThis.gc();
    await sleep(25);
  }
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
