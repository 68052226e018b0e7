import { describe, expect, it, vi } from "vitest";
import { afterBatch, makeLoop, stopLoopsAfterEach } from "../test/support.js";
import { EventLoop, InvalidArgumentError } from "./index.js";

stopLoopsAfterEach();

describe("tasks", () => {
  it("run in queue order, one batch per turn; a task queued by a task runs in the next batch", async () => {
    const loop = makeLoop();
    const order: string[] = [];
    loop.addTask(() => {
      order.push("a");
      loop.addTask(() => order.push("c"));
      // Microtasks run when the batch (one setImmediate callback) returns, before the next batch.
      queueMicrotask(() => order.push("between batches"));
    });
    loop.addTask(() => order.push("b"));
    expect(order).toEqual([]); // never synchronous
    await afterBatch(loop);
    await afterBatch(loop);
    expect(order).toEqual(["a", "b", "between batches", "c"]);
    expect(loop.stats().tasksRun).toBe(5);
  });

  it("use one setImmediate per batch, not per task", async () => {
    const loop = makeLoop();
    const spy = vi.spyOn(globalThis, "setImmediate");
    try {
      let n = 0;
      for (let i = 0; i < 1000; i++) loop.addTask(() => n++);
      expect(spy).toHaveBeenCalledTimes(1);
      expect(loop.stats().tasksPending).toBe(1000);
      await afterBatch(loop);
      expect(n).toBe(1000);
    } finally {
      spy.mockRestore();
    }
  });

  it("each batch is one immediate: one fake-timer step runs exactly one batch", () => {
    vi.useFakeTimers();
    const loop = makeLoop();
    const order: number[] = [];
    loop.addTask(() => {
      order.push(1);
      loop.addTask(() => order.push(3));
    });
    loop.addTask(() => order.push(2));
    vi.advanceTimersToNextTimer(); // exactly one immediate: the first batch
    expect(order).toEqual([1, 2]);
    expect(loop.stats().tasksPending).toBe(1);
    vi.advanceTimersToNextTimer();
    expect(order).toEqual([1, 2, 3]);
  });

  it("(fn, arg) form passes the argument", async () => {
    const loop = makeLoop();
    const seen: unknown[] = [];
    const record = (conn: { id: number }): void => void seen.push(conn.id);
    loop.addTask(record, { id: 7 });
    loop.addTask(record, { id: 8 });
    loop.addTask(() => seen.push("no-arg"));
    await afterBatch(loop);
    expect(seen).toEqual([7, 8, "no-arg"]);
  });

  it("a throwing task goes to onError and the rest of the batch still runs", async () => {
    const errors: [unknown, string][] = [];
    const loop = makeLoop({ onError: (err, source) => errors.push([err, source]) });
    const ran: number[] = [];
    const boom = new Error("boom");
    loop.addTask(() => ran.push(1));
    loop.addTask(() => {
      throw boom;
    });
    loop.addTask(() => ran.push(3));
    await afterBatch(loop);
    expect(ran).toEqual([1, 3]);
    expect(errors).toEqual([[boom, "task"]]);
    // The loop goes on.
    loop.addTask(() => ran.push(4));
    await afterBatch(loop);
    expect(ran).toEqual([1, 3, 4]);
  });

  it("without onError, errors go to logger.error", async () => {
    const logger = { error: vi.fn(), warn: vi.fn() };
    const loop = makeLoop({ logger });
    expect(loop.logger).toBe(logger);
    const boom = new Error("boom");
    loop.addTask(() => {
      throw boom;
    });
    await afterBatch(loop);
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.error.mock.calls[0]![0]).toEqual({ err: boom, source: "task" });
  });

  it("onError takes precedence over the logger", async () => {
    const logger = { error: vi.fn(), warn: vi.fn() };
    const onError = vi.fn();
    const loop = makeLoop({ logger, onError });
    loop.addTask(() => {
      throw new Error("x");
    });
    await afterBatch(loop);
    expect(onError).toHaveBeenCalledTimes(1);
    expect(logger.error).not.toHaveBeenCalled();
  });

  it("refuses a non-function with LARS_INVALID_ARGUMENT", () => {
    const loop = makeLoop();
    expect(() => loop.addTask(42 as unknown as () => void)).toThrow(InvalidArgumentError);
  });
});

