import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_MESSAGE_LENGTH,
  DecoderClosedError,
  FrameDecoder,
  FrameNegativeLengthError,
  FrameTooLongError,
  HEADER_LENGTH,
  encodeFrame,
} from "../src/index.js";
import type { FrameError } from "../src/index.js";
import { cut, patterned, trackingPool } from "./support.js";

const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });

/**
 * Bodies of 0..65527 bytes: mostly small (random bytes), a few large (a
 * seeded pattern, generated in O(n) rather than byte by byte), and the edges.
 */
function body(max: number): fc.Arbitrary<Buffer> {
  return fc.oneof(
    { weight: 16, arbitrary: fc.uint8Array({ maxLength: Math.min(64, max) }).map((b) => Buffer.from(b)) },
    { weight: 2, arbitrary: fc.record({ len: fc.integer({ min: 0, max }), seed: fc.nat(250) }).map(({ len, seed }) => patterned(len, seed)) },
    { weight: 1, arbitrary: fc.constantFrom(0, 1, max - 1, max).filter((n) => n >= 0 && n <= max).map((n) => patterned(n, n)) },
  );
}

const frames = (max: number, maxLength: number) => fc.array(fc.record({ msgid: int32, body: body(max) }), { maxLength });

/** Cut points as fractions of the stream, so they fit whatever length the frames make. */
const cutFractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 24 });

/** Sometimes cut finely (every 1..9 bytes) around a random point, to hit header splits. */
const fineCut = fc.option(fc.record({ at: fc.double({ min: 0, max: 1, noNaN: true }), step: fc.integer({ min: 1, max: 9 }) }));

function cutPoints(total: number, fractions: number[], fine: { at: number; step: number } | null): number[] {
  const points = fractions.map((f) => Math.floor(f * total));
  if (fine !== null) {
    const start = Math.floor(fine.at * total);
    for (let p = start; p < Math.min(total, start + 64); p += fine.step) points.push(p);
  }
  return points;
}

interface Span {
  start: number;
  end: number;
}

/** For each frame, whether no chunk boundary falls strictly inside it (then it must arrive as a view). */
function wholeInChunk(spans: Span[], chunks: Buffer[]): boolean[] {
  const bounds: number[] = [];
  let at = 0;
  for (const c of chunks) bounds.push((at += c.length));
  return spans.map((s) => !bounds.some((b) => b > s.start && b < s.end));
}

describe("FrameDecoder properties", () => {
  it("any frames, cut anywhere, decode to the same frames; whole ones as views; no leaks", () => {
    fc.assert(
      fc.property(frames(DEFAULT_MAX_MESSAGE_LENGTH, 12), cutFractions, fineCut, (input, fractions, fine) => {
        const encoded = input.map((f) => encodeFrame(f.msgid, f.body));
        const stream = Buffer.concat(encoded);
        const spans: Span[] = [];
        let at = 0;
        for (const e of encoded) spans.push({ start: at, end: (at += e.length) });
        const chunks = cut(stream, cutPoints(stream.length, fractions, fine));

        const pool = trackingPool();
        const got: { msgid: number; body: Buffer; view: boolean }[] = [];
        let current: Buffer = chunks[0]!;
        const decoder = new FrameDecoder({
          pool,
          onFrame: (msgid, b) => got.push({ msgid, body: Buffer.from(b), view: b.buffer === current.buffer }),
        });
        for (const c of chunks) {
          current = c;
          expect(decoder.feed(c)).toBeNull();
          expect(pool.inUse).toBeLessThanOrEqual(1); // never more than the one frame being gathered
        }

        expect(got.length).toBe(input.length);
        got.forEach((g, i) => {
          expect(g.msgid).toBe(input[i]!.msgid);
          expect(g.body.equals(input[i]!.body)).toBe(true);
        });
        expect(got.map((g) => g.view)).toEqual(wholeInChunk(spans, chunks));
        expect(decoder.buffered).toBe(0);
        expect(pool.inUse).toBe(0); // an idle decoder holds no buffer
        decoder.close();
        pool.assertNoLeaks();
      }),
      { numRuns: 300 },
    );
  });

  it("with a lower maxMessageLength, a frame over it fails at its header and nothing after it is delivered", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4096 }).chain((max) =>
          fc.record({
            max: fc.constant(max),
            before: frames(max, 6),
            after: frames(max, 4),
            bad: fc.record({
              msgid: int32,
              // over the limit (up to the 2^31-1 a header can say), or negative
              length: fc.oneof(fc.integer({ min: max + 1, max: max + 70_000 }), fc.integer({ min: max + 1, max: 2 ** 31 - 1 }), fc.integer({ min: -(2 ** 31), max: -1 })),
              bodyBytes: fc.integer({ min: 0, max: 300 }),
            }),
          }),
        ),
        cutFractions,
        fineCut,
        ({ max, before, after, bad }, fractions, fine) => {
          const header = Buffer.alloc(HEADER_LENGTH);
          header.writeInt32LE(bad.msgid, 0);
          header.writeInt32LE(bad.length, 4);
          const head = Buffer.concat(before.map((f) => encodeFrame(f.msgid, f.body, max)));
          // Whatever follows the bad header (part of its body, valid frames) must never be decoded.
          const stream = Buffer.concat([head, header, patterned(bad.bodyBytes), ...after.map((f) => encodeFrame(f.msgid, f.body, max))]);
          const headerEnd = head.length + HEADER_LENGTH;
          const chunks = cut(stream, cutPoints(stream.length, fractions, fine));

          const pool = trackingPool();
          const got: number[] = [];
          const decoder = new FrameDecoder({ pool, maxMessageLength: max, onFrame: (msgid) => got.push(msgid) });
          let fed = 0;
          let error: FrameError | null = null;
          for (const c of chunks) {
            if (error !== null) {
              expect(() => decoder.feed(c)).toThrow(DecoderClosedError);
              continue;
            }
            error = decoder.feed(c);
            fed += c.length;
            // The error comes with the chunk that completes the bad header, not later.
            expect(error !== null).toBe(fed >= headerEnd);
          }

          expect(got).toEqual(before.map((f) => f.msgid));
          expect(error).not.toBeNull();
          expect(error!.msgid).toBe(bad.msgid);
          expect(error!.length).toBe(bad.length);
          if (bad.length < 0) {
            expect(error).toBeInstanceOf(FrameNegativeLengthError);
            expect(error!.code).toBe("LARS_FRAME_NEGATIVE_LENGTH");
          } else {
            expect(error).toBeInstanceOf(FrameTooLongError);
            expect(error!.code).toBe("LARS_FRAME_TOO_LONG");
            expect((error as FrameTooLongError).max).toBe(max);
          }
          expect(decoder.open).toBe(false);
          expect(decoder.buffered).toBe(0);
          pool.assertNoLeaks();
        },
      ),
      { numRuns: 300 },
    );
  });
});
