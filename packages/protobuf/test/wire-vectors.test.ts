import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeFrame } from "@lars/codec";
import { describe, expect, it } from "vitest";
import { echoMessageCodec } from "../src/index.js";

interface Vector {
  name: string;
  msgid: number;
  body_hex: string;
  frame_hex: string;
}

const VECTORS_URL = new URL("../../../wire/vectors.json", import.meta.url);

describe("wire vectors (vendored wire/vectors.json)", () => {
  it("resolves the vendored vectors file", () => {
    expect(fileURLToPath(VECTORS_URL)).toMatch(/[\\/]wire[\\/]vectors\.json$/);
    expect(existsSync(VECTORS_URL)).toBe(true);
  });

  const vectors = JSON.parse(readFileSync(VECTORS_URL, "utf8")) as { valid: Vector[] };
  const qps = vectors.valid.find((v) => v.name === "qps EchoMessage id=1");

  it("has the qps EchoMessage vector", () => {
    expect(qps).toBeDefined();
    expect(qps!.msgid).toBe(1);
  });

  it("encodes { content: 'Hello Lars!!!', id: 1 } to exactly its body and, framed, its frame", () => {
    const body = echoMessageCodec.encode({ content: "Hello Lars!!!", id: 1 });
    expect(Buffer.from(body).toString("hex")).toBe(qps!.body_hex);
    expect(encodeFrame(qps!.msgid, body).toString("hex")).toBe(qps!.frame_hex);
  });

  it("decodes its body", () => {
    const message = echoMessageCodec.decode(Buffer.from(qps!.body_hex, "hex"));
    expect({ ...message }).toEqual({ content: "Hello Lars!!!", id: 1 });
  });
});
