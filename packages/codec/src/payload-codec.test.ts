import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PayloadDecodeError } from "./errors.js";
import { bytesCodec, jsonCodec, utf8Codec } from "./payload-codec.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("bytesCodec", () => {
  it("encodes as is and decodes to a copy that outlives the view", () => {
    const value = new Uint8Array([1, 2, 3]);
    expect(bytesCodec.encode(value)).toBe(value);
    const region = Buffer.from([9, 1, 2, 3, 9]);
    const view = region.subarray(1, 4);
    const decoded = bytesCodec.decode(view);
    region.fill(0); // the transport reuses its buffer after the handler returns
    expect([...decoded]).toEqual([1, 2, 3]);
    expect(decoded.length).toBe(3);
    expect(bytesCodec.name).toBe("bytes");
  });
});

describe("utf8Codec", () => {
  it("round-trips any string of whole code points", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
        expect(utf8Codec.decode(utf8Codec.encode(s))).toBe(s);
      }),
    );
  });

  it("keeps a leading byte-order mark", () => {
    expect(utf8Codec.decode(utf8Codec.encode("\uFEFFx"))).toBe("\uFEFFx");
  });

  it("encodes as UTF-8 bytes", () => {
    expect(Buffer.from(utf8Codec.encode("负载")).toString("hex")).toBe("e8b49fe8bdbd");
  });

  it.each([
    ["a lone 0xff", "ff"],
    ["a truncated sequence", "e8b4"],
    ["an overlong encoding", "c080"],
    ["an encoded surrogate", "eda080"],
    ["a continuation byte alone", "6180"],
  ])("refuses %s with PayloadDecodeError", (_name, hexBody) => {
    const err = thrown(() => utf8Codec.decode(Buffer.from(hexBody, "hex")));
    expect(err).toBeInstanceOf(PayloadDecodeError);
    expect(err).toMatchObject({ code: "LARS_PAYLOAD_DECODE", codec: "utf8" });
    expect((err as Error).cause).toBeInstanceOf(TypeError);
  });
});

describe("jsonCodec", () => {
  it("round-trips JSON values", () => {
    const codec = jsonCodec<unknown>();
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(codec.decode(codec.encode(v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it("round-trips a typed message", () => {
    const codec = jsonCodec<{ content: string; id: number }>();
    const msg = { content: "Hello Lars!!!", id: 1 };
    const bytes = codec.encode(msg);
    expect(Buffer.from(bytes).toString()).toBe('{"content":"Hello Lars!!!","id":1}');
    expect(codec.decode(bytes)).toEqual(msg);
    expect(codec.name).toBe("json");
  });

  it.each([
    ["not JSON", Buffer.from("{nope")],
    ["empty", Buffer.alloc(0)],
    ["invalid UTF-8", Buffer.from("22ff22", "hex")],
  ])("refuses %s with PayloadDecodeError", (_name, bytes) => {
    const err = thrown(() => jsonCodec().decode(bytes));
    expect(err).toBeInstanceOf(PayloadDecodeError);
    expect(err).toMatchObject({ code: "LARS_PAYLOAD_DECODE", codec: "json" });
  });
});
