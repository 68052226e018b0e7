import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect as netConnect } from "node:net";
import type { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FrameDecoder, encodeFrame } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import type { TcpServerStats } from "@lars/tcp-server";
import { ConnectError, SendError, TcpClient } from "../src/index.js";
import type { TcpClientOptions } from "../src/index.js";
import { HookLog, Inbox, WAIT_MS, poll, until } from "./helpers.js";
import { makeTestCerts } from "./helpers/certs.js";
import type { TestCerts } from "./helpers/certs.js";
import { LarsServer } from "./helpers/lars-server.js";

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs?.remove());

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

type ServerOptions = Parameters<typeof LarsServer.start>[0];

/** The server's key pair, no client-certificate check. */
function serverTls(): { key: Buffer; cert: Buffer } {
  return { key: certs.server.key, cert: certs.server.cert };
}

async function tlsServer(tls: Parameters<typeof LarsServer.start>[1], options: ServerOptions = {}): Promise<LarsServer> {
  const s = await LarsServer.start(options, tls);
  cleanup.push(() => s.stop());
  return s;
}

/** A TcpClient with its own loop and tracking pool, hooks recorded; msgid 1 goes to `inbox`. Stopped and leak-checked after the test. */
function client(port: number, tls: ConnectionOptions | undefined, extra: Partial<TcpClientOptions> = {}): { client: TcpClient; log: HookLog; inbox: Inbox } {
  const loop = new EventLoop({ monitorDelay: false });
  const pool = new BufPool({ track: true });
  const log = new HookLog();
  const inbox = new Inbox();
  const c = new TcpClient(loop, {
    host: "127.0.0.1",
    port,
    pool,
    ...(tls !== undefined ? { tls } : {}),
    reconnect: { initialDelayMs: 20, maxDelayMs: 50 },
    ...extra,
    ...log.hooks(),
  });
  log.client = c;
  c.addMsgRouter(1, inbox.handler);
  cleanup.push(async () => {
    await loop.stop();
    pool.assertNoLeaks();
  });
  return { client: c, log, inbox };
}

/** `len` bytes of `(i + seed) mod 251`. */
function patterned(len: number, seed: number): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i + seed) % 251;
  return b;
}

/** A raw socket (plain or TLS) decoding the frames it receives. */
interface Tracked {
  readonly socket: Socket;
  readonly frames: { msgid: number; body: Buffer }[];
  closed(): boolean;
  wait(check: () => boolean, what: string): Promise<void>;
}

function track(socket: Socket): Tracked {
  const frames: { msgid: number; body: Buffer }[] = [];
  let closed = false;
  const decoder = new FrameDecoder({ onFrame: (msgid, body) => frames.push({ msgid, body: Buffer.from(body) }) });
  socket.on("data", (chunk: Buffer) => {
    if (decoder.open) decoder.feed(chunk);
    socket.emit("lars-change");
  });
  socket.on("error", () => {});
  socket.on("close", () => {
    closed = true;
    decoder.close();
    socket.emit("lars-change");
  });
  return { socket, frames, closed: () => closed, wait: (check, what) => until(socket, "lars-change", check, what) };
}

