import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "@lars/store";
import { BIN, run, writeTestConfigs } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "lars-cli-up-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("lars up", () => {
  it("--help exits 0; a bad --seconds exits 2", async () => {
    expect((await run(["up", "--help"])).stdout).toMatch(/usage: lars up/);
    const bad = await run(["up", "--seconds", "soon"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--seconds wants an integer/);
  });

  it("--demo: serves the console, steers around the failing backend, prints a summary and exits 0 after --seconds", async () => {
    const dir = join(root, "demo");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(dir);
    writeTestConfigs(dir);
    const child = spawn(process.execPath, [BIN, "up", "--dir", dir, "--demo", "--seconds", "6"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, "exit") as Promise<[number | null]>;
    const lines: string[] = [];
    let consoleUrl = "";
    for await (const line of createInterface({ input: child.stdout })) {
      lines.push(line);
      const m = /^console on (http:\/\/127\.0\.0\.1:\d+) /.exec(line);
      if (m) {
        consoleUrl = m[1] as string;
        const page = await fetch(consoleUrl);
        expect(page.status).toBeLessThan(500);
      }
    }
    const [code] = await exited;
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const out = lines.join("\n");
    expect(consoleUrl).not.toBe("");
    expect(out).toMatch(/^seeded routes 1:1, 2:1/m);
    expect(lines.filter((l) => /^\[\s*\d+s\] \d+ calls\/s/.test(l)).length).toBeGreaterThanOrEqual(4);
    expect(out).toMatch(/\| overload: .*127\.0\.0\.1:9103 \(1:1\)/);
    expect(out).toMatch(/^demo: \d+ calls in \d+ s/m);
    expect(out).toMatch(/^ {4}127\.0\.0\.1:9103 \(1:1\): in overload between/m);
    expect(out).toMatch(/^stopped; the state is in /m);

    // the reporter stored what the agent saw
    const store = await openStore({ type: "sqlite", path: join(dir, "lars.db") });
    try {
      const rows = await store.listCallStatus({ modid: 1, cmdid: 1 });
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.some((r) => r.port === 9103 && r.overload)).toBe(true);
    } finally {
      await store.close();
    }
  });
});
