import { describe, expect, it, vi } from "vitest";
import { afterBatch, deferred, makeLoop, resource, stopLoopsAfterEach } from "../test/support.js";
import { CloseTimeoutError, DEFAULT_STOP_GRACE_MS, LoopStoppedError } from "./index.js";

stopLoopsAfterEach();

describe("ownership and stop", () => {
  it("stop is idempotent, closes owned resources concurrently with the deadline, and resolves run()", async () => {
    const loop = makeLoop();
    const log: string[] = [];
    const gateA = deferred();
    const a = loop.own(resource(log, "a", gateA.promise));
    const b = loop.own(resource(log, "b"));
    expect(loop.own(b)).toBe(b); // idempotent
    expect(loop.stats().ownedResources).toBe(2);
    let runResolved = false;
    void loop.run().then(() => (runResolved = true));

    const p1 = loop.stop(1234);
    const p2 = loop.stop();
    expect(p2).toBe(p1);
    expect(loop.stopping).toBe(true);
    expect(loop.stopped).toBe(false);
    // Both closes started before either finished: concurrent.
    expect(log.slice(0, 2).sort()).toEqual(["close a", "close b"]);
    await afterBatch(loop); // tasks still run while stopping
    expect(runResolved).toBe(false);
    gateA.resolve();
    await p1;
    expect(a.deadlines).toEqual([1234]);
    expect(b.deadlines).toEqual([1234]);
    expect(loop.stopped).toBe(true);
    await loop.run();
    expect(runResolved).toBe(true);
    expect(loop.stop()).toBe(p1);
    expect(loop.stats().ownedResources).toBe(0);
  });

  it("uses options.stopDeadlineMs by default; disowned resources are not closed", async () => {
    const loop = makeLoop({ stopDeadlineMs: 42 });
    const log: string[] = [];
    const a = loop.own(resource(log, "a"));
    const gone = loop.own(resource(log, "gone"));
    loop.disown(gone);
    loop.disown(gone); // no-op
    await loop.stop();
    expect(a.deadlines).toEqual([42]);
    expect(gone.deadlines).toEqual([]);
  });

  it("a close that rejects or throws is reported (source 'task'), not propagated; the others still close", async () => {
    const onError = vi.fn();
    const loop = makeLoop({ onError });
    const log: string[] = [];
    const rejected = new Error("reject");
    const thrown = new Error("throw");
    loop.own({ close: () => Promise.reject(rejected) });
    loop.own({
      close: () => {
        throw thrown;
      },
    });
    const ok = loop.own(resource(log, "ok"));
    await expect(loop.stop(10)).resolves.toBeUndefined();
    expect(ok.deadlines).toEqual([10]);
    expect(onError).toHaveBeenCalledWith(rejected, "task");
    expect(onError).toHaveBeenCalledWith(thrown, "task");
  });

  it("a close that never settles is reported as CloseTimeoutError after deadline + grace, and stop still resolves", async () => {
    vi.useFakeTimers();
    const onError = vi.fn();
    const loop = makeLoop({ onError });
    loop.own({ close: () => new Promise<void>(() => undefined) });
    let done = false;
    void loop.stop(100).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(100 + DEFAULT_STOP_GRACE_MS - 1);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(done).toBe(true);
    expect(onError).toHaveBeenCalledWith(expect.any(CloseTimeoutError), "task");
    expect(onError.mock.calls[0]![0]).toMatchObject({ code: "LARS_CLOSE_TIMEOUT", deadlineMs: 100 });
    expect(loop.stats().ownedResources).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("stop cancels timers; while stopping tasks and timers are accepted; once stopped they throw LARS_LOOP_STOPPED", async () => {
    const loop = makeLoop();
    const fired: string[] = [];
    const t = loop.runAfter(10, () => fired.push("timer"));
    const p = loop.runEvery(5, () => fired.push("periodic"));
    const gate = deferred();
    loop.own({
      close: async () => {
        // A closing resource may still use the loop.
        loop.addTask(() => fired.push("task while stopping"));
        loop.runAfter(0, () => gate.resolve());
        await gate.promise;
      },
    });
    const late = resource([], "late");
    const stopped = loop.stop();
    expect(t.active).toBe(false);
    expect(p.active).toBe(false);
    expect(t.cancel()).toBe(false);
    loop.own(late); // owned while stopping: closed at once, and awaited
    expect(late.deadlines.length).toBe(1);
    await stopped;
    expect(fired).toEqual(["task while stopping"]);
    expect(loop.stats()).toMatchObject({ timersPending: 0, tasksPending: 0, ownedResources: 0 });
    const fn = (): void => undefined;
    expect(() => loop.addTask(fn)).toThrow(LoopStoppedError);
    expect(() => loop.runAfter(1, fn)).toThrow(expect.objectContaining({ code: "LARS_LOOP_STOPPED", operation: "runAfter" }));
    expect(() => loop.runEvery(1, fn)).toThrow(LoopStoppedError);
    expect(() => loop.runAt(Date.now(), fn)).toThrow(LoopStoppedError);
    expect(() => loop.own(resource([], "x"))).toThrow(LoopStoppedError);
  });

  it("tasks queued before stopped still run before stop resolves; tasks they queue are refused and reported", async () => {
    const onError = vi.fn();
    const loop = makeLoop({ onError });
    const ran: string[] = [];
    const gate = deferred();
    loop.own({ close: () => gate.promise });
    const stopped = loop.stop();
    gate.resolve();
    // Queued while stopping; the stop completes (microtasks) before this batch runs.
    loop.addTask(() => {
      ran.push(`stopped=${String(loop.stopped)}`);
      loop.addTask(() => ran.push("never"));
    });
    await stopped;
    expect(ran).toEqual(["stopped=true"]);
    expect(onError).toHaveBeenCalledWith(expect.any(LoopStoppedError), "task");
  });

  it("stop from inside a timer callback cancels the rest", async () => {
    vi.useFakeTimers();
    const loop = makeLoop();
    const fired: number[] = [];
    let stopped: Promise<void> | undefined;
    loop.runAfter(5, () => {
      fired.push(1);
      stopped = loop.stop();
    });
    loop.runAfter(5, () => fired.push(2));
    loop.runEvery(1, () => fired.push(3));
    await vi.advanceTimersByTimeAsync(5);
    expect(fired).toEqual([3, 3, 3, 3, 1]);
    await vi.runAllTimersAsync();
    await stopped;
    expect(loop.stopped).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
  });
});

