import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { SendError } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { UdpPeer } from "../src/index.js";
import { AddressInUseError, UdpClient, UdpClosedError, UdpServer, UdpSocketError } from "../src/index.js";
import { Queue, recordInto, startPair } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function newLoop(): EventLoop {
  const loop = new EventLoop({ monitorDelay: false });
  cleanups.push(() => loop.stop(1000));
  return loop;
}

function sendError(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SendError);
    return (err as SendError).code;
  }
  return undefined;
}

describe("UdpServer and UdpClient lifecycle", () => {
  it("binds to port 0 and reports the real address; bind() and listen() share one promise", async () => {
    const loop = newLoop();
    const server = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    expect(server.address()).toBeUndefined();
    expect(server.listening).toBe(false);
    const p = server.bind();
    expect(server.listen()).toBe(p);
    const addr = await p;
    expect(addr.address).toBe("127.0.0.1");
    expect(addr.family).toBe("IPv4");
    expect(addr.port).toBeGreaterThan(0);
    expect(server.address()).toEqual(addr);
    expect(server.listening).toBe(true);
    expect(loop.stats().ownedResources).toBe(1);
  });

  it("close() is idempotent, resolves, refuses later sends and a later bind", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    const kept = new Queue<UdpPeer>();
    pair.server.addMsgRouter(1, (_b, _m, conn) => kept.push(conn as UdpPeer));
    pair.client.sendMessage("", 1);
    const peer = await kept.next();

    const c1 = pair.server.close();
    const c2 = pair.server.close();
    expect(c2).toBe(c1);
    expect(pair.server.closed).toBe(true);
    await c1;
    await pair.server.close();
    expect(pair.server.listening).toBe(false);
    expect(peer.closed).toBe(true);
    expect(sendError(() => peer.sendMessage("late", 1))).toBe("LARS_CONN_CLOSED");
    await expect(new UdpServer(pair.loop, { host: "127.0.0.1", port: 0 }).close()).resolves.toBeUndefined();

    const k1 = pair.client.close();
    expect(pair.client.close()).toBe(k1);
    await k1;
    expect(sendError(() => pair.client.sendMessage("late", 1))).toBe("LARS_CONN_CLOSED");
    await expect(pair.client.connect()).resolves.toBeDefined(); // the promise of the first connect
    expect(pair.loop.stats().ownedResources).toBe(0);

    const closedFirst = new UdpServer(pair.loop, { host: "127.0.0.1", port: 0 });
    await closedFirst.close();
    await expect(closedFirst.bind()).rejects.toBeInstanceOf(UdpClosedError);
  });

  it("close() right after sendMessage still lets the accepted datagram go out", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    const got = recordInto(pair.server, [1]);
    pair.client.sendMessage("last words", 1);
    const closing = pair.client.close();
    expect(pair.client.closed).toBe(true);
    expect((await got.next()).body.toString()).toBe("last words");
    await closing;
    expect(pair.client.stats()).toMatchObject({ datagramsOut: 1, sendErrors: 0 });
  });

  it("loop.stop() closes the server and the client it owns", async () => {
    const pair = await startPair();
    expect(pair.loop.stats().ownedResources).toBe(2);
    await pair.loop.stop(1000);
    expect(pair.server.closed).toBe(true);
    expect(pair.client.closed).toBe(true);
    expect(pair.server.listening).toBe(false);
    expect(pair.client.connected).toBe(false);
    expect(pair.loop.stats().ownedResources).toBe(0);
  });

  it("refuses to send before the client is connected (LARS_NOT_CONNECTED), nothing queued", async () => {
    const loop = newLoop();
    const server = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    const got = recordInto(server, [1]);
    const { port } = await server.bind();
    const client = new UdpClient(loop, { host: "127.0.0.1", port });
    expect(client.transport).toBe("udp");
    expect(client.remoteAddress).toBe("127.0.0.1");
    expect(client.remotePort).toBe(port);
    expect(sendError(() => client.sendMessage("early", 1))).toBe("LARS_NOT_CONNECTED");
    const connecting = client.connect();
    expect(sendError(() => client.sendMessage("still early", 1))).toBe("LARS_NOT_CONNECTED");
    await connecting;
    expect(client.connected).toBe(true);
    client.sendMessage("now", 1);
    expect((await got.next()).body.toString()).toBe("now");
    expect(server.stats().datagramsIn).toBe(1);
    expect(client.stats().sendsRefused).toBe(2);
    // a server refuses to send before it is bound
    const unbound = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    expect(sendError(() => unbound.sendTo("x", 1, "127.0.0.1", port))).toBe("LARS_NOT_CONNECTED");
  });

  it("rejects bind() with AddressInUseError LARS_ADDRESS_IN_USE when the port is taken, and releases the server", async () => {
    const loop = newLoop();
    const first = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    const { port } = await first.bind();
    const second = new UdpServer(loop, { host: "127.0.0.1", port });
    const err = (await second.bind().catch((e: unknown) => e)) as AddressInUseError;
    expect(err).toBeInstanceOf(AddressInUseError);
    expect(err).toBeInstanceOf(UdpSocketError);
    expect(err).toBeInstanceOf(LarsError);
    expect(err.code).toBe("LARS_ADDRESS_IN_USE");
    expect(err.errno).toBe("EADDRINUSE");
    expect(err).toMatchObject({ host: "127.0.0.1", port, operation: "bind" });
    expect((err.cause as NodeJS.ErrnoException).code).toBe("EADDRINUSE");
    await second.close();
    expect(second.closed).toBe(true);
    expect(loop.stats().ownedResources).toBe(1);
  });

  it("rejects a bind or connect still in progress when closed, and close still resolves", async () => {
    const loop = newLoop();
    const server = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    const binding = server.bind();
    const closing = server.close();
    await expect(binding).rejects.toMatchObject({ code: "LARS_UDP_CLOSED" });
    await closing;
    const client = new UdpClient(loop, { host: "127.0.0.1", port: 9 });
    const connecting = client.connect();
    const clientClosing = client.close();
    await expect(connecting).rejects.toMatchObject({ code: "LARS_UDP_CLOSED" });
    await clientClosing;
    expect(loop.stats().ownedResources).toBe(0);
  });

  it("rejects connect() with LARS_UDP_CONNECT_FAILED for a host that does not resolve", async () => {
    const loop = newLoop();
    const client = new UdpClient(loop, { host: "no-such-host.invalid", port: 7 });
    const err = (await client.connect().catch((e: unknown) => e)) as UdpSocketError;
    expect(err).toBeInstanceOf(UdpSocketError);
    expect(err.code).toBe("LARS_UDP_CONNECT_FAILED");
    await client.close();
    expect(client.closed).toBe(true);
    expect(loop.stats().ownedResources).toBe(0);
  });

  it.skipIf(process.platform === "win32")(
    "reports ECONNREFUSED from a missing server through onError, and the client stays usable",
    async () => {
      const loop = newLoop();
      // Find a free port, then free it: nothing listens there.
      const probe = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
      const { port } = await probe.bind();
      await probe.close();
      const errors = new Queue<LarsError>();
      const client = new UdpClient(loop, { host: "127.0.0.1", port, onError: errors.push });
      await client.connect();
      client.sendMessage("anyone?", 1);
      const err = await errors.next();
      expect(["LARS_UDP_SOCKET_ERROR", "LARS_UDP_SEND_FAILED"]).toContain(err.code);
      expect(err.cause).toMatchObject({ code: "ECONNREFUSED" });
      expect(client.closed).toBe(false);
      // A server appears on that port: the same client now gets answers.
      const server = new UdpServer(loop, { host: "127.0.0.1", port });
      server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
      await server.bind();
      const replies = recordInto(client, [1]);
      client.sendMessage("hello again", 1);
      expect((await replies.next()).body.toString()).toBe("hello again");
    },
  );

  it("leaves no handle behind: a process whose loop stopped exits by itself", async () => {
    const entry = fileURLToPath(new URL("../dist/index.js", import.meta.url));
    const script = `
      import { EventLoop } from "@lars/event-loop";
      const { UdpServer, UdpClient } = await import(${JSON.stringify(entry)});
      const loop = new EventLoop();
      const server = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
      server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
      const { port } = await server.bind();
      const client = new UdpClient(loop, { host: "127.0.0.1", port });
      const reply = new Promise((resolve) => client.addMsgRouter(1, (body) => resolve(body.toString())));
      await client.connect();
      client.sendMessage("bye", 1);
      console.log("reply:" + await reply);
      process.once("beforeExit", () => console.log("idle; handles left: " + process.getActiveResourcesInfo().join(",")));
      await loop.stop();
      console.log("stopped");
    `;
    const result = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd: fileURLToPath(new URL("..", import.meta.url)), timeout: 10_000 },
        (_err, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain("reply:bye");
    // beforeExit fires only once Node has nothing left to wait for: no socket, no timer.
    expect(result.stdout).toMatch(/stopped\nidle; handles left: [^\n]*\n$/);
    expect(result.stdout).not.toMatch(/UDPWrap|Timeout/);
    expect(result.code).toBe(0); // exited on its own, before the 10 s kill
  });
});

