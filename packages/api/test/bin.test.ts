import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { host, system } from "./helpers.js";

const QPS = fileURLToPath(new URL("../dist/bin/lars-api-qps.js", import.meta.url));
const SIM = fileURLToPath(new URL("../dist/bin/lars-simulator.js", import.meta.url));

function run(bin: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("bins", () => {
  it("--help exits 0; bad usage exits 2 with one line", async () => {
    for (const [bin, name] of [[QPS, "lars-api-qps"], [SIM, "lars-simulator"]] as const) {
      const help = await run(bin, ["--help"]);
      expect(help.code).toBe(0);
      expect(help.stdout).toContain(`usage: ${name} `);
    }
    const bad = await run(SIM, ["--modid", "1"]);
    expect(bad).toMatchObject({ code: 2, stderr: "lars-simulator: --cmdid is required (see lars-simulator --help)\n" });
    expect((await run(SIM, ["1", "2", "11"])).code).toBe(2); // ERR_RATE is 0..10
    expect((await run(QPS, ["0"])).code).toBe(2);
    expect((await run(QPS, ["4", "--concurrency", "4"])).code).toBe(2);
    expect((await run(SIM, ["--modid", "1", "--cmdid", "1", "--fail-host", "10.0.0.1"])).code).toBe(2);
  });

  it("lars-api-qps N (the C++ form): N callers of getHost + report, a line each second, a summary with latency percentiles", async () => {
    const { ports, agent } = await system(new Map([["1:2", [host("10.0.0.1", 9000)]]]));
    const r = await run(QPS, ["4", "--modid", "1", "--cmdid", "2", "--seconds", "1.5", "--ports", ports.join(",")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[1s\] \d+ getHost\/s$/m);
    const m = /^summary: (\d+) getHost in [\d.]+ s = (\d+) getHost\/s \(ok (\d+), overload 0, noexist (\d+), system_error 0, timeouts 0; concurrency 4\)$/m.exec(r.stdout);
    expect(m).not.toBeNull();
    const [, total, , ok, noexist] = (m as RegExpExecArray).map(Number);
    expect(ok).toBeGreaterThan(100);
    expect(total).toBe((ok as number) + (noexist as number));
    expect(agent.stats.getHosts).toBe(total);
    await until(() => agent.stats.reports === ok); // the last reports may still be in flight when the bin exits
    expect(agent.stats.reports).toBe(ok);
    expect(r.stdout).toMatch(/^latency ms: p50 [\d.]+, p90 [\d.]+, p99 [\d.]+, max [\d.]+ \(\d+ samples\)$/m);
  });

  it("lars-simulator MODID CMDID ERR_RATE COUNT (the C++ form): COUNT calls, ERR_RATE/10 of them failing", async () => {
    const { ports, agent } = await system(new Map([["5:6", [host("10.0.0.1", 9000), host("10.0.0.2", 9000)]]]));
    const ok = await run(SIM, ["5", "6", "0", "50", "--ports", ports.join(",")]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^summary: 50 calls in /m);
    const fail = await run(SIM, ["5", "6", "10", "20", "--ports", ports.join(",")]);
    expect(fail.code).toBe(0);
    expect(fail.stdout).toMatch(/^10\.0\.0\.1:9000 +10 +50\.0% +0 +10 +fails 10\/10$/m);
    expect(fail.stdout).toMatch(/^summary: 20 calls in /m);
    await until(() => agent.stats.reports === 70);
    expect(agent.stats.reports).toBe(70);
  });

  it("lars-simulator steers traffic away from a --fail-host and prints each host's share", async () => {
    const { ports, agent } = await system(new Map([["3:4", [host("10.0.0.1", 9000), host("10.0.0.2", 9000)]]]));
    const r = await run(SIM, ["--modid", "3", "--cmdid", "4", "--seconds", "1.2", "--fail-host", "10.0.0.1:9000", "--ports", ports.join(",")]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[1s\] 10\.0\.0\.1:9000 [\d.]+%, 10\.0\.0\.2:9000 [\d.]+%$/m);
    const row = (ip: string) => {
      const m = new RegExp(`^${ip.replace(/\./g, "\\.")}:9000 +(\\d+) +([\\d.]+)% +(\\d+) +(\\d+) +(fails|ok)$`, "m").exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      const [, picks, share, succ, fail, sim] = m as RegExpExecArray;
      return { picks: Number(picks), share: Number(share), succ: Number(succ), fail: Number(fail), sim };
    };
    const bad = row("10.0.0.1");
    const good = row("10.0.0.2");
    expect(bad).toMatchObject({ succ: 0, sim: "fails" });
    expect(good).toMatchObject({ fail: 0, sim: "ok" });
    expect(bad.fail).toBe(bad.picks);
    // round-robin until its 15th failure overloads it, then only probed: 1 pick in probe_num + 1 = 11
    const total = bad.picks + good.picks;
    expect(bad.picks).toBeGreaterThanOrEqual(15);
    expect(bad.picks).toBeLessThanOrEqual(16 + Math.ceil(total / 11));
    expect(good.picks).toBeGreaterThan(total / 2);
    expect(r.stdout).toMatch(/^summary: \d+ calls in [\d.]+ s; overload 0, noexist \d+, system_error 0, timeouts 0$/m);
    expect(agent.snapshot().find((x) => x.modid === 3)?.hosts.find((h) => h.ip === "10.0.0.1")?.state).toBe("overload");
  });

  it("SIGTERM stops a long run early: summary printed, exit 0", async () => {
    const { ports } = await system(new Map([["1:1", [host("10.0.0.1", 9000)]]]));
    for (const bin of [QPS, SIM]) {
      const child = spawn(process.execPath, [bin, "--modid", "1", "--cmdid", "1", "--seconds", "600", "--ports", ports.join(",")], { stdio: ["ignore", "pipe", "pipe"] });
      const exited = once(child, "exit");
      const lines: string[] = [];
      for await (const line of createInterface({ input: child.stdout })) {
        lines.push(line);
        if (line.startsWith("[1s]")) child.kill("SIGTERM");
      }
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
      expect(lines.find((l) => l.startsWith("summary: "))).toMatch(/^summary: \d+ (getHost|calls) in /);
    }
  });
});

/** Waits (at most 2 s) for a condition about datagrams the agent (in this process) has yet to read. */
async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!cond() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
}
