import { afterEach, describe, expect, it } from "vitest";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { encodeFrame } from "@lars/codec";
import { FrameServer, deadPort } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const CHILD = fileURLToPath(new URL("./fixtures/stop-child.mjs", import.meta.url));
const EXIT_WITHIN_MS = 10_000;

describe("loop.stop()", () => {
  it("closes every client it owns and leaves no handle: the child process exits by itself", async () => {
    // Echo only msgid 1; msgid 2 (the child's last request) is never answered.
    const server = await FrameServer.start({
      echo: false,
      onFrame: ({ socket, msgid, body }) => {
        if (msgid === 1) socket.write(encodeFrame(1, body));
      },
    });
    cleanup.push(() => server.close());
    const child = spawn(process.execPath, [CHILD, String(server.port), String(await deadPort())], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    let killed = false;
    const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const timer = setTimeout(() => {
        killed = true;
        child.kill("SIGKILL");
      }, EXIT_WITHIN_MS);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    });
    expect(killed, `child did not exit by itself within ${EXIT_WITHIN_MS} ms; stdout:\n${stdout}\nstderr:\n${stderr}`).toBe(false);
    expect(stderr).toBe("");
    expect(exit).toEqual({ code: 0, signal: null });
    const lines = stdout.trim().split("\n");
    expect(lines).toContain("reply ping");
    expect(lines).toContain("dropped 1 LARS_CLIENT_CLOSED");
    expect(lines).toContain("closed shutdown");
    expect(lines).toContain("request LARS_CONN_LOST");
    expect(lines).toContain("stopped closed closed");
    expect(lines).toContain("run resolved");
    expect(server.frames.map((f) => f.msgid)).toEqual([1, 2]);
  });
});
