import { describe, expect, it } from "vitest";
import { makeLoop, stopLoopsAfterEach } from "../test/support.js";
import type { LoopErrorSource } from "./index.js";

stopLoopsAfterEach();

/** An onError that resolves `next` once `count` errors arrived. */
function collector(count: number): { seen: [unknown, LoopErrorSource][]; done: Promise<void>; onError: (err: unknown, source: LoopErrorSource) => void } {
  const seen: [unknown, LoopErrorSource][] = [];
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return {
    seen,
    done,
    onError: (err, source) => {
      seen.push([err, source]);
      if (seen.length === count) resolve();
    },
  };
}

describe("issue 10 defect 1: async tasks and timers", () => {
  it("a rejecting async task is reported to onError like a throwing one (source task), and the batch goes on", async () => {
    const c = collector(2);
    const loop = makeLoop({ onError: c.onError });
    const ran: string[] = [];
    loop.addTask(async () => {
      await Promise.resolve();
      throw new Error("async task");
    });
    loop.addTask(() => {
      throw new Error("sync task");
    });
    loop.addTask(() => void ran.push("after"));
    await c.done;
    expect(ran).toEqual(["after"]);
    expect(c.seen.map(([e, s]) => [(e as Error).message, s]).sort()).toEqual([
      ["async task", "task"],
      ["sync task", "task"],
    ]);
  });

  it("the (fn, arg) form of an async task is reported too", async () => {
    const c = collector(1);
    const loop = makeLoop({ onError: c.onError });
    loop.addTask(async (n: number) => Promise.reject(new Error(`arg ${n}`)), 5);
    await c.done;
    expect((c.seen[0]![0] as Error).message).toBe("arg 5");
  });

  it("a rejecting async timer callback is reported with source timer; an interval keeps firing", async () => {
    const c = collector(2);
    const loop = makeLoop({ onError: c.onError });
    loop.runAfter(1, async () => Promise.reject(new Error("once")));
    let fired = 0;
    const every = loop.runEvery(1, async () => {
      await Promise.resolve();
      fired++;
      if (fired === 2) throw new Error("second tick");
    });
    await c.done;
    every.cancel();
    expect(c.seen.map(([e, s]) => [(e as Error).message, s]).sort()).toEqual([
      ["once", "timer"],
      ["second tick", "timer"],
    ]);
  });

  it("without onError the rejection goes to the logger", async () => {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const logged: string[] = [];
    const loop = makeLoop({
      logger: {
        error: (_obj, m = "") => {
          logged.push(m);
          resolve();
        },
        warn: () => {},
      },
    });
    loop.addTask(async () => Promise.reject(new Error("to logger")));
    await done;
    expect(logged).toEqual(["@lars/event-loop: a task threw"]);
  });
});
