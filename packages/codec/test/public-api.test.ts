import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import * as src from "../src/index.js";

/** Every runtime export. Changing this list is an API change: bump the version accordingly. */
const RUNTIME_EXPORTS = [
  "ConnectionAttributes",
  "DEFAULT_MAX_MESSAGE_LENGTH",
  "DecoderClosedError",
  "DuplicateRouteError",
  "EmbeddedConnection",
  "FrameDecoder",
  "FrameNegativeLengthError",
  "FrameTooLongError",
  "HEADER_LENGTH",
  "HandlerError",
  "HookError",
  "InvalidArgumentError",
  "InvalidMsgidError",
  "LarsError",
  "MAX_MESSAGE_LENGTH_LIMIT",
  "MessageRouter",
  "PayloadDecodeError",
  "SendError",
  "UnknownMsgidError",
  "bodyLength",
  "bytesCodec",
  "createConnectionPair",
  "decodeFrames",
  "encodeFrame",
  "isLarsError",
  "jsonCodec",
  "nextConnectionId",
  "registerTyped",
  "reportHookFailure",
  "resolveMaxMessageLength",
  "runHook",
  "typedRoute",
  "utf8Codec",
  "writeFrame",
];

describe("public API", () => {
  it("src/index.ts exports exactly the documented names", () => {
    expect(Object.keys(src).sort()).toEqual(RUNTIME_EXPORTS);
  });

  it("the built ESM and CJS entries export the same names and work", async () => {
    const esm = (await import(new URL("../dist/index.js", import.meta.url).href)) as typeof src;
    const cjs = createRequire(import.meta.url)("../dist/index.cjs") as typeof src;
    for (const m of [esm, cjs]) {
      expect(Object.keys(m).sort()).toEqual(RUNTIME_EXPORTS);
      expect(m.decodeFrames(m.encodeFrame(1, "x"))[0]!.body.toString()).toBe("x");
    }
  });

  it("errors carry stable codes and share the LarsError base of @lars/iobuf", () => {
    const e = new src.FrameTooLongError(1, 10, 5);
    expect(e).toBeInstanceOf(src.LarsError);
    expect(src.isLarsError(e, "LARS_FRAME_TOO_LONG")).toBe(true);
    expect(e.name).toBe("FrameTooLongError");
  });
});
