import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/workers-slow-close.mjs", import.meta.url));

interface Line {
  event: string;
  role: string;
  pid: number;
}

/** Run the fixture; resolve with its exit code and its (and its workers') stdout lines once every writer closed it. */
function runFixture(): Promise<{ code: number | string; lines: Line[]; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    let code: number | string = "running";
    const timer = setTimeout(() => {
      code = "killed: the server did not stop within 15 s";
      child.kill("SIGKILL");
    }, 15_000);
    child.once("exit", (c, signal) => {
      clearTimeout(timer);
      if (code === "running") code = c ?? String(signal);
    });
    // 'close': the primary and both workers (which share its stdout) are gone.
    child.once("close", () => {
      const lines = out
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Line);
      resolve({ code, lines, stderr });
    });
  });
}

describe("a worker's graceful stop runs to the end", () => {
  // Issue 10: ClusterWorker.detach() called process.disconnect() while the loop was still stopping,
  // and node:cluster then exits the worker at once (exitedAfterDisconnect not set): its other
  // resources never finished closing and nothing after `await loop.run()` ran.
  it("issue 10: in each worker, a slow async close of another loop resource completes and code after `await loop.run()` runs", async () => {
    const { code, lines, stderr } = await runFixture();
    expect(code, stderr).toBe(0);
    const primary = lines.find((l) => l.event === "listening")!;
    expect(primary).toBeDefined();
    expect(lines.filter((l) => l.role === "primary").map((l) => l.event)).toEqual(["listening", "stopped", "after-run"]);
    const workers = lines.filter((l) => l.role === "worker");
    const pids = [...new Set(workers.map((l) => l.pid))];
    expect(pids, `worker lines: ${JSON.stringify(workers)}`).toHaveLength(2);
    for (const pid of pids) {
      // In this order: the slow close finished, then loop.run() resolved.
      expect(workers.filter((l) => l.pid === pid).map((l) => l.event)).toEqual(["slow-closed", "after-run"]);
    }
    expect(pids).not.toContain(primary.pid);
  }, 30_000);
});