describe("TLS: echo, routing, request and backpressure are the same as over TCP", () => {
  it("a client trusting the test CA is served: frames of every size echo in order, request() matches, the server sees no TLS error", async () => {
    const s = await tlsServer(serverTls());
    const { client: c, log, inbox } = client(s.port, { ca: certs.ca });
    await c.ready();
    expect(log.count("error")).toBe(0);
    const sizes = [0, 1, 7, 8, 100, 4096, 16_383, 16_384, 16_385, 65_527, 3, 65_527, 1000];
    const bodies = Array.from({ length: 60 }, (_, i) => patterned(sizes[i % sizes.length]!, i));
    // One loop turn: one coalesced write of ~600 KiB, cut into TLS records however OpenSSL likes.
    for (const b of bodies) c.sendMessage(b, 1);
    await inbox.wait(bodies.length);
    expect(inbox.frames.map((f) => f.body.length)).toEqual(bodies.map((b) => b.length));
    expect(inbox.frames.every((f, i) => f.msgid === 1 && f.body.equals(bodies[i]!))).toBe(true);
    const replies = await Promise.all(["a", "b", "c"].map((x) => c.request(2, x, { replyMsgid: 3 })));
    expect(replies.map(String)).toEqual(["re:a", "re:b", "re:c"]);
    expect(s.server.stats()).toMatchObject({ tlsErrors: 0, current: 1, total: 1, messagesIn: 63, messagesOut: 63 });
    expect(s.errors).toEqual([]);
  });

  it("reconnects over TLS after the server restarts on the same port: a new handshake, attributes kept", async () => {
    const first = await LarsServer.start({}, serverTls());
    const port = first.port;
    const { client: c, log, inbox } = client(port, { ca: certs.ca });
    await c.ready();
    c.setAttr("session", 7);
    await first.stop();
    await log.wait("close");
    const second = await tlsServer(serverTls(), { port });
    await log.wait("start", 2);
    c.sendMessage("again", 1);
    await inbox.wait(1);
    expect(inbox.frames[0]!.body.toString()).toBe("again");
    expect(c.getAttr("session")).toBe(7);
    expect(c.stats().connections).toBe(2);
    expect(second.server.stats()).toMatchObject({ tlsErrors: 0, total: 1 });
  });

  it("host 'localhost' works too (the name is checked against the certificate)", async () => {
    const s = await tlsServer(serverTls());
    const { client: c, inbox } = client(s.port, { ca: certs.ca }, { host: "localhost" });
    await c.ready();
    c.sendMessage("hi", 1);
    await inbox.wait(1);
    expect(inbox.frames[0]!.body.toString()).toBe("hi");
  });

  it("server side: a TLS peer that never reads hits the server's output cap (LARS_OUTPUT_FULL), then gets every accepted frame in order", async () => {
    const s = await tlsServer(serverTls(), { outputCap: 512 * 1024, highWaterMark: 128 * 1024 });
    const raw = tlsConnect({ host: "127.0.0.1", port: s.port, ca: certs.ca });
    const peer = track(raw);
    await new Promise<void>((resolve, reject) => raw.once("secureConnect", resolve).once("error", reject));
    raw.pause();
    await s.wait(() => s.starts.length === 1, "the TLS connection to start");
    const conn = s.starts[0]!;
    const body = (seq: number): Buffer => {
      const b = patterned(60_000, seq);
      b.writeUInt32LE(seq, 0);
      return b;
    };
    let accepted = 0;
    let refusal: unknown;
    const end = Date.now() + WAIT_MS;
    while (refusal === undefined && Date.now() < end) {
      try {
        while (conn.sendMessage(body(accepted), 7)) accepted++;
        accepted++; // accepted past the mark (false)
      } catch (err) {
        refusal = err;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(refusal).toBeInstanceOf(SendError);
    expect((refusal as SendError).code).toBe("LARS_OUTPUT_FULL");
    expect(conn.pendingBytes).toBeLessThanOrEqual(512 * 1024);
    expect(conn.closed).toBe(false);
    raw.resume();
    await peer.wait(() => peer.frames.length >= accepted, `${accepted} frames at the TLS peer`);
    expect(peer.frames.map((f) => f.body.readUInt32LE(0))).toEqual(Array.from({ length: accepted }, (_, i) => i));
    expect(peer.frames.every((f, i) => f.body.equals(body(i)))).toBe(true);
    raw.destroy();
    await s.wait(() => s.closes.length === 1, "the close hook");
  });

  it("half-close over TLS: requests sent together with the end of the stream are all answered before the server closes", async () => {
    const s = await tlsServer(serverTls());
    const raw = tlsConnect({ host: "127.0.0.1", port: s.port, ca: certs.ca });
    const peer = track(raw);
    let framesAtEnd = -1;
    raw.once("end", () => (framesAtEnd = peer.frames.length));
    await new Promise<void>((resolve, reject) => raw.once("secureConnect", resolve).once("error", reject));
    const bodies = [patterned(65_520, 1), Buffer.alloc(0), patterned(300, 2)];
    raw.cork();
    for (const b of bodies) raw.write(encodeFrame(1, b));
    raw.end();
    raw.uncork();
    await peer.wait(peer.closed, "the server to close");
    expect(framesAtEnd).toBe(bodies.length);
    expect(peer.frames.every((f, i) => f.body.equals(bodies[i]!))).toBe(true);
    await s.wait(() => s.closes.length === 1, "the close hook");
    expect(s.closes[0]!.reason).toBe("peer-closed");
  });

  it("client side: past the high-water mark sendMessage returns false, past the cap LARS_OUTPUT_FULL; all accepted frames arrive once the server reads", async () => {
    let received = 0;
    const s = await tlsServer(serverTls(), { onConnStart: (conn) => conn.setReading(false) });
    s.server.addMsgRouter(6, () => void received++);
    const { client: c, log } = client(s.port, { ca: certs.ca }, { outputCap: 512 * 1024, highWaterMark: 128 * 1024 });
    await c.ready();
    await s.wait(() => s.starts.length === 1, "the TLS connection to start");
    const body = Buffer.alloc(32 * 1024, 5);
    let accepted = 0;
    let sawFalse = false;
    let refusal: unknown;
    const end = Date.now() + WAIT_MS;
    while (refusal === undefined && Date.now() < end) {
      try {
        for (;;) {
          const ok = c.sendMessage(body, 6);
          accepted++;
          if (!ok) {
            sawFalse = true;
            break;
          }
        }
      } catch (err) {
        refusal = err;
      }
      await new Promise((r) => setImmediate(r));
    }
    expect(sawFalse).toBe(true);
    // The kernel's socket buffers take a few MiB first, so the mark may be crossed (and drained) several times.
    expect(log.count("backpressure")).toBeGreaterThanOrEqual(1);
    expect(refusal).toMatchObject({ code: "LARS_OUTPUT_FULL" });
    expect(c.pendingBytes).toBeLessThanOrEqual(512 * 1024);
    s.starts[0]!.setReading(true);
    await poll(() => received === accepted, `${accepted} frames at the server (have ${received})`);
    await log.wait("drain", log.count("backpressure"));
  });
});

describe("TLS: who is refused", () => {
  it("a client that does not trust the server's certificate never connects: each attempt fails with LARS_TLS_HANDSHAKE and is retried with backoff", async () => {
    const s = await tlsServer(serverTls());
    // No `ca`: the test CA is not among Node's default roots.
    const { client: c, log } = client(s.port, {});
    await until(log, "change", () => log.count("error") >= 3, "three failed attempts");
    const errors = log.of("error").map((e) => e.err);
    for (const [i, err] of errors.slice(0, 3).entries()) {
      expect(err).toBeInstanceOf(ConnectError);
      expect(err).toMatchObject({ code: "LARS_TLS_HANDSHAKE", attempt: i });
      expect((err.cause as NodeJS.ErrnoException).code).toBe("UNABLE_TO_VERIFY_LEAF_SIGNATURE");
    }
    expect(log.count("start")).toBe(0);
    expect(c.connected).toBe(false);
    expect(c.status).toMatchObject({ state: "reconnecting", lastError: { code: "LARS_TLS_HANDSHAKE" } });
    expect(() => c.sendMessage("x", 1)).toThrow(expect.objectContaining({ code: "LARS_NOT_CONNECTED" }));
    // The server never saw a connection; it counted the aborted handshakes.
    expect(s.starts).toEqual([]);
    await s.wait(() => s.server.stats().tlsErrors >= 3, "three TLS errors at the server");
    expect(s.errorsWith("LARS_TLS_HANDSHAKE").length).toBe(s.server.stats().tlsErrors);
  });

  it("a server presenting an untrusted (self-signed) certificate is refused by a client that trusts only the CA", async () => {
    const s = await tlsServer({ key: certs.untrusted.key, cert: certs.untrusted.cert });
    const { client: c, log } = client(s.port, { ca: certs.ca }, { reconnect: false });
    await log.wait("giveUp");
    const [err] = log.of("error").map((e) => e.err);
    expect(err).toMatchObject({ code: "LARS_TLS_HANDSHAKE", attempt: 0 });
    expect((err!.cause as NodeJS.ErrnoException).code).toBe("DEPTH_ZERO_SELF_SIGNED_CERT");
    expect(c.status).toMatchObject({ state: "closed", reason: "gave-up", error: { code: "LARS_CLIENT_GAVE_UP", cause: err } });
    expect(s.starts).toEqual([]);
  });

  it("a server certificate for another name is refused (ERR_TLS_CERT_ALTNAME_INVALID)", async () => {
    const s = await tlsServer(serverTls());
    const { log } = client(s.port, { ca: certs.ca, servername: "not-lars.example" }, { reconnect: false });
    await log.wait("giveUp");
    const [err] = log.of("error").map((e) => e.err);
    expect(err).toMatchObject({ code: "LARS_TLS_HANDSHAKE", cause: { code: "ERR_TLS_CERT_ALTNAME_INVALID" } });
    expect(s.starts).toEqual([]);
  });

  it("a TLS client on a plain TCP Lars server: the handshake fails (LARS_TLS_HANDSHAKE); the server closes it as a bad frame", async () => {
    const plain = await LarsServer.start();
    cleanup.push(() => plain.stop());
    const { log } = client(plain.port, { ca: certs.ca }, { reconnect: false });
    await log.wait("giveUp");
    expect(log.count("start")).toBe(0);
    expect(log.of("error")[0]!.err).toMatchObject({ code: "LARS_TLS_HANDSHAKE" });
    // A TLS ClientHello read as a Lars header announces a body far over the limit.
    await plain.wait(() => plain.closes.length === 1, "the plain server to close the TLS client");
    expect(plain.closes[0]).toMatchObject({ reason: "bad-frame", error: { code: "LARS_FRAME_TOO_LONG" } });
  });

  describe("client certificates (requestCert + rejectUnauthorized + ca)", () => {
    const verifying = (): Parameters<typeof LarsServer.start>[1] => ({ ...serverTls(), ca: certs.ca, requestCert: true, rejectUnauthorized: true });

    it("a client with a certificate signed by the CA is served", async () => {
      const s = await tlsServer(verifying());
      const { client: c, inbox, log } = client(s.port, { ca: certs.ca, key: certs.client.key, cert: certs.client.cert });
      await c.ready();
      c.sendMessage("with cert", 1);
      await inbox.wait(1);
      expect(inbox.frames[0]!.body.toString()).toBe("with cert");
      expect(log.count("error")).toBe(0);
      expect(s.server.stats()).toMatchObject({ tlsErrors: 0, current: 1 });
    });

    it("TLS 1.3 (default): a client without a certificate is refused by the server after the client's handshake completed — the client sees its connection close with the TLS alert", async () => {
      const s = await tlsServer(verifying());
      const { client: c, log } = client(s.port, { ca: certs.ca }, { reconnect: false });
      await log.wait("giveUp");
      // TLS 1.3 sends the client certificate after the client's Finished: to the client the
      // handshake is done ('secureConnect'), and the server's refusal arrives as an alert.
      expect(log.count("start")).toBe(1);
      const [close] = log.of("close");
      expect(close!.reason).toBe("error");
      expect((close!.error as NodeJS.ErrnoException).code).toBe("ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED");
      expect(c.status).toMatchObject({ state: "closed", reason: "gave-up" });
      // The server: a failed handshake, never a connection.
      expect(s.starts).toEqual([]);
      await s.wait(() => s.server.stats().tlsErrors === 1, "the server's TLS error");
      expect(s.errorsWith("LARS_TLS_HANDSHAKE")[0]!.err.message).toMatch(/peer did not return a certificate/);
    });

    it("TLS 1.2: a client without a certificate fails to connect (LARS_TLS_HANDSHAKE)", async () => {
      const s = await tlsServer(verifying());
      const { log } = client(s.port, { ca: certs.ca, maxVersion: "TLSv1.2" }, { reconnect: false });
      await log.wait("giveUp");
      expect(log.count("start")).toBe(0);
      expect(log.of("error")[0]!.err).toMatchObject({ code: "LARS_TLS_HANDSHAKE", attempt: 0 });
      expect(s.starts).toEqual([]);
      await s.wait(() => s.server.stats().tlsErrors === 1, "the server's TLS error");
    });

    it("a client whose certificate is self-signed (not from the CA) is refused", async () => {
      const s = await tlsServer(verifying());
      const { log } = client(s.port, { ca: certs.ca, key: certs.untrusted.key, cert: certs.untrusted.cert }, { reconnect: false });
      await log.wait("giveUp");
      // tls.Server completes the handshake, then drops the unverified peer without an alert.
      expect(log.of("close")[0]).toMatchObject({ reason: "peer-closed" });
      expect(s.starts).toEqual([]);
      await s.wait(() => s.server.stats().tlsErrors === 1, "the server's TLS error");
      // Reported for what it is, not as the hang-up that tls.Server sees.
      expect(s.errorsWith("LARS_TLS_HANDSHAKE")[0]!.err.message).toMatch(/client certificate refused \(DEPTH_ZERO_SELF_SIGNED_CERT\)/);
    });
  });

  it("plaintext to a TLS port is refused and counted (stats().tlsErrors) without harming a TLS client alongside", async () => {
    const s = await tlsServer(serverTls(), { handshakeTimeoutMs: 300 });
    const { client: good, inbox } = client(s.port, { ca: certs.ca });
    await good.ready();
    // The good client ping-pongs all along, numbered.
    let n = 0;
    let stop = false;
    const pingPong = (async () => {
      while (!stop || n < 20) {
        good.sendMessage(String(n++), 1);
        await inbox.wait(n);
      }
    })();
    // A Lars frame in plaintext, an HTTP request, a peer that connects and says nothing
    // (dropped at the handshake timeout), and one that connects and at once ends (FIN).
    const peers = [encodeFrame(1, "plaintext hello"), Buffer.from("GET / HTTP/1.1\r\nHost: lars\r\n\r\n"), "silent", "end"].map((what) => {
      const peer = track(netConnect({ host: "127.0.0.1", port: s.port }));
      peer.socket.once("connect", () => {
        if (what === "end") peer.socket.end();
        else if (what !== "silent") peer.socket.write(what);
      });
      return peer;
    });
    // And a plaintext TcpClient that says hello at connect.
    const { log: plainLog } = client(s.port, undefined, { reconnect: false, onConnStart: (c) => c.sendMessage("hello", 1) });
    await Promise.all(peers.map((p) => p.wait(p.closed, "the server to close a plaintext peer")));
    await plainLog.wait("giveUp");
    expect(plainLog.count("start")).toBe(1); // TCP connected; it is the server that refuses it
    expect(["peer-closed", "bad-frame", "error"]).toContain(plainLog.of("close")[0]!.reason);
    expect(peers.map((p) => p.frames.length)).toEqual([0, 0, 0, 0]);
    await s.wait(() => s.server.stats().tlsErrors === 5, "5 TLS errors at the server");
    expect(s.errorsWith("LARS_TLS_HANDSHAKE")).toHaveLength(5);
    stop = true;
    await pingPong;
    expect(inbox.frames.map((f) => f.body.toString())).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(good.connected).toBe(true);
    expect(s.starts).toHaveLength(1);
    expect(s.server.stats()).toMatchObject({ current: 1, total: 1, tlsErrors: 5 });
  });
});

describe("TLS with workers: 2 (node:cluster; the handshake runs in the worker)", () => {
  const FIXTURE = fileURLToPath(new URL("./fixtures/tls-workers-server.mjs", import.meta.url));

  interface Reply {
    port?: number;
    stats?: TcpServerStats;
    connections?: number;
  }

  interface Fixture {
    next(): Promise<Reply>;
    /** Ask the primary for collectStats() (the answer comes through next()). */
    stats(): void;
    stop(): Promise<number | null>;
  }

  /** Fork the fixture (primary + 2 workers) and wait for its port. Killed after the test if still alive. */
  async function startFixture(env: Record<string, string> = {}): Promise<Fixture & { port: number }> {
    const child: ChildProcess = fork(FIXTURE, [], { env: { ...process.env, LARS_TEST_CERTS_DIR: certs.dir, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const replies: Reply[] = [];
    child.on("message", (m: Reply) => {
      replies.push(m);
      child.emit("lars-change");
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    cleanup.push(async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGKILL");
        await exited;
      }
    });
    let seen = 0;
    const next = async (): Promise<Reply> => {
      const at = seen++;
      await until(child, "lars-change", () => replies.length > at, "a message from the TLS workers fixture", 15_000);
      return replies[at]!;
    };
    const { port } = await next();
    return {
      port: port!,
      next,
      stats: () => child.send("stats"),
      stop: () => {
        child.send("stop");
        return exited;
      },
    };
  }

  it("serves a TLS echo from both workers, refuses plaintext (counted by the workers), and keeps the primary's count exact", async () => {
    const fx = await startFixture();
    const pids = new Set<string>();
    const clients = Array.from({ length: 4 }, () => client(fx.port, { ca: certs.ca }));
    for (const { client: c, inbox } of clients) {
      await c.ready();
      c.sendMessage(patterned(65_527, c.id), 1);
      await inbox.wait(1);
      expect(inbox.frames[0]!.body.equals(patterned(65_527, c.id))).toBe(true);
      pids.add((await c.request(9, "")).toString());
    }
    expect(pids.size).toBe(2); // round-robin over both workers

    // Plaintext, and a peer that closes before any handshake: both refused in a worker.
    const bad = [encodeFrame(1, "plaintext"), undefined].map((bytes) => {
      const peer = track(netConnect({ host: "127.0.0.1", port: fx.port }));
      peer.socket.once("connect", () => (bytes !== undefined ? peer.socket.write(bytes) : peer.socket.end()));
      return peer;
    });
    await Promise.all(bad.map((p) => p.wait(p.closed, "a plaintext peer to be closed")));
    // Each worker counted before closing, and told the primary "closed" before it answers this query.
    fx.stats();
    const reply = await fx.next();
    expect(reply.stats!.tlsErrors).toBe(2);
    // The primary's count (against maxConn) is back to the 4 TLS clients: the refused peers gave their slots back.
    expect(reply.connections).toBe(4);
    for (const { client: c } of clients) c.sendMessage("still here", 1);
    for (const { inbox } of clients) await inbox.wait(2);
    expect(await fx.stop()).toBe(0);
  }, 30_000);

  it("enforces client certificates in the workers too: a CA-signed one is served, a self-signed one and none are refused", async () => {
    const fx = await startFixture({ LARS_TEST_CLIENT_CERT: "1" });
    const good = client(fx.port, { ca: certs.ca, key: certs.client.key, cert: certs.client.cert });
    await good.client.ready();
    expect((await good.client.request(1, "certified")).toString()).toBe("certified");
    for (const creds of [{ key: certs.untrusted.key, cert: certs.untrusted.cert }, {}]) {
      // With TLS 1.3 the client thinks it is connected and sends at once: that must never reach a route.
      const refused = client(fx.port, { ca: certs.ca, ...creds }, { reconnect: false, onConnStart: (c) => c.sendMessage("sneaking in", 1) });
      await refused.log.wait("giveUp");
      expect(refused.log.count("close")).toBe(1);
    }
    fx.stats();
    const reply = await fx.next();
    expect(reply.stats!.tlsErrors).toBe(2);
    expect(reply.stats!.messagesIn).toBe(1);
    expect(reply.connections).toBe(1);
    expect(await fx.stop()).toBe(0);
  }, 30_000);
});
