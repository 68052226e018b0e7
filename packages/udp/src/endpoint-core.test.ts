import { describe, expect, it, vi } from "vitest";
import { EmbeddedConnection, FrameTooLongError, HookError, SendError } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import type { LarsError, Logger } from "@lars/iobuf";
import { EndpointCore } from "./endpoint-core.js";
import { UdpDatagramError, UdpSendFailedError } from "./errors.js";
import { resolveUdpOptions } from "./options.js";
import type { UdpServerOptions } from "./options.js";

function core(options: Partial<UdpServerOptions> = {}, logger?: Logger) {
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
    expect(onBackpressure).toHaveBeenCalledWith(undefined); // a server's core: no single conn
    const client = new EmbeddedConnection();
    const onClientDrain = vi.fn();
    const withConn = new EndpointCore(
      resolveUdpOptions({ host: "127.0.0.1", port: 1, sendQueueCap: 100, highWaterMark: 50, onBackpressure, onDrain: onClientDrain }, "client"),
      undefined,
      client,
    );
    withConn.afterSend(60);
    withConn.sent(null, 0);
    expect(onBackpressure).toHaveBeenLastCalledWith(client);
    expect(onClientDrain).toHaveBeenCalledWith(client);
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

  it("never rethrows a throwing hook without a logger: it is counted and the datagram is still handled", () => {
    const c = core({
      onDatagramDropped: () => {
        throw new Error("hook bug");
      },
    });
    expect(() => c.accept(Buffer.alloc(1), "h", 1)).not.toThrow();
    expect(c.stats(0).dropped.short).toBe(1);
    expect(c.stats(0).hookErrors).toBe(1);
  });

  it("reports a throwing or rejecting hook to onError as a HookError (issue 10: one hook-failure policy)", async () => {
    const errors: LarsError[] = [];
    const c = core({
      onDatagramDropped: () => {
        throw new Error("sync bug");
      },
      onBackpressure: () => Promise.reject(new Error("async bug")),
      onError: (err) => void errors.push(err),
      sendQueueCap: 100,
      highWaterMark: 10,
    });
    c.accept(Buffer.alloc(1), "h", 1);
    expect(errors[0]).toBeInstanceOf(HookError);
    expect(errors[0]).toMatchObject({ code: "LARS_HOOK_ERROR", hook: "onDatagramDropped", kind: "threw" });
    expect(c.afterSend(50)).toBe(false); // past the high-water mark: onBackpressure, which rejects
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    expect(errors[1]).toMatchObject({ code: "LARS_HOOK_ERROR", hook: "onBackpressure", kind: "rejected" });
    expect((errors[1]!.cause as Error).message).toBe("async bug");
    expect(c.stats(0).hookErrors).toBe(2);
  });

  it("logs an onError that throws or rejects, and never calls it again for its own failure", async () => {
    const logged: string[] = [];
    const logger = { warn: () => {}, error: (_obj: Record<string, unknown>, m = "") => void logged.push(m) };
    let calls = 0;
    const c = core(
      {
        onError: () => {
          calls++;
          if (calls === 1) throw new Error("onError bug");
          return Promise.reject(new Error("onError async bug"));
        },
      },
      logger,
    );
    c.socketError(new Error("x"));
    expect(logged).toEqual([expect.stringMatching(/onError threw: .*onError bug/)]);
    c.socketError(new Error("y"));
    await vi.waitFor(() => expect(logged).toHaveLength(2));
    expect(logged[1]).toMatch(/onError rejected/);
    expect(calls).toBe(2);
    expect(c.stats(0).hookErrors).toBe(2);
  });

  it("reports an async route handler's rejection to onError (LARS_HANDLER_ERROR) and counts it", async () => {
    const errors: [LarsError, NetConnection | undefined][] = [];
    const c = core({ onError: (err, conn) => void errors.push([err, conn]) });
    c.options.router.register(4, () => Promise.reject(new Error("async handler bug")));
    const conn = new EmbeddedConnection();
    c.dispatch(frame(4, "x"), conn);
    await vi.waitFor(() => expect(errors).toHaveLength(1));
    expect(errors[0]![0].code).toBe("LARS_HANDLER_ERROR");
    expect(errors[0]![1]).toBe(conn);
    expect(c.stats(0).routeErrors).toBe(1);
  });
});
