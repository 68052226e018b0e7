import { readFileSync } from "node:fs";
import { encodeFrame, type Codec } from "@lars/codec";
import type { Type } from "protobufjs";
import { describe, expect, it } from "vitest";
import {
  MsgId,
  RetCode,
  getHostRequestCodec,
  getHostRequestType,
  getHostResponseCodec,
  getHostResponseType,
  getRouteRequestCodec,
  getRouteRequestType,
  getRouteResponseCodec,
  getRouteResponseType,
  reportRequestCodec,
  reportRequestType,
  reportStatusRequestCodec,
  reportStatusRequestType,
} from "../src/index.js";

/** One message of the vendored `wire/lars-messages.json` (made by protoc 3.21). */
interface MessageVector {
  about: string;
  type: string;
  msgid: number;
  text: string;
  body_hex: string;
  frame_hex: string;
}

interface VectorsFile {
  message_ids: Record<string, number>;
  ret_codes: Record<string, number>;
  messages: MessageVector[];
}

// The vendored copy at the repository root (packages/proto/test → ../../../wire).
const file = JSON.parse(
  readFileSync(new URL("../../../wire/lars-messages.json", import.meta.url), "utf8"),
) as VectorsFile;

const CODECS: Record<string, { codec: Codec<unknown>; type: Type }> = {
  GetRouteRequest: { codec: getRouteRequestCodec, type: getRouteRequestType },
  GetRouteResponse: { codec: getRouteResponseCodec, type: getRouteResponseType },
  ReportStatusRequest: { codec: reportStatusRequestCodec, type: reportStatusRequestType },
  GetHostRequest: { codec: getHostRequestCodec, type: getHostRequestType },
  GetHostResponse: { codec: getHostResponseCodec, type: getHostResponseType },
  ReportRequest: { codec: reportRequestCodec, type: reportRequestType },
};

type TextValue = number | boolean | TextFields;
type TextFields = Map<string, TextValue[]>;

/** A minimal protobuf text-format reader: `name: scalar` and `name { ... }`. */
function parseText(text: string): TextFields {
  const tokens = text.match(/[A-Za-z_][A-Za-z0-9_]*|-?[0-9]+|[{}:]/g) ?? [];
  let i = 0;
  const fields = (): TextFields => {
    const out: TextFields = new Map();
    while (i < tokens.length && tokens[i] !== "}") {
      const name = tokens[i++]!;
      let value: TextValue;
      if (tokens[i] === ":") {
        i++;
        const raw = tokens[i++]!;
        value = raw === "true" ? true : raw === "false" ? false : Number(raw);
      } else if (tokens[i] === "{") {
        i++;
        value = fields();
        expect(tokens[i++]).toBe("}");
      } else throw new Error(`bad text format at ${name}`);
      out.set(name, [...(out.get(name) ?? []), value]);
    }
    return out;
  };
  const result = fields();
  expect(i).toBe(tokens.length);
  return result;
}

/** The decoded object a text-format message stands for, with every proto3 default filled in. */
function expected(type: Type, fields: TextFields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    field.resolve();
    const values = fields.get(field.name) ?? [];
    const sub = field.resolvedType as Type | null;
    const convert = (v: TextValue) => (sub ? expected(sub, v as TextFields) : v);
    if (field.repeated) out[field.name] = values.map(convert);
    else if (values.length > 0) out[field.name] = convert(values[0]!);
    else if (!sub) out[field.name] = field.type === "bool" ? false : 0;
  }
  for (const name of fields.keys()) expect(type.fields[name], `field ${name}`).toBeDefined();
  return out;
}

/** Own, enumerable keys, deeply: what spread and JSON would see. */
function ownShape(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ownShape);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.keys(value).map((k) => [k, ownShape((value as Record<string, unknown>)[k])]));
  }
  return value;
}

describe("lars-messages.json", () => {
  it("has the message ids and return codes of MsgId and RetCode", () => {
    expect(file.message_ids).toEqual({
      GetRouteRequest: MsgId.GetRouteRequest,
      GetRouteResponse: MsgId.GetRouteResponse,
      ReportStatusRequest: MsgId.ReportStatusRequest,
      GetHostRequest: MsgId.GetHostRequest,
      GetHostResponse: MsgId.GetHostResponse,
      ReportRequest: MsgId.ReportRequest,
      API_GetRouteRequest: MsgId.ApiGetRouteRequest,
      API_GetRouteResponse: MsgId.ApiGetRouteResponse,
    });
    expect(file.ret_codes).toEqual(RetCode);
  });

  it("covers every message type", () => {
    expect(new Set(file.messages.map((m) => m.type))).toEqual(new Set(Object.keys(CODECS)));
  });
});

describe.each(file.messages)("$type (msgid $msgid): $about", (vector) => {
  const { codec, type } = CODECS[vector.type]!;
  const value = expected(type, parseText(vector.text));

  it("encodes to body_hex exactly", () => {
    expect(Buffer.from(codec.encode(value)).toString("hex")).toBe(vector.body_hex);
  });

  it("decodes body_hex to the text's values, every field an own property", () => {
    const decoded = codec.decode(Buffer.from(vector.body_hex, "hex"));
    expect(ownShape(decoded)).toStrictEqual(value);
  });

  it("re-encodes what it decoded to the same bytes", () => {
    const decoded = codec.decode(Buffer.from(vector.body_hex, "hex"));
    expect(Buffer.from(codec.encode(decoded)).toString("hex")).toBe(vector.body_hex);
  });

  it("frame_hex is the Lars frame of the body", () => {
    const body = codec.encode(value);
    expect(encodeFrame(vector.msgid, body).toString("hex")).toBe(vector.frame_hex);
  });
});
