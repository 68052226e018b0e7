import { afterEach, vi } from "vitest";
import { EventLoop } from "../src/index.js";
import type { LoopResource } from "../src/index.js";

/** Loops created by a test; each is stopped after the test so no test leaks a handle. */
const loops: EventLoop[] = [];

/** A loop (delay monitor off unless asked) that is stopped after the current test. */
export function makeLoop(options: ConstructorParameters<typeof EventLoop>[0] = {}): EventLoop {
  const loop = new EventLoop({ monitorDelay: false, ...options });
  loops.push(loop);
  return loop;
}

/** Registers the after-each cleanup: real timers back, every loop of the test stopped. */
export function stopLoopsAfterEach(): void {
  afterEach(async () => {
    vi.useRealTimers();
    await Promise.all(loops.splice(0).map((l) => l.stop()));
  });
}

export function deferred(): { promise: Promise<void>; resolve: () => void; reject: (e: unknown) => void } {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolves after the loop's current task batch (a task added now runs in the next batch). */
export function afterBatch(loop: EventLoop): Promise<void> {
  return new Promise((resolve) => loop.addTask(resolve));
}

/** A resource recording its close calls into `log`; `gate` makes close wait until it resolves. */
export function resource(log: string[], name: string, gate?: Promise<void>): LoopResource & { deadlines: (number | undefined)[] } {
  const deadlines: (number | undefined)[] = [];
  return {
    deadlines,
    async close(deadlineMs?: number) {
      deadlines.push(deadlineMs);
      log.push(`close ${name}`);
      await gate;
      log.push(`closed ${name}`);
    },
  };
}
