import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { HandlerError, UnknownMsgidError } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import type { LarsError } from "@lars/iobuf";
import { UdpDatagramError, UdpPeer, UdpServer } from "../src/index.js";
import type { DatagramDropReason, UdpServerOptions } from "../src/index.js";
import { Queue, RawPeer, loadVectors, rawFrame, startPair } from "./helpers.js";

const vectors = loadVectors();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** A server on 127.0.0.1:0 that echoes msgid 1, and a raw socket to throw datagrams at it. */
async function hostileSetup(options: Partial<UdpServerOptions> = {}) {
  const loop = new EventLoop({ monitorDelay: false });
  const server = new UdpServer(loop, { host: "127.0.0.1", port: 0, ...options });
  server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
  const { port } = await server.bind();
  const raw = await RawPeer.open();
  cleanups.push(async () => {
    await raw.close();
    await loop.stop(1000);
  });
  /** Send a good frame and wait for its echo: proof the server still serves. */
  const roundTrip = async (text: string) => {
    await raw.send(rawFrame(1, Buffer.byteLength(text), Buffer.from(text)), port);
    const { msg } = await raw.received.next();
    expect(msg.readInt32LE(0)).toBe(1);
    expect(msg.subarray(8).toString()).toBe(text);
  };
  return { loop, server, port, raw, roundTrip };
}

function expectedReason(name: string): DatagramDropReason {
  return name.includes("shorter than header") && !name.includes("says") ? "short" : "length mismatch";
}

