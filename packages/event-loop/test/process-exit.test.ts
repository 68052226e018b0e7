import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

/** Longest a child may take to exit on its own before it is killed and the test fails. */
const EXIT_LIMIT_MS = 10_000;

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  killed: boolean;
  stdout: string;
  stderr: string;
}

/** Runs a fixture with plain node; resolves on the child's `exit` event, killing it after EXIT_LIMIT_MS. */
function runFixture(name: string, args: string[] = []): Promise<ChildResult> {
  const script = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, NODE_OPTIONS: "" },
    });
    let stdout = "";
    let stderr = "";
    let killed = false;
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const guard = setTimeout(() => {
      killed = true;
      child.kill("SIGKILL");
    }, EXIT_LIMIT_MS);
    child.on("error", (err) => {
      clearTimeout(guard);
      reject(err);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(guard);
      // Let the pipes deliver what is left.
      child.stdout.on("end", () => resolve({ code, signal, killed, stdout, stderr }));
      if (child.stdout.readableEnded) resolve({ code, signal, killed, stdout, stderr });
    });
  });
}

beforeAll(() => {
  const dist = fileURLToPath(new URL("../dist/index.js", import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} missing: the child-process tests run the built package; build first`);
});

describe("process exit (child processes)", () => {
  it("a process whose loop stopped exits by itself: no timer, immediate or monitor handle is left", async () => {
    const r = await runFixture("stop-exits.mjs");
    expect(r.killed, `child did not exit within ${EXIT_LIMIT_MS} ms; stderr: ${r.stderr}`).toBe(false);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as {
      ticks: number;
      stopped: boolean;
      stats: { timersPending: number; tasksPending: number; ownedResources: number };
      handles: string[];
    };
    expect(out.ticks).toBe(3);
    expect(out.stopped).toBe(true);
    expect(out.stats).toMatchObject({ timersPending: 0, tasksPending: 0, ownedResources: 0 });
    expect(out.handles).toEqual([]);
  });

  it("an idle loop that was never stopped does not keep the process alive", async () => {
    const r = await runFixture("idle-exits.mjs");
    expect(r.killed, `child did not exit within ${EXIT_LIMIT_MS} ms; stderr: ${r.stderr}`).toBe(false);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { stopped: boolean; stats: { timersPending: number; timersFired: number } };
    expect(out.stopped).toBe(false);
    expect(out.stats).toMatchObject({ timersPending: 0, timersFired: 1 });
  });

  it("default error handling: rethrown after the batch as uncaughtException; the batch and the loop go on", async () => {
    const r = await runFixture("rethrow.mjs", ["handled"]);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    const events = JSON.parse(r.stdout.trim()) as string[];
    const at = (e: string): number => {
      expect(events).toContain(e);
      return events.indexOf(e);
    };
    // The rest of the batch ran before the rethrow; the rethrow came before the next batch/turn.
    expect(events.slice(0, 3)).toEqual(["task 1", "task 3", "uncaught:task boom"]);
    // Timers: the error surfaced as an uncaughtException, and the loop went on to later timers.
    expect(at("uncaught:timer boom")).toBeGreaterThan(at("uncaught:task boom"));
    expect(at("timer 2")).toBeGreaterThan(at("uncaught:task boom"));
    expect(events.at(-1)).toBe("loop still runs");
    expect(events).toHaveLength(6);
  });

  it("default error handling without a handler crashes like any Node callback error", async () => {
    const r = await runFixture("rethrow.mjs", ["unhandled"]);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("task boom");
  });
});