describe("timers (fake timers)", () => {
  it("runAfter, runEvery and runAt fire in their time windows", () => {
    vi.useFakeTimers();
    const loop = makeLoop();
    const fired: string[] = [];
    loop.runAfter(100, () => fired.push("after"));
    const every = loop.runEvery(40, () => fired.push("every"));
    loop.runAt(new Date(Date.now() + 150), () => fired.push("at-date"));
    loop.runAt(Date.now() + 60, () => fired.push("at-ms"));
    loop.runAt(Date.now() - 1000, () => fired.push("at-past"));
    vi.advanceTimersByTime(0);
    expect(fired).toEqual(["at-past"]);
    vi.advanceTimersByTime(99);
    expect(fired).toEqual(["at-past", "every", "at-ms", "every"]);
    vi.advanceTimersByTime(1);
    expect(fired.at(-1)).toBe("after");
    vi.advanceTimersByTime(50);
    expect(fired.slice(5)).toEqual(["every", "at-date"]);
    expect(loop.stats()).toMatchObject({ timersPending: 1, timersFired: 7 });
    expect(every.cancel()).toBe(true);
    expect(loop.stats().timersPending).toBe(0);
  });

  it("equal due times fire in insertion order; cancel prevents firing", () => {
    vi.useFakeTimers();
    const loop = makeLoop();
    const fired: number[] = [];
    const handles = [1, 2, 3, 4, 5].map((i) => loop.runAfter(10, () => fired.push(i)));
    expect(handles[2]!.cancel()).toBe(true);
    expect(handles[2]!.active).toBe(false);
    expect(loop.stats().timersPending).toBe(4);
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([1, 2, 4, 5]);
    expect(handles[0]!.cancel()).toBe(false);
  });

  it("a throwing timer goes to onError(err, 'timer') and other due timers still fire", () => {
    vi.useFakeTimers();
    const onError = vi.fn();
    const loop = makeLoop({ onError });
    const fired: number[] = [];
    loop.runAfter(5, () => fired.push(1));
    const boom = new Error("tick");
    const p = loop.runEvery(5, () => {
      throw boom;
    });
    loop.runAfter(5, () => fired.push(3));
    vi.advanceTimersByTime(10);
    expect(fired).toEqual([1, 3]);
    expect(onError.mock.calls).toEqual([
      [boom, "timer"],
      [boom, "timer"],
    ]);
    expect(p.active).toBe(true); // a periodic timer that threw keeps running
  });

  it("refuses bad delays with LARS_INVALID_ARGUMENT naming the argument", () => {
    const loop = makeLoop();
    const fn = (): void => undefined;
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY, "5" as unknown as number]) {
      expect(() => loop.runAfter(bad, fn)).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT", field: "delayMs" }));
    }
    expect(() => loop.runEvery(0, fn)).toThrow(expect.objectContaining({ field: "intervalMs" }));
    expect(() => loop.runAt(new Date(Number.NaN), fn)).toThrow(expect.objectContaining({ field: "when" }));
    expect(() => loop.runAfter(1, null as unknown as () => void)).toThrow(expect.objectContaining({ field: "fn" }));
    expect(() => loop.stop(-5)).toThrow(expect.objectContaining({ field: "deadlineMs" }));
    expect(() => new EventLoop({ stopDeadlineMs: -1 })).toThrow(
      expect.objectContaining({ code: "LARS_INVALID_ARGUMENT", field: "options.stopDeadlineMs" }),
    );
    expect(() => new EventLoop({ onError: "x" as unknown as () => void })).toThrow(expect.objectContaining({ field: "options.onError" }));
    expect(() => new EventLoop({ logger: {} as never })).toThrow(expect.objectContaining({ field: "options.logger" }));
    expect(() => new EventLoop({ monitorDelay: 1 as unknown as boolean })).toThrow(expect.objectContaining({ field: "options.monitorDelay" }));
    expect(loop.stats().timersPending).toBe(0);
  });
});

describe("stats", () => {
  it("counts tasks, timers and resources", async () => {
    vi.useFakeTimers();
    const loop = makeLoop();
    loop.own({ close: () => undefined });
    loop.addTask(() => undefined);
    loop.addTask(() => undefined);
    loop.runAfter(5, () => undefined);
    loop.runEvery(5, () => undefined);
    expect(loop.stats()).toEqual({ tasksRun: 0, tasksPending: 2, timersPending: 2, timersFired: 0, ownedResources: 1, delay: null });
    await vi.advanceTimersByTimeAsync(10);
    expect(loop.stats()).toEqual({ tasksRun: 2, tasksPending: 0, timersPending: 1, timersFired: 3, ownedResources: 1, delay: null });
  });

  it("reports loop delay in ms when monitorDelay is on (the default), and stops monitoring on stop", async () => {
    const loop = makeLoop({ monitorDelay: true }); // the default, made explicit
    await vi.waitFor(() => expect(loop.stats().delay).not.toBeNull(), { timeout: 5000, interval: 5 });
    const d = loop.stats().delay!;
    expect(d.minMs).toBeGreaterThan(0);
    expect(d.minMs).toBeLessThanOrEqual(d.p50Ms);
    expect(d.p50Ms).toBeLessThanOrEqual(d.p99Ms);
    expect(d.p99Ms).toBeLessThanOrEqual(d.maxMs);
    // ms, not ns: the sampling resolution is 10 ms, so a sample is ~10 ms, far below 10^6.
    expect(d.minMs).toBeLessThan(10_000);
    expect(d.meanMs).toBeGreaterThanOrEqual(d.minMs);
    await loop.stop();
    expect(loop.stats().delay).not.toBeNull(); // last values stay readable
  });
});
