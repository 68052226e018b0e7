import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const BIN = fileURLToPath(new URL("../bin/lars.mjs", import.meta.url));

/** Runs `lars ARGS` to its end. */
export function run(args: string[], cwd?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"], ...(cwd === undefined ? {} : { cwd }), env: { ...process.env, INIT_CWD: cwd ?? process.cwd() } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Writes the four configs of a `lars up` folder with every port 0 (any free one: lars up hands the agent's actual UDP ports to its callers). */
export function writeTestConfigs(dir: string): void {
  const store = "[store]\ntype = sqlite\npath = lars.db\n";
  writeFileSync(join(dir, "dns.conf"), `[reactor]\nport = 0\n${store}[dns]\npoll_interval_ms = 200\n[metrics]\nport = 0\n`);
  writeFileSync(join(dir, "reporter.conf"), `[reactor]\nport = 0\n${store}[reporter]\nflush_interval_ms = 50\n[history]\nenabled = true\ninterval = 1\n[metrics]\nport = 0\n`);
  writeFileSync(join(dir, "agent.conf"), "[agent]\nport = 0\n[metrics]\nport = 0\n");
  writeFileSync(join(dir, "console.conf"), `[console]\nport = 0\npassword = test-password-123\n${store}`, { mode: 0o600 });
}
