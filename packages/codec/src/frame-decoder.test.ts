import { BufPool } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { cut, patterned, recorder, trackingPool } from "../test/support.js";
import { DecoderClosedError, FrameNegativeLengthError, FrameTooLongError } from "./errors.js";
import { decodeFrames, FrameDecoder } from "./frame-decoder.js";
import { encodeFrame, HEADER_LENGTH, MAX_MESSAGE_LENGTH_LIMIT } from "./frame.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("FrameDecoder zero-copy", () => {
  it("hands a frame wholly inside a chunk over as a view of that chunk", () => {
    const frames = [encodeFrame(1, "a"), encodeFrame(2, ""), encodeFrame(3, patterned(300))];
    // A chunk that is itself a view at a non-zero offset of a larger region, as socket reads can be.
    const region = Buffer.alloc(1000);
    const chunk = region.subarray(17, 17 + frames.reduce((n, f) => n + f.length, 0));
    Buffer.concat(frames).copy(chunk);

    const seen: { msgid: number; sameMemory: boolean; byteOffset: number; copy: Buffer }[] = [];
    const pool = trackingPool();
    const decoder = new FrameDecoder({
      pool,
      onFrame: (msgid, body) => {
        seen.push({ msgid, sameMemory: body.buffer === chunk.buffer, byteOffset: body.byteOffset, copy: Buffer.from(body) });
        expect(pool.inUse).toBe(0); // nothing gathered: no pooled buffer taken
      },
    });
    expect(decoder.feed(chunk)).toBeNull();

    let off = chunk.byteOffset;
    const expectedOffsets = frames.map((f) => {
      const at = off + HEADER_LENGTH;
      off += f.length;
      return at;
    });
    expect(seen.map((s) => s.msgid)).toEqual([1, 2, 3]);
    expect(seen.every((s) => s.sameMemory)).toBe(true);
    expect(seen.map((s) => s.byteOffset)).toEqual(expectedOffsets);
    expect(seen[2]!.copy.equals(patterned(300))).toBe(true);
    decoder.close();
    pool.assertNoLeaks();
  });

  it("gathers a straddling frame in the pool: one buffer while partial, none after", () => {
    const pool = trackingPool();
    const frame = encodeFrame(7, patterned(5000));
    const seen: { inUse: number; sameAsLastChunk: boolean; body: Buffer }[] = [];
    let last: Buffer | undefined;
    const decoder = new FrameDecoder({
      pool,
      onFrame: (_msgid, body) => seen.push({ inUse: pool.inUse, sameAsLastChunk: body.buffer === last!.buffer, body: Buffer.from(body) }),
    });
    const [a, b, c] = cut(frame, [3, 2000]);
    for (const [chunk, buffered] of [
      [a!, 3],
      [b!, 2000],
    ] as const) {
      last = chunk;
      expect(decoder.feed(chunk)).toBeNull();
      expect(decoder.buffered).toBe(buffered);
      expect(pool.inUse).toBe(1);
    }
    last = c!;
    expect(decoder.feed(c!)).toBeNull();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.inUse).toBe(1); // during the call the body lives in the pooled buffer
    expect(seen[0]!.sameAsLastChunk).toBe(false);
    expect(seen[0]!.body.equals(patterned(5000))).toBe(true);
    expect(decoder.buffered).toBe(0);
    expect(pool.inUse).toBe(0);
    decoder.close();
    pool.assertNoLeaks();
  });

  it("after a straddling frame, the rest of the chunk is again zero-copy", () => {
    const f1 = encodeFrame(1, patterned(100));
    const f2 = encodeFrame(2, "tail");
    const r = recorder();
    r.feed(f1.subarray(0, 50));
    r.feed(Buffer.concat([f1.subarray(50), f2]));
    expect(r.frames.map((f) => [f.msgid, f.viewOfChunk])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it("holds at most one frame: the gathering buffer is capped at header + maxMessageLength", () => {
    const pool = trackingPool();
    const r = recorder({ pool, maxMessageLength: 100_000 });
    const frame = encodeFrame(1, patterned(100_000), 100_000);
    // Grows from a partial header (smallest class) to the frame's class.
    for (const c of cut(frame, [4, 20, 70_000])) expect(r.feed(c)).toBeNull();
    expect(r.frames[0]!.body.equals(patterned(100_000))).toBe(true);
    expect(pool.inUse).toBe(0);
    r.decoder.close();
    pool.assertNoLeaks();
  });
});

describe("FrameDecoder header checks", () => {
  it("returns (does not throw) the error of a bad header, with its fields", () => {
    const d = new FrameDecoder({ onFrame: () => undefined, maxMessageLength: 10 });
    const header = Buffer.alloc(8);
    header.writeInt32LE(42, 0);
    header.writeInt32LE(11, 4);
    const err = d.feed(header);
    expect(err).toBeInstanceOf(FrameTooLongError);
    expect(err).toMatchObject({ code: "LARS_FRAME_TOO_LONG", kind: "too long", msgid: 42, length: 11, max: 10 });
    expect(d.open).toBe(false);
  });

  it("reports a negative length", () => {
    const d = new FrameDecoder({ onFrame: () => undefined });
    const header = Buffer.alloc(8);
    header.writeInt32LE(-7, 0);
    header.writeInt32LE(-1, 4);
    expect(d.feed(header)).toMatchObject({ code: "LARS_FRAME_NEGATIVE_LENGTH", kind: "negative length", msgid: -7, length: -1 });
    expect(d.feed.bind(d, header)).toThrow(DecoderClosedError);
  });

  it("maxMessageLength 0 allows only empty bodies", () => {
    const r = recorder({ maxMessageLength: 0 });
    expect(r.feed(Buffer.concat([encodeFrame(1, ""), encodeFrame(2, "")]))).toBeNull();
    expect(r.frames.map((f) => f.msgid)).toEqual([1, 2]);
    expect(r.feed(encodeFrame(3, "x"))).toBeInstanceOf(FrameTooLongError);
    expect(r.frames).toHaveLength(2);
  });

  it("validates maxMessageLength at construction", () => {
    for (const bad of [-1, 1.5, Number.NaN, MAX_MESSAGE_LENGTH_LIMIT + 1]) {
      expect(() => new FrameDecoder({ onFrame: () => undefined, maxMessageLength: bad })).toThrow(RangeError);
    }
    expect(new FrameDecoder({ onFrame: () => undefined, maxMessageLength: MAX_MESSAGE_LENGTH_LIMIT }).maxMessageLength).toBe(
      MAX_MESSAGE_LENGTH_LIMIT,
    );
  });

  it("an empty chunk changes nothing", () => {
    const r = recorder();
    expect(r.feed(Buffer.alloc(0))).toBeNull();
    r.feed(encodeFrame(1, "ab").subarray(0, 9));
    expect(r.feed(Buffer.alloc(0))).toBeNull();
    expect(r.decoder.buffered).toBe(9);
    expect(r.frames).toEqual([]);
  });
});

describe("FrameDecoder close() and handler failures", () => {
  it("close() inside onFrame stops the rest of the chunk", () => {
    const seen: number[] = [];
    const decoder: FrameDecoder = new FrameDecoder({
      onFrame: (msgid) => {
        seen.push(msgid);
        if (msgid === 2) decoder.close();
      },
    });
    const chunk = Buffer.concat([1, 2, 3, 4].map((id) => encodeFrame(id, "x")));
    expect(decoder.feed(chunk)).toBeNull();
    expect(seen).toEqual([1, 2]);
    expect(decoder.open).toBe(false);
    expect(thrown(() => decoder.feed(chunk))).toMatchObject({ code: "LARS_DECODER_CLOSED", reason: "closed" });
  });

  it("close() inside onFrame of a gathered frame releases the buffer only after the handler returns", () => {
    const pool = trackingPool();
    const frame = encodeFrame(1, patterned(3000));
    const during: { inUse: number; intact: boolean }[] = [];
    const decoder: FrameDecoder = new FrameDecoder({
      pool,
      onFrame: (_msgid, body) => {
        decoder.close();
        // The view must still be valid after close(): the lease is still held.
        during.push({ inUse: pool.inUse, intact: body.equals(patterned(3000)) });
      },
    });
    decoder.feed(frame.subarray(0, 1000));
    expect(decoder.feed(Buffer.concat([frame.subarray(1000), encodeFrame(2, "never")]))).toBeNull();
    expect(during).toEqual([{ inUse: 1, intact: true }]);
    expect(pool.inUse).toBe(0);
    expect(decoder.buffered).toBe(0);
    pool.assertNoLeaks();
  });

  it("close() outside a call gives the partial frame's buffer back; it is idempotent", () => {
    const pool = trackingPool();
    const d = new FrameDecoder({ pool, onFrame: () => undefined });
    d.feed(encodeFrame(1, "abc").subarray(0, 5));
    expect(pool.inUse).toBe(1);
    d.close();
    d.close();
    expect(pool.inUse).toBe(0);
    expect(d.buffered).toBe(0);
    pool.assertNoLeaks();
  });

  it.each([
    ["a frame inside the chunk", (f: Buffer) => [f]],
    ["a gathered frame", (f: Buffer) => [f.subarray(0, 10), f.subarray(10)]],
  ])("onFrame throwing on %s fails the decoder, propagates, and leaks nothing", (_name, chunking) => {
    const pool = trackingPool();
    const boom = new Error("handler bug");
    let calls = 0;
    const d = new FrameDecoder({
      pool,
      onFrame: () => {
        calls++;
        throw boom;
      },
    });
    const chunks = chunking(Buffer.concat([encodeFrame(1, patterned(64)), encodeFrame(2, "x")]));
    let caught: unknown;
    for (const c of chunks) {
      try {
        d.feed(c);
      } catch (err) {
        caught = err;
        break;
      }
    }
    expect(caught).toBe(boom);
    expect(calls).toBe(1);
    expect(d.open).toBe(false);
    expect(thrown(() => d.feed(Buffer.alloc(1)))).toMatchObject({ code: "LARS_DECODER_CLOSED", reason: "failed" });
    expect(pool.inUse).toBe(0);
    pool.assertNoLeaks();
  });
});

describe("decodeFrames", () => {
  it("returns copies of every frame", () => {
    const bytes = Buffer.concat([encodeFrame(1, "a"), encodeFrame(-2, patterned(10))]);
    const frames = decodeFrames(bytes);
    expect(frames.map((f) => f.msgid)).toEqual([1, -2]);
    expect(frames[1]!.body.equals(patterned(10))).toBe(true);
    bytes.fill(0); // copies: the input may be reused at once
    expect(frames[0]!.body.toString()).toBe("a");
    expect(frames[1]!.body.equals(patterned(10))).toBe(true);
  });

  it("refuses bytes left over and bad headers, honouring maxMessageLength", () => {
    expect(() => decodeFrames(encodeFrame(1, "abc").subarray(0, 10))).toThrow(/10 bytes of an incomplete frame left over/);
    expect(() => decodeFrames(encodeFrame(1, "abc"), 2)).toThrow(FrameTooLongError);
    const neg = Buffer.alloc(8, 0xff);
    expect(() => decodeFrames(neg)).toThrow(FrameNegativeLengthError);
  });

  it("uses the shared pool only transiently", () => {
    const before = BufPool.shared.inUse;
    expect(() => decodeFrames(encodeFrame(1, "abc").subarray(0, 10))).toThrow(RangeError);
    expect(BufPool.shared.inUse).toBe(before);
  });
});
