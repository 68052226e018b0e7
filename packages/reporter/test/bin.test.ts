import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { MsgId, ipToInt32, reportStatusRequestCodec } from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { openStore, storeModule } from "./store-helpers.js";

const BIN = fileURLToPath(new URL("../bin/lars-reporter.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lars-reporter-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("lars-reporter", () => {
  it("--help prints usage and exits 0", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Usage: lars-reporter/);
  });

  it("bad usage exits 2 with one line; a missing config exits 1", async () => {
    const bad = await run(["--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    const missing = await run(["--config", join(dir, "nope.conf")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/lars-reporter:/);
  });
});

describe("lars-reporter serving", () => {
  it("serves, stores a report, and on SIGTERM writes what is queued and exits 0", async () => {
    const conf = join(dir, "lars_reporter.conf");
    writeFileSync(conf, ["[reactor]", "ip = 127.0.0.1", "port = 0", "[repoter]", "db_thread_cnt = 1", "flush_interval_ms = 10000", "[store]", "type = sqlite", "path = bin.db", "[metrics]", "port = 0"].join("\n"));
    const child = spawn(process.execPath, [BIN, "--config", conf], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LARS_REPORTER_STORE_MODULE: storeModule } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const [line, metricsLine] = await new Promise<string[]>((resolve, reject) => {
      const lines: string[] = [];
      const rl = createInterface({ input: child.stdout });
      rl.on("line", (l) => {
        if (lines.push(l) === 2) resolve(lines);
      });
      child.once("close", () => reject(new Error(`exited early: ${stderr}`)));
    });
    const m = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line!);
    expect(m).not.toBeNull();
    const metricsUrl = /^metrics on (http:\/\/127\.0\.0\.1:\d+\/metrics)$/.exec(metricsLine!)?.[1];
    expect(metricsUrl).toBeDefined();
    const loop = new EventLoop();
    const c = new TcpClient(loop, { host: "127.0.0.1", port: Number(m![1]), reconnect: false });
    await c.ready();
    // the flush interval is 10 s: the row is still queued when SIGTERM comes, so shutdown must write it
    c.sendMessage(
      reportStatusRequestCodec.encode({ modid: 301, cmdid: 1, caller: ipToInt32("10.9.9.9"), ts: 42, results: [{ ip: ipToInt32("1.2.3.4"), port: 99, succ: 5, err: 6, overload: true }] }),
      MsgId.ReportStatusRequest,
    );
    // frames are handled in order: once the unknown msgid after it is reported, the report is queued
    c.sendMessage("", 9999);
    await waitForLog(() => stderr, /9999/);
    await loop.stop();
    expect(await (await fetch(metricsUrl!)).text()).toMatch(/^lars_reporter_reports 1$/m);
    const status = (await (await fetch(metricsUrl!.replace("/metrics", "/status"))).json()) as { service: string };
    expect(status.service).toBe("reporter");
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/repoter/);
    const store = await openStore({ type: "sqlite", path: join(dir, "bin.db") });
    try {
      expect(await store.listCallStatus({ modid: 301 })).toEqual([
        { modid: 301, cmdid: 1, ip: ipToInt32("1.2.3.4"), port: 99, caller: ipToInt32("10.9.9.9"), succCnt: 5, errCnt: 6, ts: 42, overload: true },
      ]);
    } finally {
      await store.close();
    }
  });
});

function waitForLog(get: () => string, re: RegExp): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (re.test(get())) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
}
