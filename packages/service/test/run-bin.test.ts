import { parseArgs } from "node:util";
import { describe, expect, it } from "vitest";
import { LarsError } from "@lars/iobuf";
import { BinUsageError, onShutdownSignals, runBin } from "../src/index.js";

function run(main: () => Promise<void>): Promise<{ code: number; line: string }> {
  return new Promise((resolve) => {
    let line = "";
    runBin(main, { name: "lars-x", exit: (code) => resolve({ code, line }), writeError: (l) => (line = l) });
  });
}

describe("runBin", () => {
  it("exits 2 with one line on a usage error, and on a parseArgs error", async () => {
    expect(await run(() => Promise.reject(new BinUsageError("MODID must be an integer")))).toEqual({ code: 2, line: "lars-x: MODID must be an integer (see lars-x --help)" });
    const parsed = await run(() => {
      parseArgs({ args: ["--bogus"], options: {}, strict: true });
      return Promise.resolve();
    });
    expect(parsed.code).toBe(2);
    expect(parsed.line).toContain("--bogus");
  });

  it("exits 1 naming the code on any other error", async () => {
    expect(await run(() => Promise.reject(new LarsError("LARS_STORE_UNAVAILABLE", "database down")))).toEqual({ code: 1, line: "lars-x: database down [LARS_STORE_UNAVAILABLE]" });
  });
});

describe("onShutdownSignals", () => {
  it("runs stop once on the first signal and exits 0; a second signal exits 1", async () => {
    const codes: number[] = [];
    let stops = 0;
    let release!: () => void;
    const stopped = new Promise<void>((r) => (release = r));
    const exited = new Promise<void>((resolve) => {
      const off = onShutdownSignals(
        async () => {
          stops++;
          await stopped;
        },
        { signals: ["SIGUSR2"], exit: (code) => { codes.push(code); if (codes.length === 2) { off(); resolve(); } } },
      );
    });
    process.emit("SIGUSR2", "SIGUSR2");
    process.emit("SIGUSR2", "SIGUSR2");
    release();
    await exited;
    expect(stops).toBe(1);
    expect(codes).toEqual([1, 0]);
  });

  it("exits 1 when stop rejects", async () => {
    const code = await new Promise<number>((resolve) => {
      const off = onShutdownSignals(() => Promise.reject(new Error("x")), { signals: ["SIGUSR2"], exit: (c) => { off(); resolve(c); } });
      process.emit("SIGUSR2", "SIGUSR2");
    });
    expect(code).toBe(1);
  });
});
