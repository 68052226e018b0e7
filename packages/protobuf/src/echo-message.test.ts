import { readFileSync } from "node:fs";
import { PayloadDecodeError } from "@lars/codec";
import fc from "fast-check";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import { ECHO_MESSAGE_PROTO, echoMessageCodec, echoMessageType } from "./echo-message.js";
import type { EchoMessage } from "./echo-message.js";

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

/** Independent proto3 writer for EchoMessage: base-128 varints, defaults omitted. */
function referenceEncode({ content, id }: EchoMessage): string {
  const varint = (value: bigint) => {
    const out: number[] = [];
    do {
      const low = Number(value & 0x7fn);
      value >>= 7n;
      out.push(value > 0n ? low | 0x80 : low);
    } while (value > 0n);
    return out;
  };
  const bytes: number[] = [];
  const text = Buffer.from(content, "utf8");
  if (text.length > 0) bytes.push(0x0a, ...varint(BigInt(text.length)), ...text);
  // int32 is sign-extended to 64 bits: a negative id takes 10 bytes.
  if (id !== 0) bytes.push(0x10, ...varint(BigInt.asUintN(64, BigInt(id))));
  return Buffer.from(bytes).toString("hex");
}

describe("EchoMessage schema", () => {
  it("embeds proto/echo_message.proto byte for byte", () => {
    const file = readFileSync(new URL("../proto/echo_message.proto", import.meta.url), "utf8");
    expect(ECHO_MESSAGE_PROTO).toBe(file);
    const fromFile = protobuf.parse(file, { keepCase: true }).root.lookupType("qps_test.EchoMessage");
    expect(echoMessageType.toJSON()).toEqual(fromFile.toJSON());
  });

  it("is proto3 qps_test.EchoMessage { string content = 1; int32 id = 2; }", () => {
    expect(echoMessageType.fullName).toBe(".qps_test.EchoMessage");
    expect(echoMessageType.fieldsArray.map((f) => [f.name, f.type, f.id])).toEqual([
      ["content", "string", 1],
      ["id", "int32", 2],
    ]);
    expect(echoMessageCodec.name).toBe("protobuf:qps_test.EchoMessage");
  });
});

describe("echoMessageCodec", () => {
  it("encodes the QPS payload to the C++ Lars body bytes", () => {
    expect(hex(echoMessageCodec.encode({ content: "Hello Lars!!!", id: 1 }))).toBe("0a0d48656c6c6f204c6172732121211001");
  });

  it("gives decoded messages own content and id, defaults included", () => {
    const empty = echoMessageCodec.decode(new Uint8Array(0));
    expect(Object.keys(empty)).toEqual(["content", "id"]);
    expect({ ...empty }).toEqual({ content: "", id: 0 });
    const onlyId = echoMessageCodec.decode(Buffer.from("1007", "hex"));
    expect({ ...onlyId }).toEqual({ content: "", id: 7 });
    expect(JSON.parse(JSON.stringify(onlyId))).toEqual({ content: "", id: 7 });
  });

  it.each([
    [-1, "10ffffffffffffffffff01"],
    [INT32_MIN, "1080808080f8ffffffff01"],
    [INT32_MAX, "10ffffffff07"],
  ])("encodes id %i as a sign-extended varint (%s) and reads it back", (id, idHex) => {
    const body = echoMessageCodec.encode({ content: "", id });
    expect(hex(body)).toBe(idHex);
    expect(hex(body)).toBe(hex(echoMessageType.encode({ id }).finish()));
    expect(echoMessageCodec.decode(body).id).toBe(id);
  });

  it("round-trips any well-formed content and any int32 id, with the reference encoding", () => {
    const content = fc.oneof(fc.string({ unit: "grapheme", maxLength: 200 }), fc.string({ unit: "binary", maxLength: 200 }));
    fc.assert(
      fc.property(content, fc.integer({ min: INT32_MIN, max: INT32_MAX }), (text, id) => {
        const body = echoMessageCodec.encode({ content: text, id });
        expect(hex(body)).toBe(referenceEncode({ content: text, id }));
        expect({ ...echoMessageCodec.decode(Buffer.from(body)) }).toEqual({ content: text, id });
      }),
      { numRuns: 500 },
    );
  });

  it("encodes lone surrogates as U+FFFD, so any JS string gives a body proto3 accepts", () => {
    const utf16 = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)), maxLength: 50 });
    fc.assert(
      fc.property(utf16, (text) => {
        const wellFormed = Buffer.from(text, "utf8").toString("utf8");
        const body = echoMessageCodec.encode({ content: text, id: 1 });
        expect(echoMessageCodec.decode(body).content).toBe(wellFormed);
      }),
      { numRuns: 300 },
    );
    expect(hex(echoMessageCodec.encode({ content: "a\ud800", id: 0 }))).toBe("0a0461efbfbd");
  });

  it("refuses a body that protobuf rejects with PayloadDecodeError, invalid UTF-8 included", () => {
    for (const bodyHex of ["10", "0a0d48656c6c6f", "0f", "0a02c328", "ff"]) {
      let caught: unknown;
      try {
        echoMessageCodec.decode(Buffer.from(bodyHex, "hex"));
      } catch (err) {
        caught = err;
      }
      expect(caught, bodyHex).toBeInstanceOf(PayloadDecodeError);
      expect((caught as PayloadDecodeError).code).toBe("LARS_PAYLOAD_DECODE");
      expect((caught as PayloadDecodeError).codec).toBe("protobuf:qps_test.EchoMessage");
    }
  });

  it("decodes from a view that is reused right after", () => {
    const chunk = Buffer.from("ff" + "0a0548656c6c6f1002" + "ff", "hex");
    const message = echoMessageCodec.decode(chunk.subarray(1, chunk.length - 1));
    chunk.fill(0);
    expect({ ...message }).toEqual({ content: "Hello", id: 2 });
  });
});
