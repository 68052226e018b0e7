/**
 * A scheduled timer. Returned by `runAfter`, `runEvery` and `runAt`.
 */
export interface TimerHandle {
  /**
   * Cancels the timer. Returns true if it was pending and will now never
   * fire (again); false if it had already fired (one-shot), was cancelled,
   * or was cancelled by `stop()`. Idempotent; allowed anywhere, also from
   * inside its own callback (a periodic timer then stops repeating). O(log n).
   */
  cancel(): boolean;
  /**
   * True while the timer is pending: until a one-shot timer starts firing
   * (false inside its own callback), until a periodic timer is cancelled
   * (true inside its own callback).
   */
  readonly active: boolean;
}

/** Node clamps `setTimeout` delays above this (2^31 - 1 ms) to 1 ms; we re-arm in steps instead. */
const TIMEOUT_MAX_MS = 2 ** 31 - 1;

/** Monotonic ms. Looked up at call time so test fake timers apply. */
const monotonicNow = (): number => performance.now();

class Timer implements TimerHandle {
  /** Due time on the queue's clock, ms. */
  due: number;
  /** Insertion order; breaks ties between equal due times. */
  seq: number;
  /** Heap slot, -1 when not queued. */
  index = -1;
  constructor(
    readonly queue: TimerQueue,
    due: number,
    seq: number,
    readonly intervalMs: number,
    readonly fn: () => unknown,
  ) {
    this.due = due;
    this.seq = seq;
  }
  cancel(): boolean {
    return this.queue.remove(this);
  }
  get active(): boolean {
    return this.index >= 0;
  }
}

function before(a: Timer, b: Timer): boolean {
  return a.due < b.due || (a.due === b.due && a.seq < b.seq);
}

/**
 * All timers of one loop: a binary min-heap keyed by (due time, insertion
 * order), driven by ONE Node `setTimeout` armed for the earliest due time.
 * Ten thousand timers cost one Node timer; with no timer pending the queue
 * holds no Node handle at all.
 *
 * A drain fires, in due-time order, every timer due at the moment the Node
 * timer fired and queued before the drain began; a timer queued by a
 * callback fires in a later drain even when already due (no starvation).
 * A periodic timer is re-queued at its previous due time + interval before
 * its callback runs, so it does not drift; when the loop fell behind by more
 * than one interval it skips to the next slot in the future instead of
 * firing a burst. A throwing callback goes to `report`; the drain goes on.
 */
export class TimerQueue {
  readonly #heap: Timer[] = [];
  #seq = 0;
  #node: NodeJS.Timeout | null = null;
  /** Clock time the Node timer is armed for; meaningful only when #node is set. */
  #armedAt = 0;
  #draining = false;
  #fired = 0;
  readonly #report: (err: unknown) => void;
  readonly #now: () => number;

  /** `now` is the clock of due times, in ms; monotonic `performance.now()` by default. */
  constructor(report: (err: unknown) => void, now: () => number = monotonicNow) {
    this.#report = report;
    this.#now = now;
  }

  /** Current time on the queue's clock, in ms. */
  now(): number {
    return this.#now();
  }

  /** Pending timers (a periodic timer counts once). Exact: cancellation removes at once. */
  get size(): number {
    return this.#heap.length;
  }

  /** Callbacks started so far (each firing of a periodic timer counts). */
  get fired(): number {
    return this.#fired;
  }

