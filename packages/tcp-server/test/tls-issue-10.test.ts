import { connect } from "node:net";
import type { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { TcpServer, resolveTcpServerOptions } from "../src/index.js";
import { makeTestCerts } from "./helpers/certs.js";
import type { TestCerts } from "./helpers/certs.js";
import { teardownAll } from "./helpers/harness.js";

// Issue 10, defect 4: TLS in one process. Server-side TLS tests belong to the server package.

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs?.remove());
afterEach(teardownAll);

function rawConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: "127.0.0.1" }, () => resolve(s));
    s.on("error", reject);
  });
}

function closedOf(s: Socket): Promise<void> {
  return s.destroyed ? Promise.resolve() : new Promise((resolve) => s.once("close", () => resolve()));
}

describe("issue 10 defect 4: TLS maxConn, close() and handshakeTimeoutMs", () => {
  it("maxConn counts raw sockets before the handshake: 200 idle raw sockets against maxConn 2 → 198 refused", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const refused: unknown[] = [];
    let allRefused: () => void = () => {};
    const done = new Promise<void>((resolve) => (allRefused = resolve));
    const server = new TcpServer(loop, {
      host: "127.0.0.1",
      port: 0,
      maxConn: 2,
      tls: { key: certs.server.key, cert: certs.server.cert },
      handshakeTimeoutMs: 0,
      onConnRefused: (info) => {
        refused.push(info);
        if (refused.length === 198) allRefused();
      },
    });
    const sockets: Socket[] = [];
    try {
      const { port } = await server.listen();
      for (let i = 0; i < 200; i++) {
        const s = await rawConnect(port);
        s.on("error", () => {});
        sockets.push(s);
      }
      await done;
      expect(server.stats().refused).toBe(198);
      expect(server.stats().tlsErrors).toBe(0);
      // A real TLS client is refused too while the two raw peers hold their slots.
      const extra = await rawConnect(port);
      extra.on("error", () => {});
      await closedOf(extra);
      expect(server.stats().refused).toBe(199);
    } finally {
      const closing = server.close(2000);
      await closing;
      await loop.stop();
      for (const s of sockets) s.destroy();
    }
  });

  it("an idle raw peer (no handshake) does not block server.close(): it is dropped at once", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, {
      host: "127.0.0.1",
      port: 0,
      tls: { key: certs.server.key, cert: certs.server.cert },
      handshakeTimeoutMs: 0,
    });
    const { port } = await server.listen();
    const idle = await rawConnect(port);
    idle.on("error", () => {});
    // A TLS client that completed its handshake is closed gracefully as usual.
    const tlsClient = tlsConnect({ port, host: "127.0.0.1", ca: certs.ca, servername: "localhost" });
    tlsClient.on("error", () => {});
    await new Promise<void>((resolve) => tlsClient.once("secureConnect", () => resolve()));
    // Bound: well under the 30 s close deadline given.
    const started = performance.now();
    const outcome = await Promise.race([
      server.close(30_000).then(() => "closed"),
      new Promise<string>((resolve) => setTimeout(() => resolve("close() still pending"), 3000)),
    ]);
    expect(outcome).toBe("closed");
    expect(performance.now() - started).toBeLessThan(3000);
    await closedOf(idle);
    tlsClient.destroy();
    await loop.stop();
    expect(loop.stats().ownedResources).toBe(0);
  });

  it("handshakeTimeoutMs 0 or null disables the handshake timeout; undefined keeps the 10 s default", () => {
    expect(resolveTcpServerOptions({ handshakeTimeoutMs: 0 }).handshakeTimeoutMs).toBe(0);
    expect(resolveTcpServerOptions({ handshakeTimeoutMs: null }).handshakeTimeoutMs).toBe(0);
    expect(resolveTcpServerOptions({}).handshakeTimeoutMs).toBe(10_000);
    expect(resolveTcpServerOptions({ handshakeTimeoutMs: 250 }).handshakeTimeoutMs).toBe(250);
    expect(() => resolveTcpServerOptions({ handshakeTimeoutMs: -1 })).toThrow(/handshakeTimeoutMs/);
  });
});
