// Micro-benchmark of the QPS payload codec (not a test): encode, decode and
// encode+decode per second of EchoMessage { content: "Hello Lars!!!", id }
// through echoMessageCodec, next to protobufjs called directly (the floor
// the adapter adds to). Runs against the built dist: `npm run build` first.
//
//   node bench/protobuf-bench.mjs [--seconds-per-round 1] [--rounds 5] [--json]
import os from "node:os";
import { parseArgs } from "node:util";
import { echoMessageCodec, echoMessageType } from "../dist/index.js";

const { values } = parseArgs({
  options: {
    "seconds-per-round": { type: "string", default: "1" },
    rounds: { type: "string", default: "5" },
    json: { type: "boolean", default: false },
  },
});
const secondsPerRound = Number(values["seconds-per-round"]);
const rounds = Number(values.rounds);
const CONTENT = "Hello Lars!!!";
const BATCH = 10_000;

/** ops/s of one timed round of `fn(BATCH)` calls lasting about `secondsPerRound`. */
function round(fn) {
  let ops = 0;
  const start = process.hrtime.bigint();
  const end = start + BigInt(Math.round(secondsPerRound * 1e9));
  let now = start;
  while (now < end) {
    fn(BATCH);
    ops += BATCH;
    now = process.hrtime.bigint();
  }
  return ops / (Number(now - start) / 1e9);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

let sink = 0;
const body = Buffer.from(echoMessageCodec.encode({ content: CONTENT, id: 1 }));

const cases = {
  "echoMessageCodec encode": (n) => {
    for (let i = 0; i < n; i++) sink += echoMessageCodec.encode({ content: CONTENT, id: i }).length;
  },
  "echoMessageCodec decode": (n) => {
    for (let i = 0; i < n; i++) sink += echoMessageCodec.decode(body).id;
  },
  "echoMessageCodec encode+decode": (n) => {
    for (let i = 0; i < n; i++) sink += echoMessageCodec.decode(echoMessageCodec.encode({ content: CONTENT, id: i })).id;
  },
  "protobufjs Type encode+decode (direct)": (n) => {
    for (let i = 0; i < n; i++) sink += echoMessageType.decode(echoMessageType.encode({ content: CONTENT, id: i }).finish()).id;
  },
};

// Warm up every case, then alternate them round by round so that a noisy
// neighbour or a CPU frequency change hits all of them alike.
for (const fn of Object.values(cases)) for (let i = 0; i < 20; i++) fn(BATCH);
const samples = new Map(Object.keys(cases).map((name) => [name, []]));
for (let r = 0; r < rounds; r++) for (const [name, fn] of Object.entries(cases)) samples.get(name).push(round(fn));
const rows = [...samples].map(([name, xs]) => ({ name, opsPerSec: Math.round(median(xs)) }));

const machine = `${os.cpus()[0]?.model ?? "unknown CPU"} ×${os.cpus().length}, Node ${process.version}, ${os.platform()} ${os.arch()}`;
if (values.json) {
  console.log(JSON.stringify({ machine, date: new Date().toISOString(), rounds, secondsPerRound, rows }));
} else {
  console.log(`EchoMessage { content: "${CONTENT}", id } (${body.length}-byte body), median of ${rounds} × ${secondsPerRound}s`);
  console.log(machine);
  console.log("");
  console.log("| case | ops/s |");
  console.log("| --- | ---: |");
  for (const { name, opsPerSec } of rows) console.log(`| ${name} | ${(opsPerSec / 1e6).toFixed(2)} M |`);
}
if (sink === 0.5) console.log(""); // keep the results alive
