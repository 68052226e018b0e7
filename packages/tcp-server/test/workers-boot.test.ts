import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const FIXTURE = fileURLToPath(new URL("./fixtures/workers-cannot-boot.mjs", import.meta.url));

// Issue 10, defect 3: listen() never settled when workers could not boot.
describe("issue 10 defect 3: workers that cannot boot", () => {
  it("listen() rejects with WorkerBootError (LARS_WORKER_BOOT) and the primary exits by itself", async () => {
    const child = spawn(process.execPath, [FIXTURE], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | string>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve("timed out: listen() never settled");
      }, 15_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c ?? -1);
      });
    });
    expect(code, err).toBe(0);
    const line = JSON.parse(out.trim().split("\n").at(-1)!) as { event: string; code?: string; name?: string };
    expect(line).toMatchObject({ event: "listen-rejected", code: "LARS_WORKER_BOOT", name: "WorkerBootError" });
  });
});
