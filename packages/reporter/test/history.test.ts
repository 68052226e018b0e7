import { describe, expect, it } from "vitest";
import { HistoryRecorder } from "../src/history-recorder.js";
import { FakeWriter } from "./helpers.js";

describe("HistoryRecorder", () => {
  it("sums a window per host over agents, writes it with the window start, prunes by retention", async () => {
    const writer = new FakeWriter();
    const pruned: number[] = [];
    writer.pruneHistory = (olderThan: number) => {
      pruned.push(olderThan);
      return Promise.resolve();
    };
    let now = 1_000_005;
    const h = new HistoryRecorder(writer, { intervalSec: 10, retentionSec: 100, cap: 2, now: () => now });
    h.add(1, 1, 5, 80, 10, 1, false);
    h.add(1, 1, 5, 80, 4, 2, true);
    h.add(1, 1, 6, 80, 1, 0, false);
    h.add(1, 1, 7, 80, 1, 0, false); // past the cap
    now = 1_000_012;
    await h.flushWindow();
    expect(writer.history).toEqual([
      { modid: 1, cmdid: 1, ip: 5, port: 80, windowStart: 1_000_000, succ: 14, err: 3, overload: true },
      { modid: 1, cmdid: 1, ip: 6, port: 80, windowStart: 1_000_000, succ: 1, err: 0, overload: false },
    ]);
    expect(pruned).toEqual([1_000_012 - 100]);
    h.add(1, 1, 5, 80, 1, 1, false);
    await h.stop();
    expect(writer.history[2]).toMatchObject({ windowStart: 1_000_010, succ: 1 });
    expect(h.stats()).toEqual({ windows: 2, rowsWritten: 3, dropped: 1, failures: 0 });
  });
});
