// lars-dns with [reactor] threadNum = 2: the primary polls the database once and syncs its workers; every
// subscriber gets every push whichever worker holds it; a killed worker's replacement serves the current table.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { ipToInt32 } from "@lars/proto";
import { Agent, until } from "./helpers.js";
import { openStore } from "./store-available.js";

const BIN = fileURLToPath(new URL("../bin/lars-dns.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lars-dns-workers-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Pids of the live processes whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      // pid (comm) state ppid ...: comm may hold spaces, so read after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (Number(fields[1]) === pid && fields[0] !== "Z") out.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

const HOST_A = { ip: ipToInt32("10.1.0.1"), port: 8001 };
const HOST_B = { ip: ipToInt32("10.1.0.2"), port: 8002 };
const hostsOf = (r: { host: { ip: number; port: number }[] }): string => r.host.map((h) => `${h.ip}:${h.port}`).join(",");

describe.skipIf(openStore === undefined || process.platform !== "linux")("lars-dns with threadNum = 2 (workers)", () => {
  it("serves from every worker, pushes every change to every subscriber, replaces a killed worker with the current table, stops with exit 0", async () => {
    const conf = join(dir, "lars_dns.conf");
    writeFileSync(conf, "[reactor]\nip = 127.0.0.1\nport = 0\nthreadNum = 2\n[store]\ntype = sqlite\npath = workers.db\n[dns]\npoll_interval_ms = 100\n[metrics]\nport = 0\n");
    const store = await openStore!({ type: "sqlite", path: join(dir, "workers.db") });
    const admin = store as unknown as { addHost(modid: number, cmdid: number, host: { ip: number; port: number }): Promise<unknown>; removeHost(modid: number, cmdid: number, host: { ip: number; port: number }): Promise<unknown> };
    await admin.addHost(91001, 1, HOST_A);

    const child = spawn(process.execPath, [BIN, "--config", conf], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const agents: Agent[] = [];
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
      const workers = childrenOf(child.pid!);
      expect(workers).toHaveLength(2);

      // Six agents, spread round-robin over both workers: each first answer already has the table.
      for (let i = 0; i < 6; i++) {
        const agent = new Agent(port);
        agents.push(agent);
        await agent.connected;
        agent.query(91001, 1);
        expect(hostsOf(await agent.next((r) => r.modid === 91001))).toBe(`${HOST_A.ip}:${HOST_A.port}`);
      }

      // A change written by another process (this one): every subscriber gets the push.
      let marks = agents.map((a) => a.received.length);
      await admin.addHost(91001, 1, HOST_B);
      for (const [i, agent] of agents.entries()) {
        expect(hostsOf(await agent.next((r) => r.modid === 91001 && r.host.length === 2, marks[i]))).toBe(`${HOST_A.ip}:${HOST_A.port},${HOST_B.ip}:${HOST_B.port}`);
      }

      // Kill one worker: its agents lose their connection; a replacement boots with the current table.
      process.kill(workers[0]!, "SIGKILL");
      await until(() => agents.filter((a) => !a.isConnected).length >= 3, 10_000);
      const survivors = agents.filter((a) => a.isConnected);
      expect(survivors.length).toBe(3);
      // Wait until the replacement has booted and joined (the primary then counts two ready workers again).
      const statusOf = async (): Promise<{ stats: Record<string, unknown> }> => (await (await fetch(`${metricsUrl}/status`)).json()) as { stats: Record<string, unknown> };
      for (let i = 0; ; i++) {
        const s = await statusOf();
        const now = childrenOf(child.pid!);
        if (s.stats.workers === 2 && now.length === 2 && !now.includes(workers[0]!)) break;
        if (i > 300) throw new Error(`no replacement worker: ${JSON.stringify(s.stats)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      // New agents: round-robin gives each live worker some; all see both hosts at once.
      const fresh: Agent[] = [];
      for (let i = 0; i < 4; i++) {
        const agent = new Agent(port);
        agents.push(agent);
        fresh.push(agent);
        await agent.connected;
        agent.query(91001, 1);
        expect((await agent.next((r) => r.modid === 91001)).host).toHaveLength(2);
      }
      const live = [...survivors, ...fresh];
      marks = live.map((a) => a.received.length);
      await admin.removeHost(91001, 1, HOST_A);
      for (const [i, agent] of live.entries()) {
        expect(hostsOf(await agent.next((r) => r.modid === 91001 && r.host.length === 1, marks[i]))).toBe(`${HOST_B.ip}:${HOST_B.port}`);
      }

      const status = await statusOf();
      expect(status.stats).toMatchObject({ role: "primary", workers: 2, routes: 1, connections: 7, workerSyncFailures: 0 });
      // Two boot tables, the replacement's table, two patches.
      expect(status.stats.workerSyncs).toBeGreaterThanOrEqual(5);

      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(childrenOf(child.pid!)).toEqual([]);
    } finally {
      child.kill("SIGKILL");
      for (const a of agents) await a.close();
      await store.close();
    }
  }, 60_000);
});
