import { describe, expect, it } from "vitest";
import { MessageRouter } from "@lars/codec";
import { InvalidArgumentError, LarsError } from "@lars/iobuf";
import {
  DEFAULT_CLOSE_TIMEOUT_MS,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_SEND_QUEUE_CAP,
  DEFAULT_UDP_MAX_MESSAGE_LENGTH,
  resolveUdpOptions,
} from "./options.js";
import type { UdpServerOptions } from "./options.js";

const base = { host: "127.0.0.1", port: 0 };

describe("resolveUdpOptions", () => {
  it("fills in the defaults", () => {
    const o = resolveUdpOptions(base, "server");
    expect(o).toMatchObject({
      host: "127.0.0.1",
      port: 0,
      type: "udp4",
      maxMessageLength: DEFAULT_UDP_MAX_MESSAGE_LENGTH,
      sendQueueCap: DEFAULT_SEND_QUEUE_CAP,
      highWaterMark: DEFAULT_HIGH_WATER_MARK,
      lowWaterMark: DEFAULT_HIGH_WATER_MARK / 2,
      closeTimeoutMs: DEFAULT_CLOSE_TIMEOUT_MS,
      reuseAddr: false,
      logger: undefined,
      recvBufferSize: undefined,
    });
    expect(o.maxMessageLength).toBe(65499);
    expect(o.router).toBeInstanceOf(MessageRouter);
  });

  it("takes the family from an IPv6 literal host, and allows the larger IPv6 limit there only", () => {
    expect(resolveUdpOptions({ host: "::1", port: 0 }, "server").type).toBe("udp6");
    expect(resolveUdpOptions({ host: "localhost", port: 1 }, "client").type).toBe("udp4");
    expect(resolveUdpOptions({ host: "::1", port: 0, maxMessageLength: 65519 }, "server").maxMessageLength).toBe(65519);
    expect(resolveUdpOptions({ host: "::1", port: 0 }, "server").maxMessageLength).toBe(65499);
    expect(() => resolveUdpOptions({ host: "::1", port: 0, maxMessageLength: 65520 }, "server")).toThrow(/maxMessageLength.*65519 on udp6/);
    expect(() => resolveUdpOptions({ ...base, maxMessageLength: 65500 }, "server")).toThrow(/maxMessageLength.*65499 on udp4/);
    expect(() => resolveUdpOptions({ ...base, maxMessageLength: 65527 }, "server")).toThrow(InvalidArgumentError);
  });

  it("keeps a given router and hooks", () => {
    const router = new MessageRouter();
    const onError = () => {};
    const o = resolveUdpOptions({ ...base, router, onError }, "server");
    expect(o.router).toBe(router);
    expect(o.hooks.onError).toBe(onError);
  });

  it.each<[string, Partial<UdpServerOptions>, "server" | "client", RegExp]>([
    ["empty host", { host: "" }, "server", /host/],
    ["port 0 on a client", { port: 0 }, "client", /port: must be an integer in 1\.\.65535/],
    ["port too big", { port: 70000 }, "server", /port/],
    ["fractional port", { port: 1.5 }, "server", /port/],
    ["negative maxMessageLength", { maxMessageLength: -1 }, "server", /maxMessageLength/],
    ["bad type", { type: "udp5" as "udp4" }, "server", /type/],
    ["zero sendQueueCap", { sendQueueCap: 0 }, "server", /sendQueueCap/],
    ["highWaterMark over the cap", { sendQueueCap: 100_000, highWaterMark: 200_000 }, "server", /highWaterMark: \(200000\) must not exceed sendQueueCap/],
    ["lowWaterMark over highWaterMark", { highWaterMark: 1000, lowWaterMark: 2000 }, "server", /lowWaterMark/],
    ["negative closeTimeoutMs", { closeTimeoutMs: -1 }, "server", /closeTimeoutMs/],
    ["bad recvBufferSize", { recvBufferSize: 0 }, "server", /recvBufferSize/],
    ["hook not a function", { onError: "x" as unknown as () => void }, "server", /onError: must be a function/],
  ])("refuses %s, naming the field, with InvalidArgumentError LARS_INVALID_ARGUMENT", (_name, patch, role, message) => {
    const run = () => resolveUdpOptions({ ...base, port: role === "client" ? 1 : 0, ...patch }, role);
    expect(run).toThrow(message);
    expect(run).toThrow(InvalidArgumentError);
    try {
      run();
    } catch (err) {
      expect(err).toBeInstanceOf(LarsError);
      expect((err as InvalidArgumentError).code).toBe("LARS_INVALID_ARGUMENT");
      const { field, message: text } = err as InvalidArgumentError;
      expect(field).not.toBe("");
      expect(text.startsWith(`${field}: `)).toBe(true);
    }
  });
});
