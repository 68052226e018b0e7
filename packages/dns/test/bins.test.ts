import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { MsgId } from "@lars/proto";
import { Agent } from "./helpers.js";
import { openStore } from "./store-available.js";

const BIN = fileURLToPath(new URL("../bin/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lars-dns-bins-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(bin: string, args: string[], timeoutMs = 15_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(BIN, `${bin}.mjs`), ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${bin} ${args.join(" ")} timed out: ${stderr}`));
    }, timeoutMs);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("bins without a store", () => {
  it("--help exits 0 with the usage", async () => {
    const dns = await run("lars-dns", ["--help"]);
    expect(dns.code).toBe(0);
    expect(dns.stdout).toContain("usage: lars-dns");
    const route = await run("lars-route", ["--help"]);
    expect(route.code).toBe(0);
    expect(route.stdout).toContain("lars-route add MODID CMDID IP PORT");
  });
  it("bad usage exits 2 with one stderr line", async () => {
    for (const args of [["add", "1", "x", "1.2.3.4", "80"], ["add", "1", "1", "1.2.3", "80"], ["frob"], [], ["list", "1"], ["--bogus"]]) {
      const r = await run("lars-route", args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr.trim().split("\n"), args.join(" ")).toHaveLength(1);
      expect(r.stderr).toMatch(/^lars-route: /);
    }
    const d = await run("lars-dns", ["--nope"]);
    expect(d.code).toBe(2);
  });
  it("lars-dns exits 1 with one clear line when the store cannot be opened", async () => {
    const conf = join(dir, "bad.conf");
    writeFileSync(conf, "[store]\ntype = mysql\n[mysql]\ndb_host = 127.0.0.1\ndb_port = 1\n");
    const r = await run("lars-dns", ["--config", conf]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/lars-dns: .*LARS_DNS_STORE_UNAVAILABLE/);
  });
});

describe.skipIf(openStore === undefined)("bins on a SQLite file (skipped while @lars/store has no openStore)", () => {
  it("lars-route add/list/del, lars-dns serves and pushes, SIGTERM → exit 0", async () => {
    const conf = join(dir, "lars_dns.conf");
    writeFileSync(conf, "[reactor]\nip = 127.0.0.1\nport = 0\n[store]\ntype = sqlite\npath = bins.db\n[dns]\npoll_interval_ms = 100\n[metrics]\nport = 0\n");
    const add = await run("lars-route", ["add", "90001", "1", "10.0.0.1", "8080", "--config", conf]);
    expect(add.code, add.stderr).toBe(0);
    const list = await run("lars-route", ["list", "90001", "1", "--config", conf]);
    expect(list.stdout.trim()).toBe("90001 1 10.0.0.1:8080");

    const child = spawn(process.execPath, [join(BIN, "lars-dns.mjs"), "--config", conf], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    try {
      const [port, metricsUrl] = await new Promise<[number, string]>((resolve, reject) => {
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
          out += d.toString();
          const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
          const h = /metrics on (http:\/\/127\.0\.0\.1:\d+)\/metrics\n/.exec(out);
          if (m && h) resolve([Number(m[1]), h[1]!]);
        });
        void exited.then((code) => reject(new Error(`lars-dns exited ${code}: ${stderr}`)));
      });
      const agent = new Agent(port);
      try {
        await agent.connected;
        agent.query(90001, 1);
        const first = await agent.next((r) => r.modid === 90001);
        expect(first.host).toHaveLength(1);
        const from = agent.received.length;
        const del = await run("lars-route", ["del", "90001", "1", "10.0.0.1", "8080", "--config", conf]);
        expect(del.code, del.stderr).toBe(0);
        const pushed = await agent.next((r) => r.modid === 90001 && r.host.length === 0, from);
        expect(pushed.host).toEqual([]);
        expect(MsgId.GetRouteResponse).toBe(2);

        const status = (await (await fetch(`${metricsUrl}/status`)).json()) as Record<string, unknown>;
        expect(status).toMatchObject({ service: "dns", version: "0.1.0", pid: child.pid, routes: 0, subscribers: 1, pushes: 1 });
        expect(status.routeVersion).toBeGreaterThanOrEqual(2);
        expect(status.stats).toMatchObject({ connections: 1, subscriptions: 1, queries: 1, pushes: 1 });
        expect((await fetch(`${metricsUrl}/healthz`)).status).toBe(200);
        const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
        expect(metrics).toMatch(/^lars_dns_pushes 1$/m);
        expect(metrics).toMatch(/^lars_dns_subscribers 1$/m);
      } finally {
        await agent.close();
      }
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
