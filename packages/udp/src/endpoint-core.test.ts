import { describe, expect, it, vi } from "vitest";
import { EmbeddedConnection, FrameTooLongError, SendError } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import type { LarsError } from "@lars/iobuf";
import { EndpointCore } from "./endpoint-core.js";
import { UdpDatagramError, UdpSendFailedError } from "./errors.js";
import { resolveUdpOptions } from "./options.js";
import type { UdpServerOptions } from "./options.js";

function core(options: Partial<UdpServerOptions> = {}, logger?: { warn: () => void; error: () => void }) {
  return new EndpointCore(resolveUdpOptions({ host: "127.0.0.1", port: 0, ...options }, "server"), logger);
}

function frame(msgid: number, body: string): Buffer {
  const b = Buffer.alloc(8 + body.length);
  b.writeInt32LE(msgid, 0);
  b.writeInt32LE(body.length, 4);
  b.write(body, 8);
  return b;
}

describe("EndpointCore (no socket)", () => {
  it("routes a valid datagram with a view of its body", () => {
    const c = core();
    const seen: [string, number, NetConnection][] = [];
    let view: Buffer | undefined;
    c.options.router.register(4, (body, msgid, conn) => {
      view = body;
      seen.push([body.toString(), msgid, conn]);
    });
    const conn = new EmbeddedConnection();
    const d = frame(4, "abc");
    expect(c.accept(d, "1.2.3.4", 5)).toBe(true);
    c.dispatch(d, conn);
    expect(seen).toEqual([["abc", 4, conn]]);
    expect(view!.buffer).toBe(d.buffer);
    expect(c.stats(0)).toMatchObject({ datagramsIn: 1, bytesIn: 11, messagesIn: 1, droppedTotal: 0 });
    conn.destroy();
  });

  it("reports a drop to onDatagramDropped first, then onError, then logger.warn, else only counts it", () => {
    const dropped = vi.fn();
    const onError = vi.fn();
    const logger = { warn: vi.fn(), error: vi.fn() };
    const bad = Buffer.from([1, 2, 3]);

    const a = core({ onDatagramDropped: dropped, onError }, logger);
    expect(a.accept(bad, "h", 1)).toBe(false);
    expect(dropped).toHaveBeenCalledOnce();
    expect(dropped.mock.calls[0]![0]).toBeInstanceOf(UdpDatagramError);
    expect(onError).not.toHaveBeenCalled();

    const b = core({ onError }, logger);
    b.accept(bad, "h", 1);
    expect(onError).toHaveBeenCalledOnce();
    expect(logger.warn).not.toHaveBeenCalled();

    const c = core({}, logger);
    c.accept(bad, "h", 1);
    expect(logger.warn).toHaveBeenCalledOnce();

    const d = core();
    expect(d.accept(bad, "h", 1)).toBe(false);
    expect(d.stats(0).dropped.short).toBe(1);
    expect(d.stats(0).droppedTotal).toBe(1);
  });

  it("encodes, counts and refuses sends with the right errors", () => {
    const c = core({ maxMessageLength: 10, sendQueueCap: 100, highWaterMark: 50, lowWaterMark: 10 });
    expect(c.encode("hello", 1, 0).length).toBe(13);
    expect(() => c.encode("x".repeat(11), 1, 0)).toThrow(FrameTooLongError);
    expect(() => c.encode("x", 1, 95)).toThrow(SendError);
    try {
      c.encode("x", 1, 95);
    } catch (err) {
      expect((err as SendError).code).toBe("LARS_OUTPUT_FULL");
    }
    expect(c.refuse(new SendError("LARS_CONN_CLOSED", "closed")).code).toBe("LARS_CONN_CLOSED");
    expect(c.stats(0)).toMatchObject({ datagramsOut: 1, bytesOut: 13, sendsRefused: 4 });
  });

  it("signals backpressure once past the high-water mark and drain at the low one", () => {
    const onBackpressure = vi.fn();
    const onDrain = vi.fn();
    const c = core({ sendQueueCap: 100, highWaterMark: 50, lowWaterMark: 10, onBackpressure, onDrain });
    expect(c.afterSend(50)).toBe(true);
    expect(c.afterSend(51)).toBe(false);
    expect(c.afterSend(80)).toBe(false);
    expect(onBackpressure).toHaveBeenCalledOnce();
    c.sent(null, 30);
    expect(onDrain).not.toHaveBeenCalled();
    c.sent(null, 10);
    c.sent(null, 0);
    expect(onDrain).toHaveBeenCalledOnce();
  });

  it("reports OS send failures through onError without a conn", () => {
    const errors: [LarsError, NetConnection | undefined][] = [];
    const c = core({ onError: (e, conn) => errors.push([e, conn]) });
    const os = Object.assign(new Error("send EMSGSIZE 127.0.0.1:9"), { code: "EMSGSIZE", address: "127.0.0.1", port: 9 });
    c.sent(os, 0);
    expect(errors).toHaveLength(1);
    const [err, conn] = errors[0]!;
    expect(err).toBeInstanceOf(UdpSendFailedError);
    expect(err).toMatchObject({ code: "LARS_UDP_SEND_FAILED", errno: "EMSGSIZE", address: "127.0.0.1", port: 9 });
    expect(err.cause).toBe(os);
    expect(conn).toBeUndefined();
    expect(c.stats(0).sendErrors).toBe(1);
  });

  it("rethrows a throwing hook asynchronously when there is no logger, after finishing its own work", async () => {
    const c = core({
      onDatagramDropped: () => {
        throw new Error("hook bug");
      },
    });
    const caught = new Promise<unknown>((resolve) => {
      const listeners = process.listeners("uncaughtException");
      process.removeAllListeners("uncaughtException");
      process.once("uncaughtException", (err) => {
        for (const l of listeners) process.on("uncaughtException", l);
        resolve(err);
      });
    });
    expect(c.accept(Buffer.alloc(1), "h", 1)).toBe(false);
    expect(c.stats(0).dropped.short).toBe(1);
    expect(await caught).toMatchObject({ message: "hook bug" });
  });
});
