import { OutputBuf } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import {
  DEFAULT_MAX_MESSAGE_LENGTH,
  DecoderClosedError,
  FrameNegativeLengthError,
  FrameTooLongError,
  HEADER_LENGTH,
  decodeFrames,
  encodeFrame,
  writeFrame,
} from "../src/index.js";
import type { FrameError } from "../src/index.js";
import { cut, hex, loadVectors, patterned, recorder, trackingPool } from "./support.js";

const vectors = loadVectors();

const ERROR_CLASS = {
  "too long": { type: FrameTooLongError, code: "LARS_FRAME_TOO_LONG" },
  "negative length": { type: FrameNegativeLengthError, code: "LARS_FRAME_NEGATIVE_LENGTH" },
} as const;

function expectFrameError(err: FrameError | null, kind: "too long" | "negative length", header: Buffer): void {
  const { type, code } = ERROR_CLASS[kind];
  expect(err).toBeInstanceOf(type);
  expect(err!.code).toBe(code);
  expect(err!.kind).toBe(kind);
  expect(err!.msgid).toBe(header.readInt32LE(0));
  expect(err!.length).toBe(header.readInt32LE(4));
}

describe("wire vectors file", () => {
  it("is the file the design describes", () => {
    expect(vectors.header_length).toBe(HEADER_LENGTH);
    expect(vectors.default_max_body).toBe(DEFAULT_MAX_MESSAGE_LENGTH);
    expect(vectors.valid.length).toBeGreaterThan(0);
    expect(vectors.invalid_headers.length).toBeGreaterThan(0);
  });
});

describe.each(vectors.valid)("valid frame: $name", (v) => {
  const frame = hex(v.frame_hex);
  const body = hex(v.body_hex);

  it("encodes byte-exact with encodeFrame", () => {
    expect(encodeFrame(v.msgid, body).equals(frame)).toBe(true);
    // A plain Uint8Array body too, not only a Buffer.
    expect(encodeFrame(v.msgid, new Uint8Array(body)).equals(frame)).toBe(true);
  });

  it("encodes byte-exact with writeFrame into an OutputBuf", () => {
    const pool = trackingPool();
    const out = new OutputBuf({ pool, cap: 1 << 16 });
    expect(writeFrame(out, v.msgid, body)).toBe(frame.length);
    expect(out.view().equals(frame)).toBe(true);
    out.clear();
    pool.assertNoLeaks();
  });

  it("decodes back, whole and byte by byte", () => {
    const pool = trackingPool();
    const whole = recorder({ pool });
    expect(whole.feed(frame)).toBeNull();
    expect(whole.frames).toEqual([{ msgid: v.msgid, body, viewOfChunk: true }]);

    const bytewise = recorder({ pool });
    for (const chunk of cut(frame, [...frame.keys()])) expect(bytewise.feed(chunk)).toBeNull();
    expect(bytewise.frames.map((f) => [f.msgid, f.body])).toEqual([[v.msgid, body]]);
    expect(bytewise.decoder.buffered).toBe(0);
    whole.decoder.close();
    bytewise.decoder.close();
    pool.assertNoLeaks();

    expect(decodeFrames(frame)).toEqual([{ msgid: v.msgid, body }]);
  });
});

describe("UTF-8 vector", () => {
  it("a string body is sent as UTF-8", () => {
    const v = vectors.valid.find((x) => x.name === "utf8 body")!;
    const text = hex(v.body_hex).toString("utf8");
    expect(encodeFrame(v.msgid, text).equals(hex(v.frame_hex))).toBe(true);
  });
});

describe("stream vector", () => {
  const stream = hex(vectors.stream.hex);
  const expected = vectors.stream.frames.map((f) => [f.msgid, hex(f.body_hex)]);

  function decodeChunks(chunks: Buffer[]): unknown[] {
    const pool = trackingPool();
    const r = recorder({ pool });
    for (const c of chunks) expect(r.feed(c)).toBeNull();
    expect(r.decoder.buffered).toBe(0);
    expect(pool.inUse).toBe(0);
    r.decoder.close();
    pool.assertNoLeaks();
    return r.frames.map((f) => [f.msgid, f.body]);
  }

  it("decodes whole", () => {
    expect(decodeChunks([stream])).toEqual(expected);
  });

  it("decodes identically for every two-way split", () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(decodeChunks([stream.subarray(0, i), stream.subarray(i)]), `split at ${i}`).toEqual(expected);
    }
  });

  it("decodes identically for every three-way split", () => {
    for (let i = 0; i <= stream.length; i++) {
      for (let j = i; j <= stream.length; j++) {
        const chunks = [stream.subarray(0, i), stream.subarray(i, j), stream.subarray(j)];
        expect(decodeChunks(chunks), `split at ${i}, ${j}`).toEqual(expected);
      }
    }
  });

  it("decodes identically byte by byte", () => {
    expect(decodeChunks(cut(stream, [...stream.keys()]))).toEqual(expected);
  });

  it("encodes back to the same bytes", () => {
    const out = Buffer.concat(vectors.stream.frames.map((f) => encodeFrame(f.msgid, hex(f.body_hex))));
    expect(out.equals(stream)).toBe(true);
  });
});