describe("bad datagrams are dropped, reported, and the socket goes on serving", () => {
  it("drops every udp_invalid vector with its reason and answers the next good datagram", async () => {
    expect(vectors.udp_invalid.length).toBeGreaterThan(0);
    const dropped = new Queue<UdpDatagramError>();
    const { server, port, raw, roundTrip } = await hostileSetup({ onDatagramDropped: dropped.push });
    for (const v of vectors.udp_invalid) {
      const bytes = Buffer.from(v.hex, "hex");
      await raw.send(bytes, port);
      const err = await dropped.next();
      expect(err).toBeInstanceOf(UdpDatagramError);
      expect(err.code).toBe("LARS_UDP_BAD_DATAGRAM");
      expect(err.reason, v.name).toBe(expectedReason(v.name));
      expect(err.length).toBe(bytes.length);
      expect(err.address).toBe("127.0.0.1");
      expect(err.port).toBe(raw.port);
      await roundTrip(`after ${v.name}`);
    }
    const s = server.stats();
    expect(s.droppedTotal).toBe(vectors.udp_invalid.length);
    expect(s.messagesIn).toBe(vectors.udp_invalid.length);
    expect(s.dropped.short + s.dropped["length mismatch"]).toBe(vectors.udp_invalid.length);
  });

  it("drops a negative length, a length over the limit, and every invalid_headers vector", async () => {
    const dropped = new Queue<UdpDatagramError>();
    const { server, port, raw, roundTrip } = await hostileSetup({ maxMessageLength: 16, onDatagramDropped: dropped.push });
    const cases: [Buffer, DatagramDropReason][] = [
      [rawFrame(1, -1), "negative length"],
      [rawFrame(1, -5, Buffer.alloc(3)), "negative length"],
      [rawFrame(1, 17, Buffer.alloc(17)), "too long"], // consistent datagram, body one past the limit
      [rawFrame(1, 0x7fffffff), "too long"],
      [Buffer.alloc(0), "short"],
      ...vectors.invalid_headers.map((v): [Buffer, DatagramDropReason] => [Buffer.from(v.header_hex, "hex"), v.error as DatagramDropReason]),
    ];
    for (const [bytes, reason] of cases) {
      await raw.send(bytes, port);
      const err = await dropped.next();
      expect(err.reason).toBe(reason);
      if (bytes.length >= 8) expect(err.msglen).toBe(bytes.readInt32LE(4));
      await roundTrip("still here");
    }
    expect(server.stats().droppedTotal).toBe(cases.length);
    // a body exactly at the limit is fine
    await roundTrip("x".repeat(16));
  });

  it("reports drops through onError when onDatagramDropped is not given, else the logger, else only counts them", async () => {
    const errors = new Queue<[LarsError, NetConnection | undefined]>();
    const a = await hostileSetup({ onError: (e, c) => errors.push([e, c]) });
    await a.raw.send(Buffer.from("0100", "hex"), a.port);
    const [err, conn] = await errors.next();
    expect(err).toBeInstanceOf(UdpDatagramError);
    expect(conn).toBeUndefined();

    const warned = new Queue<[string, Record<string, unknown> | undefined]>();
    const logger = { warn: (meta: Record<string, unknown>, m = "") => warned.push([m, meta]), error: vi.fn() };
    const b = await hostileSetup({ logger });
    await b.raw.send(rawFrame(1, -1), b.port);
    const [message, meta] = await warned.next();
    expect(message).toMatch(/negative body length -1/);
    expect(meta).toMatchObject({ code: "LARS_UDP_BAD_DATAGRAM", reason: "negative length", address: "127.0.0.1" });
    expect(logger.error).not.toHaveBeenCalled();

    // No hook, no logger: nothing printed, nothing thrown, only counted.
    const spies = [vi.spyOn(console, "error"), vi.spyOn(console, "warn"), vi.spyOn(console, "log"), vi.spyOn(process.stderr, "write")];
    try {
      const c = await hostileSetup();
      await c.raw.send(Buffer.from("01", "hex"), c.port);
      await c.roundTrip("served");
      expect(c.server.stats().dropped.short).toBe(1);
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it("reports an unknown msgid with the sending peer and goes on serving", async () => {
    const errors = new Queue<[LarsError, NetConnection | undefined]>();
    const pair = await startPair({ onError: (e, c) => errors.push([e, c]) });
    cleanups.push(pair.stop);
    pair.server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
    const replies = new Queue<string>();
    pair.client.addMsgRouter(1, (body) => replies.push(body.toString()));

    pair.client.sendMessage("who?", 99);
    const [err, conn] = await errors.next();
    expect(err).toBeInstanceOf(UnknownMsgidError);
    expect(err.code).toBe("LARS_ROUTE_UNKNOWN");
    expect(conn).toBeInstanceOf(UdpPeer);
    expect(conn?.remotePort).toBe(pair.client.address()!.port);

    pair.client.sendMessage("known", 1);
    expect(await replies.next()).toBe("known");
    expect(pair.server.stats().routeErrors).toBe(1);
  });

  it("reports a throwing handler (server and client side) and goes on serving", async () => {
    const serverErrors = new Queue<LarsError>();
    const clientErrors = new Queue<[LarsError, NetConnection | undefined]>();
    const pair = await startPair({ onError: (e) => serverErrors.push(e) }, { onError: (e, c) => clientErrors.push([e, c]) });
    cleanups.push(pair.stop);
    const boom = new Error("boom");
    pair.server.addMsgRouter(1, (body, msgid, conn) => {
      if (body.toString() === "boom") throw boom;
      conn.sendMessage(body, msgid);
    });
    const replies = new Queue<string>();
    pair.client.addMsgRouter(1, (body) => {
      if (body.toString() === "client-boom") throw new Error("client handler failed");
      replies.push(body.toString());
    });

    pair.client.sendMessage("boom", 1);
    const err = await serverErrors.next();
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.code).toBe("LARS_HANDLER_ERROR");
    expect(err.cause).toBe(boom);

    pair.client.sendMessage("client-boom", 1);
    const [cerr, cconn] = await clientErrors.next();
    expect(cerr.code).toBe("LARS_HANDLER_ERROR");
    expect(cconn).toBe(pair.client);

    pair.client.sendMessage("fine", 1);
    expect(await replies.next()).toBe("fine");
  });

  it("logs route errors when no onError hook is given: warn for an unknown msgid, error for a handler error", async () => {
    const warned = new Queue<Record<string, unknown> | undefined>();
    const errored = new Queue<Record<string, unknown> | undefined>();
    const logger = { warn: (meta: Record<string, unknown>) => warned.push(meta), error: (meta: Record<string, unknown>) => errored.push(meta) };
    const pair = await startPair({ logger });
    cleanups.push(pair.stop);
    pair.server.addMsgRouter(1, () => {
      throw new Error("bad handler");
    });
    pair.client.sendMessage("", 2);
    expect(await warned.next()).toMatchObject({ code: "LARS_ROUTE_UNKNOWN", remoteAddress: "127.0.0.1" });
    pair.client.sendMessage("", 1);
    expect(await errored.next()).toMatchObject({ code: "LARS_HANDLER_ERROR" });
  });

  it("survives a hook that throws: the throw goes to the logger and serving goes on", async () => {
    const errored = new Queue<string>();
    const logger = { warn: vi.fn(), error: (_obj: Record<string, unknown>, m = "") => errored.push(m) };
    const { roundTrip, raw, port } = await hostileSetup({
      logger,
      onDatagramDropped: () => {
        throw new Error("hook bug");
      },
    });
    await raw.send(Buffer.from("00", "hex"), port);
    expect(await errored.next()).toMatch(/onDatagramDropped threw: .*hook bug/);
    await roundTrip("after hook bug");
  });
});
