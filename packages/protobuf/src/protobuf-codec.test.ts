import { PayloadDecodeError } from "@lars/codec";
import protobuf from "protobufjs";
import { afterEach, describe, expect, it } from "vitest";
import { protobufCodec } from "./protobuf-codec.js";

const root = protobuf.parse(
  `syntax = "proto3";
   package demo;
   message Blob { string name = 1; bytes data = 2; }
   message Inner { bytes data = 1; }
   message Outer { Inner inner = 1; int32 n = 2; }
   message Plain { string name = 1; sint64 big = 2; }`,
  { keepCase: true },
).root;
const Blob = root.lookupType("demo.Blob");
const Outer = root.lookupType("demo.Outer");
const Plain = root.lookupType("demo.Plain");

interface BlobMessage {
  name: string;
  data: Uint8Array;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** A body inside a larger buffer, like a frame body inside a socket chunk. */
function viewOf(body: Uint8Array): Buffer {
  const chunk = Buffer.alloc(body.length + 16, 0xee);
  chunk.set(body, 8);
  return chunk.subarray(8, 8 + body.length);
}

/**
 * Shaped like `pbjs -t static-module` output: static encode/decode over
 * protobufjs's minimal Writer/Reader, and getTypeUrl. `bytes` is field 1.
 */
class StaticBlob {
  data: Uint8Array = new Uint8Array(0);
  static encode(message: { data?: Uint8Array }, writer: protobuf.Writer = protobuf.Writer.create()): protobuf.Writer {
    if (message.data !== undefined && message.data.length > 0) writer.uint32(10).bytes(message.data);
    return writer;
  }
  static decode(input: protobuf.Reader | Uint8Array): StaticBlob {
    const reader = input instanceof protobuf.Reader ? input : protobuf.Reader.create(input);
    const message = new StaticBlob();
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 === 1) message.data = reader.bytes();
      else reader.skipType(tag & 7);
    }
    return message;
  }
  static getTypeUrl(prefix = "type.googleapis.com"): string {
    return `${prefix}/demo.StaticBlob`;
  }
}

describe("protobufCodec", () => {
  const discardUnknown = protobuf.Reader.discardUnknown;
  afterEach(() => {
    protobuf.Reader.discardUnknown = discardUnknown;
  });

  it("names the codec after the full type name, or options.name", () => {
    expect(protobufCodec(Blob).name).toBe("protobuf:demo.Blob");
    expect(protobufCodec(StaticBlob).name).toBe("protobuf:demo.StaticBlob");
    expect(protobufCodec({ name: "Bare", encode: () => protobuf.Writer.create(), decode: () => ({}) }).name).toBe("protobuf:Bare");
    expect(protobufCodec(Blob, { name: "blob" }).name).toBe("blob");
  });

  it("encodes with protobufjs and decodes what it encoded", () => {
    const codec = protobufCodec<BlobMessage>(Blob);
    const body = codec.encode({ name: "x", data: Uint8Array.of(1, 2, 3) });
    expect(hex(body)).toBe("0a0178" + "1203010203");
    const message = codec.decode(body);
    expect(message.name).toBe("x");
    expect([...message.data]).toEqual([1, 2, 3]);
  });

  it("returns encoded bytes the caller owns (a later encode does not change them)", () => {
    const codec = protobufCodec<BlobMessage>(Blob);
    const first = codec.encode({ name: "first", data: Uint8Array.of(1) });
    const before = hex(first);
    codec.encode({ name: "second", data: Uint8Array.of(2) });
    expect(hex(first)).toBe(before);
  });

  it("decodes bytes fields that do not alias the body view (Buffer and plain Uint8Array)", () => {
    const codec = protobufCodec<BlobMessage>(Blob);
    const encoded = codec.encode({ name: "n", data: Uint8Array.of(7, 8, 9) });
    for (const body of [viewOf(encoded), new Uint8Array(encoded)]) {
      const message = codec.decode(body);
      body.fill(0);
      expect([...message.data]).toEqual([7, 8, 9]);
      expect(message.data.buffer).not.toBe(body.buffer);
    }
  });

  it("copies for bytes fields at any depth", () => {
    const codec = protobufCodec<{ inner: { data: Uint8Array }; n: number }>(Outer);
    const body = viewOf(codec.encode({ inner: { data: Uint8Array.of(5, 6) }, n: 3 }));
    const message = codec.decode(body);
    body.fill(0);
    expect([...message.inner.data]).toEqual([5, 6]);
    expect(message.n).toBe(3);
  });

  it("copies for a generated class, whose fields it cannot see", () => {
    const codec = protobufCodec<StaticBlob>(StaticBlob);
    const body = viewOf(codec.encode({ data: Uint8Array.of(4, 2) }));
    const message = codec.decode(body);
    body.fill(0);
    expect(message).toBeInstanceOf(StaticBlob);
    expect([...message.data]).toEqual([4, 2]);
  });

  it("with copyBody: false, bytes fields point into the body (the documented trade)", () => {
    const codec = protobufCodec<BlobMessage>(Blob, { copyBody: false });
    const body = viewOf(codec.encode({ name: "", data: Uint8Array.of(1, 1) }));
    const message = codec.decode(body);
    body.fill(9);
    expect([...message.data]).toEqual([9, 9]);
  });

  it("keeps unknown fields off the body too when protobufjs is told to preserve them", () => {
    protobuf.Reader.discardUnknown = false;
    const codec = protobufCodec<{ name: string }>(Plain);
    const body = viewOf(Buffer.from("0a01611a03616263", "hex")); // name "a", unknown field 3 "abc"
    const message = codec.decode(body) as { name: string; $unknowns?: Uint8Array[] };
    body.fill(0);
    expect(message.name).toBe("a");
    expect(message.$unknowns?.map(hex)).toEqual(["1a03616263"]);
  });

  it.each([
    ["truncated varint", "1080"],
    ["tag without value", "08"],
    ["length past the end", "0a05"],
    ["wire type 6", "0e"],
    ["wire type 7", "0f"],
    ["end group without start", "0c"],
    ["varint longer than 10 bytes", "10ffffffffffffffffffff01"],
    ["invalid UTF-8 in a proto3 string", "0a02c328"],
  ])("refuses %s (%s) with PayloadDecodeError", (_what, bodyHex) => {
    const codec = protobufCodec(Plain);
    let caught: unknown;
    try {
      codec.decode(Buffer.from(bodyHex, "hex"));
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(PayloadDecodeError);
    const err = caught as PayloadDecodeError;
    expect(err.code).toBe("LARS_PAYLOAD_DECODE");
    expect(err.codec).toBe("protobuf:demo.Plain");
    expect(err.message).toMatch(/^protobuf:demo\.Plain: malformed body: /);
    expect(err.cause).toBeInstanceOf(Error);
  });

  it("skips unknown fields and a known field number with another wire type, as protobuf requires", () => {
    const codec = protobufCodec<{ name: string }>(Plain);
    expect(codec.decode(Buffer.from("1a00", "hex")).name).toBe("");
    expect(codec.decode(Buffer.from("0801", "hex")).name).toBe("");
  });
});
