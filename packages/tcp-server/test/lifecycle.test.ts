import { connect } from "node:net";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { AddressInUseError, ListenAbortedError, ServerStateError, TcpServer } from "../src/index.js";
import { InvalidArgumentError } from "@lars/iobuf";
import { echo, patterned, startServer, teardownAll } from "./helpers/harness.js";

afterEach(teardownAll);

function connectError(port: number): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" });
    socket.once("connect", () => {
      socket.destroy();
      reject(new Error("connected, but the server should be closed"));
    });
    socket.once("error", (err: NodeJS.ErrnoException) => resolve(err));
  });
}

describe("listen", () => {
  it("resolves with the bound address (port 0 picks one) and address() says the same", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    expect(h.port).toBeGreaterThan(0);
    expect(h.server.address()).toMatchObject({ port: h.port, address: "127.0.0.1", family: "IPv4" });
  });

  it("rejects a second listen() with LARS_SERVER_STATE, also while the first is pending", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, { host: "127.0.0.1" });
    try {
      const first = server.listen();
      const second = server.listen();
      await expect(second).rejects.toBeInstanceOf(ServerStateError);
      await expect(second).rejects.toMatchObject({ code: "LARS_SERVER_STATE" });
      await first;
      await expect(server.listen()).rejects.toMatchObject({ code: "LARS_SERVER_STATE" });
    } finally {
      await loop.stop();
    }
  });

  it("rejects listen() on a port in use with EADDRINUSE, and the failed server still closes cleanly", async () => {
    const h = await startServer();
    const loop = new EventLoop({ monitorDelay: false });
    const clash = new TcpServer(loop, { host: "127.0.0.1", port: h.port });
    const port = h.port;
    const err = await clash.listen().catch((e: unknown) => e);
    // the same code as UDP bind() for the same failure; Node's code stays readable as errno
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err).toMatchObject({ code: "LARS_ADDRESS_IN_USE", errno: "EADDRINUSE", host: "127.0.0.1", port });
    await clash.close();
    await loop.stop();
    expect(loop.stats().ownedResources).toBe(0);
    // The first server is unaffected.
    const client = await h.connect();
    await h.starts.waitCount(1);
    await client.end();
  });

  it("refuses bad options with the InvalidArgumentError every Lars constructor throws, naming the field", () => {
    const loop = new EventLoop({ monitorDelay: false });
    const bad: [object, string][] = [
      [{ port: 70000 }, "port"],
      [{ maxConn: 0 }, "maxConn"],
      [{ backlog: -1 }, "backlog"],
      [{ maxPendingTasks: 1.5 }, "maxPendingTasks"],
      [{ workers: -1 }, "workers"],
    ];
    for (const [options, field] of bad) {
      let err: unknown;
      try {
        new TcpServer(loop, { host: "127.0.0.1", ...options });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(InvalidArgumentError);
      expect(err).toMatchObject({ code: "LARS_INVALID_ARGUMENT", field });
    }
  });

  it("listen({ signal }): an abort before listening rejects with LARS_LISTEN_ABORTED and closes the server; after, it changes nothing", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const early = new TcpServer(loop, { host: "127.0.0.1" });
    await expect(early.listen({ signal: AbortSignal.abort("no") })).rejects.toMatchObject({ code: "LARS_LISTEN_ABORTED", cause: "no" });
    const racing = new TcpServer(loop, { host: "127.0.0.1" });
    const ac = new AbortController();
    const pending = racing.listen({ signal: ac.signal });
    ac.abort("changed my mind"); // the bind is still in flight
    await expect(pending).rejects.toBeInstanceOf(ListenAbortedError);
    await expect(racing.listen()).rejects.toMatchObject({ code: "LARS_SERVER_STATE" }); // closed by the abort
    const late = new TcpServer(loop, { host: "127.0.0.1" });
    const ac2 = new AbortController();
    const { port } = await late.listen({ signal: ac2.signal });
    ac2.abort();
    const { connect: dial } = await import("node:net");
    const sock = dial({ port, host: "127.0.0.1" });
    await new Promise<void>((resolve, reject) => sock.once("connect", resolve).once("error", reject));
    sock.destroy();
    await loop.stop();
  });

  it("rejects listen() after close() with LARS_SERVER_STATE", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, { host: "127.0.0.1" });
    await server.close();
    await expect(server.listen()).rejects.toMatchObject({ code: "LARS_SERVER_STATE" });
    await loop.stop();
  });

  // close() while listen() is pending must settle listen() (it rejects), never hang.
  it("settles a pending listen() when close() is called before it completes", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, { host: "127.0.0.1" });
    try {
      const listening = server.listen();
      await server.close();
      // Bound the wait: a correct server has settled listen() by now (one more turn at most).
      const outcome = await Promise.race([
        listening.then(
          () => "resolved",
          (err: unknown) => `rejected ${(err as { code?: string }).code}`,
        ),
        new Promise<string>((resolve) => setTimeout(() => resolve("still pending"), 1000)),
      ]);
      expect(outcome).toBe("rejected LARS_SERVER_STATE");
    } finally {
      await loop.stop();
    }
  });

  it("checks its options, naming the bad field", () => {
    const loop = new EventLoop({ monitorDelay: false });
    try {
      expect(() => new TcpServer(loop, { port: 70000 })).toThrow(/port/);
      expect(() => new TcpServer(loop, { port: -1 })).toThrow(/port/);
      expect(() => new TcpServer(loop, { maxConn: 0 })).toThrow(/maxConn/);
      expect(() => new TcpServer(loop, { maxConn: 1.5 })).toThrow(/maxConn/);
      expect(() => new TcpServer(loop, { backlog: 0 })).toThrow(/backlog/);
      expect(() => new TcpServer(loop, { idleTimeoutMs: -1 })).toThrow(/idleTimeoutMs/);
      expect(() => new TcpServer(loop, { frameTimeoutMs: Number.NaN })).toThrow(/frameTimeoutMs/);
      expect(() => new TcpServer(loop, { highWaterMark: 2048, outputCap: 1024 })).toThrow(/highWaterMark/);
      expect(() => new TcpServer(loop, { maxMessageLength: -1 })).toThrow(/maxMessageLength/);
      expect(loop.stats().ownedResources).toBe(0); // a refused server is not registered
    } finally {
      void loop.stop();
    }
  });
});

