import { readFileSync } from "node:fs";
import { BufPool } from "@lars/iobuf";
import { FrameDecoder } from "../src/index.js";
import type { FrameDecoderOptions, FrameError } from "../src/index.js";

/** The shape of the vendored `wire/vectors.json` (at the repository root). */
export interface WireVectors {
  header_length: number;
  default_max_body: number;
  valid: { name: string; msgid: number; body_hex: string; frame_hex: string }[];
  stream: { hex: string; frames: { msgid: number; body_hex: string }[] };
  largest: { header_hex: string };
  invalid_headers: { name: string; header_hex: string; error: "too long" | "negative length" }[];
  udp_invalid: { name: string; hex: string }[];
}

/**
 * The golden vectors, vendored at the repository root (`wire/vectors.json`);
 * from packages/codec/test that is three levels up. `scripts/check-vendored-wire.mjs`
 * checks the copy against the shared folder when it is beside the repository.
 * A missing file fails the test rather than skipping it.
 */
export const VECTORS_URL = new URL("../../../wire/vectors.json", import.meta.url);

export function loadVectors(): WireVectors {
  return JSON.parse(readFileSync(VECTORS_URL, "utf8")) as WireVectors;
}

export const hex = (s: string): Buffer => Buffer.from(s, "hex");

/** `len` bytes of `(i + seed) mod 251`: a body whose every byte is checkable. */
export function patterned(len: number, seed = 0): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i + seed) % 251;
  return b;
}

/** A frame as decoded: copies of msgid and body, plus whether the body was a view of the chunk fed. */
export interface Got {
  msgid: number;
  body: Buffer;
  viewOfChunk: boolean;
}

/**
 * A decoder that records what it delivers (bodies copied) and the result of
 * every feed. `feed` hands each chunk to the decoder as is.
 */
export function recorder(options: Partial<FrameDecoderOptions> = {}): {
  decoder: FrameDecoder;
  frames: Got[];
  feed: (chunk: Buffer) => FrameError | null;
} {
  const frames: Got[] = [];
  let current: Buffer | undefined;
  const decoder = new FrameDecoder({
    ...options,
    onFrame: (msgid, body) => {
      frames.push({ msgid, body: Buffer.from(body), viewOfChunk: current !== undefined && body.buffer === current.buffer });
    },
  });
  return {
    decoder,
    frames,
    feed(chunk) {
      current = chunk;
      try {
        return decoder.feed(chunk);
      } finally {
        current = undefined;
      }
    },
  };
}

/**
 * Cut `bytes` at the given offsets into chunks of their own memory
 * (`Buffer.alloc` never hands out slices of Node's shared 8K pool, so no two
 * chunks share an ArrayBuffer).
 */
export function cut(bytes: Buffer, at: readonly number[]): Buffer[] {
  const points = [...new Set(at.filter((p) => p > 0 && p < bytes.length))].sort((x, y) => x - y);
  const chunks: Buffer[] = [];
  let prev = 0;
  for (const p of [...points, bytes.length]) {
    const c = Buffer.alloc(p - prev);
    bytes.copy(c, 0, prev, p);
    chunks.push(c);
    prev = p;
  }
  return chunks;
}

/** A fresh tracking pool: every lease is remembered so leaks can be named. */
export function trackingPool(): BufPool {
  return new BufPool({ track: true });
}