describe("whenClosed(): the awaitable close, as on TcpConn and TcpClient", () => {
  it("waits, without closing anything, until the server and client are closed by loop.stop(); then they are gone", async () => {
    const pair = await startPair();
    let serverDone = false;
    let clientDone = false;
    const serverClosed = pair.server.whenClosed().then(() => {
      serverDone = true;
      return pair.server.listening;
    });
    const clientClosed = pair.client.whenClosed().then(() => (clientDone = true));
    // Asking closes nothing: the pair still talks.
    const got = recordInto(pair.server, [1]);
    pair.client.sendMessage("still here", 1);
    expect((await got.next()).body.toString()).toBe("still here");
    expect([serverDone, clientDone, pair.server.closed, pair.client.closed]).toEqual([false, false, false, false]);
    expect(pair.server.whenClosed()).toBe(pair.server.whenClosed()); // one promise

    await pair.loop.stop(1000);
    // Resolved once the socket had closed.
    expect(await serverClosed).toBe(false);
    await clientClosed;
    expect([serverDone, clientDone]).toEqual([true, true]);
    expect(pair.loop.stats().ownedResources).toBe(0);
  });

  it("is the promise close() returns, and resolves at once once closed", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    const early = pair.client.whenClosed();
    const closing = pair.client.close();
    expect(closing).toBe(early);
    await early;
    expect(pair.client.connected).toBe(false);
    expect(pair.client.whenClosed()).toBe(closing);
    await pair.client.whenClosed();
    const serverClosing = pair.server.close();
    expect(pair.server.whenClosed()).toBe(serverClosing);
    await serverClosing;
    await pair.server.whenClosed();
  });

  it("resolves when a failed bind() or connect() closes the server or client by itself", async () => {
    const loop = newLoop();
    const first = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    const { port } = await first.bind();
    const clash = new UdpServer(loop, { host: "127.0.0.1", port });
    const closed = clash.whenClosed();
    await expect(clash.bind()).rejects.toBeInstanceOf(AddressInUseError);
    await closed;
    expect(clash.closed).toBe(true);
    const lost = new UdpClient(loop, { host: "no-such-host.invalid", port: 7 });
    const lostClosed = lost.whenClosed();
    await expect(lost.connect()).rejects.toBeInstanceOf(UdpSocketError);
    await lostClosed;
    expect(lost.closed).toBe(true);
    expect(loop.stats().ownedResources).toBe(1); // `first` only
  });

  it("on a server or client never opened, resolves when close() is called", async () => {
    const loop = newLoop();
    const server = new UdpServer(loop, { host: "127.0.0.1", port: 0 });
    const client = new UdpClient(loop, { host: "127.0.0.1", port: 9 });
    const both = Promise.all([server.whenClosed(), client.whenClosed()]);
    await Promise.all([server.close(), client.close()]);
    await both;
  });
});