describe.each(vectors.invalid_headers)("invalid header: $name", (v) => {
  const header = hex(v.header_hex);

  it(`whole header gives "${v.error}" and the decoder then refuses input`, () => {
    const pool = trackingPool();
    const r = recorder({ pool });
    expectFrameError(r.feed(header), v.error, header);
    expect(r.decoder.open).toBe(false);
    expect(r.frames).toEqual([]);
    const closed = (() => {
      try {
        r.feed(hex("0000000000000000"));
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(closed).toBeInstanceOf(DecoderClosedError);
    expect(closed).toMatchObject({ code: "LARS_DECODER_CLOSED", reason: "failed" });
    pool.assertNoLeaks();
  });

  it("byte by byte, the error comes with the 8th header byte, without waiting for a body", () => {
    const pool = trackingPool();
    const r = recorder({ pool });
    for (let i = 0; i < HEADER_LENGTH - 1; i++) {
      expect(r.feed(header.subarray(i, i + 1))).toBeNull();
      expect(pool.inUse).toBe(1); // the partial header is held in the pool
    }
    expectFrameError(r.feed(header.subarray(7, 8)), v.error, header);
    expect(pool.inUse).toBe(0); // a failed decoder keeps nothing
    expect(() => r.feed(header.subarray(0, 1))).toThrow(DecoderClosedError);
    pool.assertNoLeaks();
  });

  it("after a valid frame in the same chunk: the frame is delivered, then the error", () => {
    const r = recorder();
    const good = encodeFrame(5, "ok");
    expectFrameError(r.feed(Buffer.concat([good, header, patterned(16)])), v.error, header);
    expect(r.frames.map((f) => [f.msgid, f.body.toString()])).toEqual([[5, "ok"]]);
  });

  it("straddling a chunk boundary after a valid frame", () => {
    const r = recorder();
    const good = encodeFrame(5, "ok");
    expect(r.feed(Buffer.concat([good, header.subarray(0, 3)]))).toBeNull();
    expectFrameError(r.feed(header.subarray(3)), v.error, header);
    expect(r.frames).toHaveLength(1);
  });

  it("decodeFrames throws it", () => {
    expect(() => decodeFrames(header)).toThrow(ERROR_CLASS[v.error].type);
  });
});

describe("largest vector", () => {
  const header = hex(vectors.largest.header_hex);
  const body = patterned(DEFAULT_MAX_MESSAGE_LENGTH);
  const frame = Buffer.concat([header, body]);

  it("announces the default limit", () => {
    expect(header.readInt32LE(4)).toBe(DEFAULT_MAX_MESSAGE_LENGTH);
  });

  it("encodes byte-exact with encodeFrame and writeFrame", () => {
    const msgid = header.readInt32LE(0);
    expect(encodeFrame(msgid, body).equals(frame)).toBe(true);
    const pool = trackingPool();
    const out = new OutputBuf({ pool, cap: frame.length });
    writeFrame(out, msgid, body);
    expect(out.view().equals(frame)).toBe(true);
    out.clear();
    pool.assertNoLeaks();
  });

  it("decodes whole, split anywhere, and in small chunks", () => {
    const splits = [1, 7, 8, 9, 4096, 32768, frame.length - 1];
    const chunkings = [[frame], ...splits.map((s) => cut(frame, [s])), cut(frame, Array.from({ length: 66 }, (_, i) => i * 1000 + 3))];
    for (const chunks of chunkings) {
      const pool = trackingPool();
      const r = recorder({ pool });
      for (const c of chunks) expect(r.feed(c)).toBeNull();
      expect(r.frames).toHaveLength(1);
      expect(r.frames[0]!.msgid).toBe(9);
      expect(r.frames[0]!.body.equals(body)).toBe(true);
      expect(pool.inUse).toBe(0);
      r.decoder.close();
      pool.assertNoLeaks();
    }
  });

  it("one byte over the limit fails, to decode and to encode", () => {
    const over = Buffer.from(header);
    over.writeInt32LE(DEFAULT_MAX_MESSAGE_LENGTH + 1, 4);
    const r = recorder();
    const err = r.feed(Buffer.concat([over, body, Buffer.from([0])]));
    expectFrameError(err, "too long", over);
    expect((err as FrameTooLongError).max).toBe(DEFAULT_MAX_MESSAGE_LENGTH);
    expect(r.frames).toEqual([]);
    expect(() => encodeFrame(9, Buffer.concat([body, Buffer.from([0])]))).toThrow(FrameTooLongError);
  });

  it("a decoder configured above the C++ limit takes one more byte", () => {
    const over = Buffer.concat([encodeFrame(9, Buffer.alloc(DEFAULT_MAX_MESSAGE_LENGTH + 1), DEFAULT_MAX_MESSAGE_LENGTH + 1)]);
    const r = recorder({ maxMessageLength: DEFAULT_MAX_MESSAGE_LENGTH + 1 });
    expect(r.feed(over)).toBeNull();
    expect(r.frames[0]!.body.length).toBe(DEFAULT_MAX_MESSAGE_LENGTH + 1);
  });
});

describe("UDP datagram vectors", () => {
  // A datagram must hold exactly one whole frame; decodeFrames (what a UDP
  // receiver can lean on) refuses every malformed one.
  it.each(vectors.udp_invalid)("decodeFrames refuses: $name", (v) => {
    expect(() => decodeFrames(hex(v.hex))).toThrow(/left over/);
  });
});
