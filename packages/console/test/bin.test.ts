import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "@lars/store";
import { login, PASSWORD, post } from "./helpers.js";

const BIN = fileURLToPath(new URL("../bin/lars-console.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lars-console-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("lars-console", () => {
  it("--help prints usage and exits 0; bad usage exits 2; no password exits 1 with one line", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/Usage: lars-console --config FILE/);
    const bad = await run(["--bogus"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split("\n")).toHaveLength(1);
    expect((await run([])).code).toBe(2);
    const conf = join(dir, "nopw.conf");
    writeFileSync(conf, "[console]\nport = 0\n");
    const nopw = await run(["--config", conf]);
    expect(nopw.code).toBe(1);
    expect(nopw.stderr.trim()).toMatch(/^lars-console: .*needs password or token \[LARS_CONSOLE_CONFIG\]$/);
  });

  it("serves on 127.0.0.1, writes through to the store, never prints the password, exits 0 on SIGTERM", async () => {
    const conf = join(dir, "console.conf");
    writeFileSync(conf, `[console]\nport = 0\npassword = ${PASSWORD}\nservices =\n[store]\ntype = sqlite\npath = bin.db\n`, { mode: 0o600 });
    const child = spawn(process.execPath, [BIN, "--config", conf], { stdio: ["ignore", "pipe", "pipe"], cwd: dir, env: { ...process.env, LARS_LOG_LEVEL: "info" } });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
    const line = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child.stdout }).once("line", resolve);
      child.once("close", () => reject(new Error(`exited early: ${stderr}`)));
    });
    const url = /^console on (http:\/\/127\.0\.0\.1:\d+)$/.exec(line)?.[1];
    expect(url, line).toBeDefined();
    const s = await login(url!);
    expect((await post(url!, "/login", { secret: "wrong" })).status).toBe(401);
    expect((await post(url!, "/routes/add-host", { modid: "9", cmdid: "9", ip: "10.1.1.1", port: "9", csrf: s.csrf }, s.cookie)).status).toBe(303);
    child.kill("SIGTERM");
    expect(await exited).toBe(0);
    expect(stderr).toMatch(/login failed/);
    expect(stderr).not.toContain(PASSWORD);
    expect(stderr).not.toContain(s.cookie.split("=")[1]);
    const store = await openStore({ type: "sqlite", path: join(dir, "bin.db") });
    try {
      expect(await store.listRoutes()).toEqual([{ modid: 9, cmdid: 9, hosts: [{ ip: 167837953, port: 9 }] }]);
    } finally {
      await store.close();
    }
  });
});
