#!/usr/bin/env node
// Decoder micro-benchmark for @lars/codec: frames/s of the streaming
// FrameDecoder against a naive Buffer.concat decoder, on the same input, in
// the same process; plus encode throughput. Run after a build:
//
//   npm run build -w @lars/codec && npm run bench -w @lars/codec [-- --json]
//
// Each case: a warm-up, then a fixed number of passes over a prebuilt list
// of chunks, alternating lars and naive in rounds so drift hits both alike.
// Both decoders must agree on the frame count and a checksum of each pass.
import { OutputBuf } from "@lars/iobuf";
import { FrameDecoder, encodeFrame, writeFrame } from "../dist/index.js";

const json = process.argv.includes("--json");
const HEADER = 8;
const MAX = 65527;

// The QPS test's EchoMessage { content: "Hello Lars!!!", id: 1 }: 17 bytes of protobuf.
const ECHO_BODY = Buffer.from("0a0d48656c6c6f204c6172732121211001", "hex");

/**
 * What a first attempt usually looks like: keep an accumulator, concat every
 * chunk onto it (a copy each time), then slice whole frames off its front.
 */
class NaiveDecoder {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.acc = Buffer.alloc(0);
  }

  feed(chunk) {
    let acc = Buffer.concat([this.acc, chunk]);
    while (acc.length >= HEADER) {
      const length = acc.readInt32LE(4);
      if (length < 0 || length > MAX) throw new Error(`bad frame length ${length}`);
      if (acc.length < HEADER + length) break;
      this.onFrame(acc.readInt32LE(0), acc.subarray(HEADER, HEADER + length));
      acc = acc.subarray(HEADER + length);
    }
    this.acc = acc;
  }
}

/** A naive encoder: a header Buffer, then Buffer.concat with the body. */
function naiveEncode(msgid, body) {
  const header = Buffer.alloc(HEADER);
  header.writeInt32LE(msgid, 0);
  header.writeInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

function stream(body, count) {
  return Buffer.concat(Array.from({ length: count }, (_, i) => encodeFrame(i & 0xffff, body)));
}

/** Cut `bytes` into chunks whose sizes cycle through `sizes` (copies, like socket reads). */
function chunked(bytes, sizes) {
  const chunks = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const end = Math.min(bytes.length, off + sizes[i % sizes.length]);
    chunks.push(Buffer.from(bytes.subarray(off, end)));
    off = end;
  }
  return chunks;
}

// The handler both decoders call: touches the body like a real one would.
let frames = 0;
let check = 0;
function onFrame(msgid, body) {
  frames++;
  check = (check + msgid + body.length + (body.length > 0 ? body[body.length - 1] : 0)) | 0;
}