  /**
   * Queues `fn` to fire `delayMs` from now (due time rounded up to a whole
   * ms of the clock), then every `intervalMs` after that due time if
   * `intervalMs > 0`. Arguments must already be validated. O(log n).
   */
  schedule(delayMs: number, intervalMs: number, fn: () => unknown): TimerHandle {
    // Due times are whole ms, rounded up (never early): like Node's own ms
    // timers, equal delays queued in the same turn share a due time and a drain.
    const timer = new Timer(this, Math.ceil(this.#now() + delayMs), this.#seq++, intervalMs, fn);
    this.#insert(timer);
    if (!this.#draining && timer.index === 0) this.#arm();
    return timer;
  }

  /** Removes `timer` if queued here; true if it was. O(log n). */
  remove(timer: Timer): boolean {
    const i = timer.index;
    if (i < 0 || timer.queue !== this) return false;
    const last = this.#heap.pop()!;
    timer.index = -1;
    if (last !== timer) {
      this.#heap[i] = last;
      last.index = i;
      this.#siftUp(i);
      this.#siftDown(last.index);
    }
    // Keep an early Node timer (it re-arms when it fires), but hold no handle when empty.
    if (this.#heap.length === 0 && !this.#draining) this.#disarm();
    return true;
  }

  /** Cancels every timer and releases the Node timer. Idempotent. */
  clear(): void {
    for (const t of this.#heap) t.index = -1;
    this.#heap.length = 0;
    this.#disarm();
  }

  #arm(): void {
    const top = this.#heap[0];
    if (top === undefined) {
      this.#disarm();
      return;
    }
    if (this.#node !== null && this.#armedAt <= top.due) return;
    if (this.#node !== null) clearTimeout(this.#node);
    const now = this.#now();
    // Whole ms, rounded up: a timer never fires before its due time, and an
    // early wake-up re-arms with at least 1 ms (no spin on sub-ms remainders).
    const delay = Math.min(Math.max(Math.ceil(top.due - now), 0), TIMEOUT_MAX_MS);
    this.#armedAt = now + delay;
    this.#node = setTimeout(this.#onTimeout, delay);
  }

  #disarm(): void {
    if (this.#node !== null) {
      clearTimeout(this.#node);
      this.#node = null;
    }
  }

  readonly #onTimeout = (): void => {
    this.#node = null;
    const now = this.#now();
    const firstNewSeq = this.#seq;
    const heap = this.#heap;
    this.#draining = true;
    try {
      for (let top = heap[0]; top !== undefined && top.due <= now && top.seq < firstNewSeq; top = heap[0]) {
        this.#popTop();
        if (top.intervalMs > 0) {
          top.due = nextSlot(top.due, top.intervalMs, now);
          top.seq = this.#seq++;
          this.#insert(top);
        }
        this.#fired++;
        try {
          const result = top.fn() as PromiseLike<unknown> | undefined;
          if (result !== undefined && result !== null && typeof result.then === "function") result.then(undefined, this.#report);
        } catch (err) {
          this.#report(err);
        }
      }
    } finally {
      this.#draining = false;
      this.#arm();
    }
  };

  #insert(t: Timer): void {
    t.index = this.#heap.length;
    this.#heap.push(t);
    this.#siftUp(t.index);
  }

  #popTop(): void {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    top.index = -1;
    if (last !== top) {
      heap[0] = last;
      last.index = 0;
      this.#siftDown(0);
    }
  }

  #siftUp(i: number): void {
    const heap = this.#heap;
    const t = heap[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = heap[p]!;
      if (!before(t, parent)) break;
      heap[i] = parent;
      parent.index = i;
      i = p;
    }
    heap[i] = t;
    t.index = i;
  }

  #siftDown(i: number): void {
    const heap = this.#heap;
    const n = heap.length;
    const t = heap[i]!;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      let child = heap[l]!;
      if (r < n && before(heap[r]!, child)) {
        c = r;
        child = heap[r]!;
      }
      if (!before(child, t)) break;
      heap[i] = child;
      child.index = i;
      i = c;
    }
    heap[i] = t;
    t.index = i;
  }
}

/** The first slot `due + k * interval` (k >= 1) strictly after `now`. */
function nextSlot(due: number, interval: number, now: number): number {
  let next = due + interval;
  if (next <= now) next = due + interval * (Math.floor((now - due) / interval) + 1);
  while (next <= now) next += interval; // float rounding guard
  return next;
}
