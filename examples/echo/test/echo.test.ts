import { createSocket } from "node:dgram";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import { decodeFrames, encodeFrame } from "@lars/codec";
import { Program, RawClient } from "../../_shared/test-helpers.js";
import type { ProgramOptions } from "../../_shared/test-helpers.js";

const running: Program[] = [];
const clients: RawClient[] = [];

const SERVER = new URL("../server.mjs", import.meta.url);
const ECHO_DIR = fileURLToPath(new URL("..", import.meta.url));

function server(...args: string[]): Program {
  return serverWith({}, ...args);
}

function serverWith(options: ProgramOptions, ...args: string[]): Program {
  const p = new Program(SERVER, args, options);
  running.push(p);
  return p;
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const p of running.splice(0)) p.kill();
});

describe("echo server", () => {
  it("welcomes, echoes every msgid (2 and 3 included) with its body, logs the close, and stops on SIGTERM with exit 0", async () => {
    const s = server("--port", "0");
    const port = await s.port();
    const c = await client(port);

    expect((await c.take(101)).body.toString()).toBe("welcome! you online..");
    expect(await c.request(1, "hello lars!")).toBe("hello lars!");
    // Defect 8 (issue 10): the echo contract holds for every msgid; no demo route answers by default.
    expect(await c.request(2, "ping")).toBe("ping");
    expect(await c.request(3, "pid?")).toBe("pid?");
    expect(await c.request(3, "")).toBe("");
    // Unregistered msgids (the router's onUnknown), binary and empty bodies come back as sent.
    const binary = Buffer.from([0, 1, 2, 255, 254]);
    c.send(77, binary);
    expect((await c.take(77)).body).toEqual(binary);
    expect(await c.request(-5, "")).toBe("");
    // Pipelined: many frames in one write come back in order.
    c.socket.write(Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeFrame(1000 + i, `m${i}`))));
    for (let i = 0; i < 50; i++) expect((await c.take(1000 + i)).body.toString()).toBe(`m${i}`);

    // The start hook's attribute is read by the hello route and the close hook.
    const hello = await s.line(/^hello from (conn \d+ .*): hello lars!$/);
    c.close();
    await s.line(new RegExp(`^${escape(hello[1]!)} closed: peer-closed$`));

    expect(await s.stop()).toBe(0);
    expect(s.lines.at(-1)).toBe("stopped");
  });

  it("refuses connections past --max-conn (closed at once, no welcome)", async () => {
    const s = server("--port", "0", "--max-conn", "1");
    const port = await s.port();
    const first = await client(port);
    await first.take(101);
    const second = await client(port);
    await expect(second.take(101)).rejects.toThrow(/closed before/);
    expect(await first.request(1, "still here")).toBe("still here");
    expect(await s.stop()).toBe(0);
  });

  it("with --demo-routes answers msgid 2 ping with pong and msgid 3 with the pid", async () => {
    const s = server("--port", "0", "--demo-routes");
    const c = await client(await s.port());
    await c.take(101);
    expect(await c.request(2, "ping")).toBe("pong");
    expect(await c.request(2, "not ping")).toBe("not ping");
    expect(await c.request(3, "")).toBe(String(s.child.pid));
    expect(await c.request(4, "echoed")).toBe("echoed");
    expect(await s.stop()).toBe(0);
  });

  it("with --no-welcome sends nothing on connect: the first frame is the echo of the first request", async () => {
    const s = server("--port", "0", "--no-welcome");
    const c = await client(await s.port());
    // The welcome would be written on connect, before any request is read: it would arrive first.
    expect(await c.request(5, "first")).toBe("first");
    expect(c.frames).toEqual([]);
    const again = await client(await s.port());
    expect(await again.request(101, "not a welcome")).toBe("not a welcome");
    expect(again.frames).toEqual([]);
    expect(await s.stop()).toBe(0);
  });

  it("with --workers 2 spreads connections over two worker processes and stops them all", async () => {
    const s = server("--port", "0", "--workers", "2", "--demo-routes");
    const port = await s.port();
    const pids = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const c = await client(port);
      await c.take(101);
      expect(await c.request(1, `hello ${i}`)).toBe(`hello ${i}`);
      pids.add(await c.request(3, ""));
    }
    expect(pids.size).toBe(2);
    expect(pids.has(String(s.child.pid))).toBe(false); // the primary only accepts; workers serve

    expect(await s.stop()).toBe(0);
    for (const pid of pids) expect(alive(Number(pid))).toBe(false);
  });

  it("reads a serv.conf with --config; command-line flags override it", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lars-echo-"));
    try {
      const conf = join(dir, "serv.conf");
      // port 0 comes only from the file (the built-in default is 7777).
      await writeFile(conf, "; test config\n[reactor]\nmaxConn = 1\nthreadNum = 0\nip = 127.0.0.1\nport = 0\n");

      const fromFile = server("--config", conf);
      const port = await fromFile.port();
      expect(fromFile.lines[0]).toMatch(/^listening on 127\.0\.0\.1:\d+$/);
      expect(port).not.toBe(7777);
      const a = await client(port);
      await a.take(101);
      const refused = await client(port);
      await expect(refused.take(101)).rejects.toThrow(/closed before/); // maxConn = 1 from the file
      expect(await fromFile.stop()).toBe(0);

      const overridden = server("--config", conf, "--max-conn", "2");
      const port2 = await overridden.port();
      for (let i = 0; i < 2; i++) await (await client(port2)).take(101);
      expect(await overridden.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("resolves a relative --config from the folder the command was run in (process.cwd())", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lars-echo-cwd-"));
    try {
      await writeFile(join(dir, "mine.conf"), "[reactor]\nmaxConn = 1\nport = 0\n");
      const s = serverWith({ cwd: dir }, "--config", "mine.conf");
      const port = await s.port();
      await (await client(port)).take(101);
      await expect((await client(port)).take(101)).rejects.toThrow(/closed before/); // maxConn = 1: the file was read
      expect(await s.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("resolves a relative --config from INIT_CWD under npm run (which runs the script in examples/echo)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lars-echo-init-"));
    try {
      await writeFile(join(dir, "mine.conf"), "[reactor]\nmaxConn = 1\nport = 0\n");
      // What `npm run echo-server -- --config mine.conf` run in `dir` does: cwd = the workspace, INIT_CWD = dir.
      const s = serverWith({ cwd: ECHO_DIR, env: { ...process.env, INIT_CWD: dir } }, "--config", "mine.conf");
      const port = await s.port();
      await (await client(port)).take(101);
      await expect((await client(port)).take(101)).rejects.toThrow(/closed before/);
      expect(await s.stop()).toBe(0);

      // The README's command from the repository root: the path is relative to the root, not to examples/echo.
      const root = join(ECHO_DIR, "..", "..");
      const fromRoot = serverWith(
        { cwd: ECHO_DIR, env: { ...process.env, INIT_CWD: root } },
        "--config",
        relative(root, join(ECHO_DIR, "serv.conf")),
        "--port",
        "0",
        "--workers",
        "0",
      );
      expect(await fromRoot.port()).toBeGreaterThan(0);
      expect(await fromRoot.stop()).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  const udpBuilt = existsSync(join(createRequire(import.meta.url).resolve("@lars/udp/package.json"), "..", "dist", "index.js"));
  it.skipIf(!udpBuilt)("with --udp-port also echoes over UDP (one frame per datagram, same routes)", async () => {
    const s = server("--port", "0", "--udp-port", "0");
    const tcpPort = await s.port();
    const udpPort = Number((await s.line(/^udp listening on .+:(\d+)$/))[1]);
    const sock = createSocket("udp4");
    try {
      const replies: Buffer[] = [];
      const got = new Promise<void>((resolve) =>
        sock.on("message", (msg) => {
          replies.push(msg);
          if (replies.length === 2) resolve();
        }),
      );
      sock.send(encodeFrame(2, "ping"), udpPort, "127.0.0.1"); // echoed: demo routes are off
      sock.send(encodeFrame(9, "over udp"), udpPort, "127.0.0.1");
      await got;
      const frames = replies.flatMap((d) => decodeFrames(d)).map((f) => [f.msgid, f.body.toString()]);
      expect(frames.sort()).toEqual([
        [2, "ping"],
        [9, "over udp"],
      ]);
      const c = await client(tcpPort);
      expect(await c.request(1, "tcp too")).toBe("tcp too");
    } finally {
      sock.close();
    }
    expect(await s.stop()).toBe(0);
  });

  it("rejects bad flags and a missing config file with usage on stderr and exit code 2", async () => {
    for (const args of [["--port", "http"], ["--bogus"], ["--workers", "-1"], ["--config", "/no/such/serv.conf"]]) {
      const s = server(...args);
      expect(await s.exit()).toBe(2);
      expect(s.stderr).toContain("usage: node server.mjs");
      expect(s.lines.join("")).toBe("");
    }
  });
});

describe("echo client", () => {
  it("says hello, prints the welcome and every reply, and exits 0", async () => {
    const s = server("--port", "0");
    const port = await s.port();
    const c = new Program(new URL("../client.mjs", import.meta.url), ["--port", String(port), "--count", "2"]);
    running.push(c);
    expect(await c.exit()).toBe(0);
    expect(c.lines).toEqual(
      expect.arrayContaining([
        "msgid 101: welcome! you online..",
        "msgid 1: hello lars!",
        "msgid 2: ping",
        "msgid 3: pid?",
        "msgid 10: message 1",
        "msgid 11: message 2",
      ]),
    );
    expect(await s.stop()).toBe(0);
  });

  it("exits 1 when nothing listens", async () => {
    const s = server("--port", "0");
    const port = await s.port();
    expect(await s.stop()).toBe(0); // the port is now closed
    const c = new Program(new URL("../client.mjs", import.meta.url), ["--port", String(port)]);
    running.push(c);
    expect(await c.exit()).toBe(1);
    expect(c.stderr).toMatch(/cannot connect/);
  });
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
