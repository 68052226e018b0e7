import { BufferFullError, OutputBuf } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { patterned, trackingPool } from "../test/support.js";
import { FrameTooLongError, InvalidMsgidError } from "./errors.js";
import {
  DEFAULT_MAX_MESSAGE_LENGTH,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH_LIMIT,
  bodyLength,
  encodeFrame,
  resolveMaxMessageLength,
  writeFrame,
} from "./frame.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("constants", () => {
  it("match the C++ Lars frame", () => {
    expect(HEADER_LENGTH).toBe(8);
    expect(DEFAULT_MAX_MESSAGE_LENGTH).toBe(65535 - 8);
    expect(MAX_MESSAGE_LENGTH_LIMIT).toBe(8 * 1024 * 1024 - 8);
  });
});

describe("encodeFrame", () => {
  it("writes int32 LE msgid, int32 LE length, then the body", () => {
    const f = encodeFrame(0x01020304, Buffer.from([9, 8, 7]));
    expect([...f]).toEqual([4, 3, 2, 1, 3, 0, 0, 0, 9, 8, 7]);
  });

  it("encodes string bodies as UTF-8, length in bytes", () => {
    const text = "Lars 负载均衡 🚀";
    const f = encodeFrame(1, text);
    const utf8 = Buffer.from(text, "utf8");
    expect(f.readInt32LE(4)).toBe(utf8.length);
    expect(utf8.length).toBeGreaterThan(text.length);
    expect(f.subarray(HEADER_LENGTH).equals(utf8)).toBe(true);
    expect(bodyLength(text)).toBe(utf8.length);
    expect(bodyLength(new Uint8Array(5))).toBe(5);
  });

  it("refuses a body over the limit with FrameTooLongError", () => {
    const err = thrown(() => encodeFrame(3, Buffer.alloc(DEFAULT_MAX_MESSAGE_LENGTH + 1)));
    expect(err).toBeInstanceOf(FrameTooLongError);
    expect(err).toMatchObject({ code: "LARS_FRAME_TOO_LONG", msgid: 3, length: DEFAULT_MAX_MESSAGE_LENGTH + 1, max: DEFAULT_MAX_MESSAGE_LENGTH });
    // A string counts its UTF-8 bytes, not its UTF-16 length: 21843 × 3 bytes = 65529.
    expect(() => encodeFrame(3, "负".repeat(21843))).toThrow(FrameTooLongError);
    expect(encodeFrame(3, "负".repeat(21842)).length).toBe(HEADER_LENGTH + 65526);
  });

  it("honours a custom maxMessageLength, lower or higher than the default", () => {
    expect(encodeFrame(1, patterned(10), 10).length).toBe(18);
    expect(thrown(() => encodeFrame(1, patterned(11), 10))).toMatchObject({ code: "LARS_FRAME_TOO_LONG", max: 10 });
    expect(encodeFrame(1, "", 0).length).toBe(HEADER_LENGTH);
    const big = encodeFrame(1, patterned(100_000), 100_000);
    expect(big.readInt32LE(4)).toBe(100_000);
  });

  it.each([1.5, 2 ** 31, -(2 ** 31) - 1, Number.NaN, Number.POSITIVE_INFINITY])("refuses msgid %s with LARS_INVALID_MSGID", (msgid) => {
    const err = thrown(() => encodeFrame(msgid, "x"));
    expect(err).toBeInstanceOf(InvalidMsgidError);
    expect(err).toMatchObject({ code: "LARS_INVALID_MSGID" });
  });

  it("accepts the int32 extremes", () => {
    expect(encodeFrame(2 ** 31 - 1, "").readInt32LE(0)).toBe(2 ** 31 - 1);
    expect(encodeFrame(-(2 ** 31), "").readInt32LE(0)).toBe(-(2 ** 31));
  });
});

describe("writeFrame into an OutputBuf", () => {
  it("appends frames back to back, returning the bytes written", () => {
    const pool = trackingPool();
    const out = new OutputBuf({ pool, cap: 1 << 20 });
    expect(writeFrame(out, 1, "hello")).toBe(13);
    expect(writeFrame(out, 2, new Uint8Array([1, 2]))).toBe(10);
    expect(writeFrame(out, 3, patterned(20_000))).toBe(20_008); // grows past the first size class
    const expected = Buffer.concat([encodeFrame(1, "hello"), encodeFrame(2, new Uint8Array([1, 2])), encodeFrame(3, patterned(20_000))]);
    expect(out.view().equals(expected)).toBe(true);
    out.clear();
    pool.assertNoLeaks();
  });

  it("writes nothing when the body is over the limit or the msgid is invalid", () => {
    const pool = trackingPool();
    const out = new OutputBuf({ pool, cap: 1 << 20 });
    // An empty buffer stays without a lease.
    expect(() => writeFrame(out, 1, patterned(DEFAULT_MAX_MESSAGE_LENGTH + 1))).toThrow(FrameTooLongError);
    expect(out.length).toBe(0);
    expect(pool.inUse).toBe(0);

    writeFrame(out, 1, "kept");
    const before = Buffer.from(out.view());
    expect(() => writeFrame(out, 2, patterned(101), 100)).toThrow(FrameTooLongError);
    expect(() => writeFrame(out, 2 ** 31, "x")).toThrow(InvalidMsgidError);
    expect(out.view().equals(before)).toBe(true);
    out.clear();
    pool.assertNoLeaks();
  });

  it("refuses a frame past the OutputBuf cap with BufferFullError, buffer unchanged", () => {
    const pool = trackingPool();
    const out = new OutputBuf({ pool, cap: 30 });
    writeFrame(out, 1, patterned(12)); // 20 bytes
    const before = Buffer.from(out.view());
    const err = thrown(() => writeFrame(out, 2, patterned(3))); // 11 more: 31 > 30
    expect(err).toBeInstanceOf(BufferFullError);
    expect(err).toMatchObject({ code: "LARS_BUFFER_FULL" });
    expect(out.length).toBe(20);
    expect(out.view().equals(before)).toBe(true);
    expect(writeFrame(out, 2, patterned(2))).toBe(10); // exactly to the cap still fits
    expect(out.length).toBe(30);
    out.clear();
    pool.assertNoLeaks();
  });
});

describe("resolveMaxMessageLength", () => {
  it("defaults to 65527 and accepts 0..MAX_MESSAGE_LENGTH_LIMIT", () => {
    expect(resolveMaxMessageLength(undefined)).toBe(DEFAULT_MAX_MESSAGE_LENGTH);
    expect(resolveMaxMessageLength(0)).toBe(0);
    expect(resolveMaxMessageLength(1000)).toBe(1000);
    expect(resolveMaxMessageLength(MAX_MESSAGE_LENGTH_LIMIT)).toBe(MAX_MESSAGE_LENGTH_LIMIT);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, MAX_MESSAGE_LENGTH_LIMIT + 1])("refuses %s with a RangeError naming the field", (bad) => {
    expect(() => resolveMaxMessageLength(bad)).toThrow(RangeError);
    expect(() => resolveMaxMessageLength(bad)).toThrow(/^maxMessageLength must be an integer/);
    expect(() => resolveMaxMessageLength(bad, "server.maxMessageLength")).toThrow(/^server\.maxMessageLength must be/);
  });
});