describe("graceful close", () => {
  it("delivers frames sent right before close() before the client sees the close", async () => {
    const h = await startServer();
    const { client, conn } = await h.connectStarted();
    const { client: other, conn: otherConn } = await h.connectStarted();
    const bodies = Array.from({ length: 50 }, (_, i) => patterned(60_000, i)); // 3 MB: many socket writes
    for (const [i, body] of bodies.entries()) conn.sendMessage(body, i);
    otherConn.sendMessage("last words", 1);

    const p1 = h.server.close();
    const p2 = h.server.close();
    expect(p2).toBe(p1); // idempotent: the same promise
    await p1;

    // When close() resolves, every close hook ran and the peers had all their data before the FIN.
    expect(h.closes.items.map((e) => e.reason)).toEqual(["shutdown", "shutdown"]);
    await client.waitClose();
    expect(client.framesAtEnd).toBe(bodies.length);
    expect(client.frames.map((f) => f.msgid)).toEqual(bodies.map((_, i) => i));
    expect(client.frames.every((f, i) => f.body.equals(bodies[i]!))).toBe(true);
    await other.waitClose();
    expect(other.framesAtEnd).toBe(1);
    expect(h.server.close()).toBe(p1);

    // No longer accepting.
    expect((await connectError(h.port)).code).toBe("ECONNREFUSED");
    h.pool.assertNoLeaks();
  });

  it("destroys connections still open at the deadline (a peer that never reads) and resolves", async () => {
    const h = await startServer();
    const { client, conn } = await h.connectStarted();
    client.pause();
    const body = patterned(60_000);
    // More than the kernel buffers hold, so the graceful end cannot complete.
    for (let i = 0; i < 200; i++) {
      try {
        conn.sendMessage(body, 1);
      } catch {
        break;
      }
      if (i % 16 === 15) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const t0 = performance.now();
    await h.server.close(200);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeGreaterThanOrEqual(180);
    expect(elapsed).toBeLessThan(3000);
    expect(h.closes.items.map((e) => e.reason)).toEqual(["shutdown"]);
    expect(h.server.connectionCount).toBe(0);
    h.pool.assertNoLeaks(); // in-flight output buffers were returned when the socket closed
    await client.destroy();
  });

  it("loop.stop() closes the server it owns and resolves run()", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    const client = await h.connect();
    await client.roundTrip(1, "x");
    const ran = h.loop.run();
    await h.loop.stop();
    await ran;
    await client.waitClose();
    expect(h.closes.items.map((e) => e.reason)).toEqual(["shutdown"]);
    expect((await connectError(h.port)).code).toBe("ECONNREFUSED");
    h.pool.assertNoLeaks();
  });
});
