import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/stop-exits.mjs", import.meta.url));
const KILL_AFTER_MS = 10_000;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Run `node file`; resolve on its 'exit'. If it has not exited by itself after 10 s, kill it (and say so). */
function runNode(file: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, KILL_AFTER_MS);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      // Let the pipes drain: 'close' follows 'exit' once stdout/stderr ended.
      child.on("close", () => resolve({ code, signal, killed, stdout, stderr }));
    });
  });
}

describe("loop.stop() leaves no handles", () => {
  it(
    "a process that served a connection and stopped its loop exits by itself with code 0",
    async () => {
      const result = await runNode(FIXTURE);
      expect(result.killed, `the child was still alive after ${KILL_AFTER_MS} ms: something kept it running`).toBe(false);
      expect(result.stderr).toBe("");
      expect(result.signal).toBeNull();
      expect(result.code).toBe(0);
      const report = JSON.parse(result.stdout.trim()) as Record<string, unknown>;
      expect(report).toEqual({
        reply: { msgid: 1, body: "ping" },
        stopped: true,
        connections: 0,
        timers: 0,
        closes: ["shutdown"],
      });
    },
    KILL_AFTER_MS + 5000,
  );
});
