import { describe, expect, it } from "vitest";
import { MessageRouter } from "@lars/codec";
import { resolveTcpClientOptions } from "./options.js";
import type { TcpClientOptions } from "./options.js";

const base: TcpClientOptions = { host: "127.0.0.1", port: 7777 };

function refuses(options: Record<string, unknown>, field: string): void {
  expect(() => resolveTcpClientOptions({ ...base, ...options })).toThrow(
    expect.objectContaining({ code: "LARS_INVALID_ARGUMENT", field }),
  );
}

describe("resolveTcpClientOptions", () => {
  it("fills in the documented defaults", () => {
    const r = resolveTcpClientOptions(base);
    expect(r.name).toBe("127.0.0.1:7777");
    expect(r.backoff).toMatchObject({ initialDelayMs: 500, maxDelayMs: 30_000, factor: 2, jitter: 0.2, maxAttempts: Infinity });
    expect(r.queue).toBeNull();
    expect(r.connectTimeoutMs).toBe(10_000);
    expect(r.requestTimeoutMs).toBe(10_000);
    expect(r.conn.outputCap).toBe(4 * 1024 * 1024);
  });

  it("reconnect: false means no attempt at all", () => {
    expect(resolveTcpClientOptions({ ...base, reconnect: false }).backoff.maxAttempts).toBe(0);
  });

  it("queueWhileDisconnected: true takes default bounds, capped by outputCap", () => {
    expect(resolveTcpClientOptions({ ...base, queueWhileDisconnected: true }).queue).toEqual({ maxMessages: 1024, maxBytes: 1024 * 1024 });
    const small = resolveTcpClientOptions({ ...base, outputCap: 100_000, highWaterMark: 50_000, queueWhileDisconnected: {} });
    expect(small.queue?.maxBytes).toBe(100_000);
  });

  it("names the bad field", () => {
    refuses({ host: "" }, "host");
    refuses({ port: 0 }, "port");
    refuses({ port: 70000 }, "port");
    refuses({ port: undefined }, "port");
    refuses({ router: {} }, "router");
    refuses({ connectTimeoutMs: 0 }, "connectTimeoutMs");
    refuses({ reconnect: { initialDelayMs: -1 } }, "reconnect.initialDelayMs");
    refuses({ reconnect: { initialDelayMs: 100, maxDelayMs: 50 } }, "reconnect.maxDelayMs");
    refuses({ reconnect: { factor: 0.5 } }, "reconnect.factor");
    refuses({ reconnect: { jitter: 1.5 } }, "reconnect.jitter");
    refuses({ reconnect: { maxAttempts: 1.5 } }, "reconnect.maxAttempts");
    refuses({ reconnect: { delay: 5 as unknown as () => number } }, "reconnect.delay");
    refuses({ queueWhileDisconnected: { maxMessages: 0 } }, "queueWhileDisconnected.maxMessages");
    refuses({ queueWhileDisconnected: { maxBytes: 5 * 1024 * 1024 } }, "queueWhileDisconnected.maxBytes");
    refuses({ requestTimeoutMs: -5 }, "requestTimeoutMs");
    refuses({ tls: "yes" }, "tls");
    refuses({ tls: { key: "not a key", cert: "not a certificate" } }, "tls");
  });

  it("tls: plain TCP by default; given options get a secure context built once (reused by every reconnect)", () => {
    expect(resolveTcpClientOptions(base).tls).toBeUndefined();
    const r = resolveTcpClientOptions({ ...base, tls: { rejectUnauthorized: false, servername: "lars" } });
    expect(r.tls).toMatchObject({ rejectUnauthorized: false, servername: "lars" });
    expect(r.tls!.secureContext).toBeDefined();
  });

  it("passes connection settings through @lars/tcp-conn's checks", () => {
    expect(() => resolveTcpClientOptions({ ...base, highWaterMark: 10, outputCap: 5 })).toThrow(/outputCap|highWaterMark/);
    expect(resolveTcpClientOptions({ ...base, router: new MessageRouter() }).conn.maxMessageLength).toBe(65527);
  });
});
