import { describe, expect, it } from "vitest";
import { MainThreadStoreWriter } from "../src/index.js";
import { statusRow } from "./helpers.js";

interface FakeState {
  opens: number;
  failNext: number;
  rows: unknown[];
  closes: number;
  refuseOpen?: boolean;
}
const FAKE = new URL("./fake-store.mjs", import.meta.url).href;

describe("MainThreadStoreWriter (MySQL path)", () => {
  it("opens lazily, and after a failed write closes the store and reopens it on the next write", async () => {
    const g = globalThis as { fakeStore?: FakeState };
    g.fakeStore = { opens: 0, failNext: 0, rows: [], closes: 0, refuseOpen: true };
    const w = new MainThreadStoreWriter({ type: "mysql", url: "mysql://x@127.0.0.1/t" }, undefined, FAKE);
    expect(g.fakeStore.opens).toBe(0);
    await expect(w.write([statusRow(1)])).rejects.toThrow(/ECONNREFUSED/);
    g.fakeStore.refuseOpen = false;
    await w.write([statusRow(1)]);
    expect(g.fakeStore.opens).toBe(2);
    g.fakeStore.failNext = 1;
    await expect(w.write([statusRow(2)])).rejects.toThrow(/gone away/);
    await w.write([statusRow(3)]);
    expect(g.fakeStore.opens).toBe(3);
    expect(g.fakeStore.rows).toHaveLength(2);
    await w.close();
    expect(g.fakeStore.closes).toBe(2);
  });
});

describe("WorkerBatchWriter (SQLite path)", () => {
  it("writes each batch from a worker thread, not the reactor thread", async () => {
    const { mkdtempSync, readFileSync, rmSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const { WorkerBatchWriter } = await import("../src/index.js");
    const dir = mkdtempSync(join(tmpdir(), "lars-reporter-worker-"));
    const path = join(dir, "log.jsonl");
    const w = new WorkerBatchWriter({ store: { type: "sqlite", path }, storeModule: FAKE });
    try {
      await w.open();
      await w.write([statusRow(1), statusRow(2)]);
      await w.write([statusRow(3)]);
      const lines = readFileSync(path, "utf8").trim().split("\n").map((l) => JSON.parse(l) as { isMainThread: boolean; rows: number });
      expect(lines).toEqual([
        { isMainThread: false, rows: 2 },
        { isMainThread: false, rows: 1 },
      ]);
    } finally {
      await w.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
