import { describe, expect, it } from "vitest";
import { Flusher } from "../src/flusher.js";
import { ReportQueue } from "../src/report-queue.js";
import { FakeWriter, memoryLogger, statusRow } from "./helpers.js";

describe("Flusher", () => {
  it("writes full batches at once and the rest after the interval", async () => {
    const q = new ReportQueue(10_000);
    const w = new FakeWriter();
    const f = new Flusher(q, w, { batchSize: 100, flushIntervalMs: 20 });
    for (let i = 0; i < 250; i++) q.push(statusRow(i));
    f.notify();
    await w.waitRows(250);
    await f.idle();
    expect(w.batches).toEqual([100, 100, 50]);
    const s = f.stats();
    expect(s.stored).toBe(250);
    expect(s.batches).toMatchObject({ count: 3, max: 100, last: 50 });
    expect(s.storeLatencyMs.count).toBe(3);
    await f.drain();
  });

  it("during an outage keeps the queue bounded, counts and logs drops, and recovers", async () => {
    const q = new ReportQueue(50);
    const w = new FakeWriter();
    const logger = memoryLogger();
    const f = new Flusher(q, w, { batchSize: 20, flushIntervalMs: 5, retryInitialMs: 300, retryMaxMs: 300, logger });
    w.failing = true;
    for (let i = 0; i < 200; i++) {
      q.push(statusRow(i));
      f.notify();
    }
    await waitFor(() => f.stats().failures >= 1);
    // the failed batch went back: nothing in flight during the backoff
    expect(q.size).toBe(50);
    expect(q.stats().dropped).toBe(150);
    expect(f.stats().storeDown).toBe(true);
    expect(logger.entries.some((e) => e.msg?.includes("write failed"))).toBe(true);
    // newer snapshots of pending rows replace them; new keys are dropped
    for (let i = 0; i < 200; i++) q.push(statusRow(i, { succCnt: 999 }));
    expect(q.size).toBe(50);
    expect(q.stats()).toMatchObject({ coalesced: 50, dropped: 300 });
    w.failing = false;
    await w.waitRows(50);
    await f.idle();
    expect([...w.table.values()].every((r) => r.succCnt === 999)).toBe(true);
    expect(f.stats().storeDown).toBe(false);
    expect(f.stats().stored).toBe(50);
    await f.drain();
    expect(logger.entries.some((e) => e.msg?.includes("dropped") && (e.obj as { totalDropped?: number }).totalDropped === 300)).toBe(true);
  });

  it("drain writes what is queued, and gives up on a dead store", async () => {
    const q = new ReportQueue(100);
    const w = new FakeWriter();
    const f = new Flusher(q, w, { batchSize: 10, flushIntervalMs: 10_000 });
    for (let i = 0; i < 5; i++) q.push(statusRow(i));
    f.notify();
    expect(await f.drain()).toBe(0);
    expect(w.table.size).toBe(5);

    const q2 = new ReportQueue(100);
    const dead = new FakeWriter();
    dead.failing = true;
    const logger = memoryLogger();
    const f2 = new Flusher(q2, dead, { batchSize: 10, flushIntervalMs: 10_000, logger });
    for (let i = 0; i < 5; i++) q2.push(statusRow(i));
    expect(await f2.drain()).toBe(5);
    expect(f2.stats().lost).toBe(5);
    expect(logger.entries.some((e) => e.level === "error" && (e.obj as { lost?: number }).lost === 5)).toBe(true);
  });
});

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (cond()) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
}
