import { readFileSync } from "node:fs";
import { PayloadDecodeError } from "@lars/codec";
import protobuf from "protobufjs";
import { describe, expect, it } from "vitest";
import {
  LARS_PROTO,
  getHostResponseCodec,
  getRouteResponseCodec,
  ipToInt32,
  larsRoot,
  reportRequestCodec,
  reportStatusRequestCodec,
} from "../src/index.js";

describe("schema", () => {
  it("embeds proto/lars.proto byte for byte", () => {
    const text = readFileSync(new URL("../proto/lars.proto", import.meta.url), "utf8");
    expect(LARS_PROTO).toBe(text);
    expect(larsRoot.toJSON()).toEqual(protobuf.parse(text, { keepCase: true }).root.toJSON());
  });
});

describe("codecs", () => {
  it("are named protobuf:lars.<Message>", () => {
    expect(getRouteResponseCodec.name).toBe("protobuf:lars.GetRouteResponse");
  });

  it("decode absent fields to proto3 defaults as own properties", () => {
    const res = getRouteResponseCodec.decode(new Uint8Array());
    expect(Object.keys(res).sort()).toEqual(["cmdid", "host", "modid"]);
    expect({ ...res }).toEqual({ modid: 0, cmdid: 0, host: [] });
    const report = reportStatusRequestCodec.decode(new Uint8Array());
    expect({ ...report }).toEqual({ modid: 0, cmdid: 0, caller: 0, results: [], ts: 0 });
  });

  it("GetHostResponse.host is undefined when absent, ReportRequest.host is zero", () => {
    expect(getHostResponseCodec.decode(new Uint8Array()).host).toBeUndefined();
    expect({ ...reportRequestCodec.decode(new Uint8Array()).host }).toEqual({ ip: 0, port: 0 });
  });

  it("round-trips a route response", () => {
    const value = {
      modid: 7,
      cmdid: 8,
      host: [
        { ip: ipToInt32("10.0.0.1"), port: 80 },
        { ip: ipToInt32("192.168.1.177"), port: 7777 },
      ],
    };
    const decoded = getRouteResponseCodec.decode(getRouteResponseCodec.encode(value));
    expect(decoded).toEqual(value);
    expect(JSON.parse(JSON.stringify(decoded))).toEqual(value);
  });

  it("decoding a malformed body throws PayloadDecodeError", () => {
    expect(() => getRouteResponseCodec.decode(Uint8Array.of(0x1a, 0x05, 0x08))).toThrow(PayloadDecodeError);
    try {
      getHostResponseCodec.decode(Uint8Array.of(0x08));
      expect.unreachable();
    } catch (err) {
      expect((err as PayloadDecodeError).code).toBe("LARS_PAYLOAD_DECODE");
    }
  });
});