function timePasses(decoder, chunks, passes) {
  const t0 = process.hrtime.bigint();
  for (let p = 0; p < passes; p++) for (let i = 0; i < chunks.length; i++) decoder.feed(chunks[i]);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

function decodeCase(name, chunks, passes) {
  const lars = new FrameDecoder({ onFrame });
  const naive = new NaiveDecoder(onFrame);
  const result = {};
  for (const [label, d] of [["lars", lars], ["naive", naive]]) {
    frames = 0;
    check = 0;
    timePasses(d, chunks, 1);
    result[label] = { frames, check };
  }
  if (result.lars.frames !== result.naive.frames || result.lars.check !== result.naive.check) {
    throw new Error(`${name}: decoders disagree: ${JSON.stringify(result)}`);
  }
  const perPass = result.lars.frames;
  for (let w = 0; w < 2; w++) {
    timePasses(lars, chunks, Math.max(1, passes >> 2));
    timePasses(naive, chunks, Math.max(1, passes >> 2));
  }
  const rounds = 4;
  let tl = 0;
  let tn = 0;
  for (let r = 0; r < rounds; r++) {
    tl += timePasses(lars, chunks, passes / rounds);
    tn += timePasses(naive, chunks, passes / rounds);
  }
  lars.close();
  return { case: name, lars: (perPass * passes) / tl, naive: (perPass * passes) / tn };
}

function encodeCase(name, larsRun, naiveRun, framesPerRun, runs) {
  larsRun();
  naiveRun();
  for (let w = 0; w < Math.max(1, runs >> 2); w++) {
    larsRun();
    naiveRun();
  }
  let tl = 0;
  let tn = 0;
  for (let r = 0; r < runs; r++) {
    let t0 = process.hrtime.bigint();
    larsRun();
    tl += Number(process.hrtime.bigint() - t0) / 1e9;
    t0 = process.hrtime.bigint();
    naiveRun();
    tn += Number(process.hrtime.bigint() - t0) / 1e9;
  }
  return { case: name, lars: (framesPerRun * runs) / tl, naive: (framesPerRun * runs) / tn };
}

// ---- inputs ----
const small = stream(ECHO_BODY, Math.floor((4 << 20) / (HEADER + ECHO_BODY.length))); // 4 MiB of 25-byte frames
// Sizes that cut headers and bodies at every offset: mean ~450 B, so ~18 frames and a split per chunk.
const AWKWARD = [1, 7, 24, 25, 26, 3, 1460, 13, 100, 4093, 8, 9, 333, 2, 577];
const large = stream(Buffer.alloc(60 * 1024, 0x5a), 64); // 64 × 60 KiB bodies, ~3.9 MiB

const results = [
  decodeCase("decode small (17 B body), 64 KiB chunks", chunked(small, [65536]), 8),
  decodeCase("decode small, awkward cuts (1 B..4 KiB chunks)", chunked(small, AWKWARD), 8),
  decodeCase("decode large (60 KiB body), 64 KiB chunks", chunked(large, [65536]), 128),
];

let sink = 0;
const BATCH = 100_000;
results.push(
  encodeCase(
    "encode small: encodeFrame",
    () => {
      for (let i = 0; i < BATCH; i++) sink += encodeFrame(1, ECHO_BODY).length;
    },
    () => {
      for (let i = 0; i < BATCH; i++) sink += naiveEncode(1, ECHO_BODY).length;
    },
    BATCH,
    8,
  ),
);

// One "loop turn" = 64 frames coalesced into one write buffer, then flushed.
const TURN = 64;
const out = new OutputBuf({ cap: 4 * 1024 * 1024 });
results.push(
  encodeCase(
    "encode small: writeFrame, 64 per flush",
    () => {
      for (let t = 0; t < BATCH / TURN; t++) {
        for (let i = 0; i < TURN; i++) writeFrame(out, 1, ECHO_BODY);
        sink += out.view().length;
        out.clear();
      }
    },
    () => {
      for (let t = 0; t < BATCH / TURN; t++) {
        const pending = [];
        for (let i = 0; i < TURN; i++) pending.push(naiveEncode(1, ECHO_BODY));
        sink += Buffer.concat(pending).length;
      }
    },
    Math.floor(BATCH / TURN) * TURN,
    8,
  ),
);
if (sink === 0) throw new Error("unreachable");

// ---- report ----
const fmt = (n) => Math.round(n).toLocaleString("en-US");
const lines = [
  `@lars/codec decode-bench — node ${process.version} ${process.platform}/${process.arch}; frames/s, higher is better`,
  "",
  "| case | lars frames/s | naive frames/s | ratio |",
  "| --- | ---: | ---: | ---: |",
  ...results.map((r) => `| ${r.case} | ${fmt(r.lars)} | ${fmt(r.naive)} | ${(r.lars / r.naive).toFixed(2)}× |`),
];
process.stdout.write(lines.join("\n") + "\n");
if (json) {
  const payload = {
    bench: "@lars/codec decode-bench",
    node: process.version,
    platform: `${process.platform}/${process.arch}`,
    cases: results.map((r) => ({ case: r.case, lars: Math.round(r.lars), naive: Math.round(r.naive), ratio: Number((r.lars / r.naive).toFixed(3)) })),
  };
  process.stdout.write(JSON.stringify(payload) + "\n");
}
