import { BufLeakError, BufRevertError, BufTooLargeError, PoolExhaustedError } from "./errors.js";
import type { LeakReport } from "./errors.js";
import { IoBuf } from "./io-buf.js";

/** The Lars size classes, smallest first: 4K, 16K, 64K, 256K, 1M, 4M, 8M. */
export const SIZE_CLASSES: readonly number[] = Object.freeze([
  4 * 1024,
  16 * 1024,
  64 * 1024,
  256 * 1024,
  1024 * 1024,
  4 * 1024 * 1024,
  8 * 1024 * 1024,
]);

/** Default total cap of one pool: 512 MiB of buffers, leased plus kept free. */
export const DEFAULT_POOL_CAP_BYTES = 512 * 1024 * 1024;
/** Default bytes of returned buffers a pool keeps for reuse; the rest go to the GC. */
export const DEFAULT_POOL_MAX_FREE_BYTES = 64 * 1024 * 1024;

export interface BufPoolOptions {
  /** Total bytes the pool may hold, leased plus free. Default {@link DEFAULT_POOL_CAP_BYTES}. */
  capBytes?: number;
  /** Bytes of returned buffers kept for reuse. Default {@link DEFAULT_POOL_MAX_FREE_BYTES}. */
  maxFreeBytes?: number;
  /**
   * Checking mode for tests: remember where every lease was taken, so
   * {@link BufPool.leaks} and {@link BufPool.assertNoLeaks} can name buffers
   * never returned. Costs a stack capture per `alloc`; off by default.
   */
  track?: boolean;
}

/** Counts of one size class. */
export interface SizeClassStats {
  readonly size: number;
  /** Buffers of this class the pool holds (in use + free). */
  readonly allocated: number;
  readonly free: number;
  readonly inUse: number;
  /** `allocated * size`. */
  readonly bytes: number;
}

export interface BufPoolStats {
  readonly classes: readonly SizeClassStats[];
  /** Bytes of all buffers the pool holds. */
  readonly bytes: number;
  readonly inUseBytes: number;
  readonly capBytes: number;
}

/**
 * A pool of {@link IoBuf}s in the Lars size classes (C++ `buf_pool`).
 *
 * `alloc(n)` leases the smallest class that fits, reusing a returned buffer
 * when one is free; `revert(buf)` gives it back. The pool never holds more
 * than `capBytes`: past that, `alloc` throws {@link PoolExhaustedError}
 * (after first dropping free buffers of other classes to make room). A pool
 * is not shared between threads; each worker process has its own.
 */
export class BufPool {
  readonly capBytes: number;
  readonly maxFreeBytes: number;
  readonly tracking: boolean;

  private readonly free: IoBuf[][] = SIZE_CLASSES.map(() => []);
  private readonly allocated: number[] = SIZE_CLASSES.map(() => 0);
  private bytes = 0;
  private freeBytes = 0;
  private readonly leases: Map<IoBuf, string> | null;

  private static sharedPool: BufPool | undefined;

  constructor(options: BufPoolOptions = {}) {
    const cap = options.capBytes ?? DEFAULT_POOL_CAP_BYTES;
    const maxFree = options.maxFreeBytes ?? DEFAULT_POOL_MAX_FREE_BYTES;
    if (!Number.isSafeInteger(cap) || cap <= 0) throw new RangeError(`BufPool capBytes must be a positive integer, got ${cap}`);
    if (!Number.isSafeInteger(maxFree) || maxFree < 0) {
      throw new RangeError(`BufPool maxFreeBytes must be a non-negative integer, got ${maxFree}`);
    }
    this.capBytes = cap;
    this.maxFreeBytes = Math.min(maxFree, cap);
    this.tracking = options.track ?? false;
    this.leases = this.tracking ? new Map() : null;
  }

  /** The process-wide pool used when a component is given none. */
  static get shared(): BufPool {
    return (BufPool.sharedPool ??= new BufPool());
  }

  /** Index of the smallest size class holding `n` bytes, or -1 when none does. */
  static classIndex(n: number): number {
    for (let i = 0; i < SIZE_CLASSES.length; i++) if (n <= SIZE_CLASSES[i]!) return i;
    return -1;
  }

  /** The largest request `alloc` can serve. */
  static get largest(): number {
    return SIZE_CLASSES[SIZE_CLASSES.length - 1]!;
  }

  /**
   * Lease a buffer of at least `n` bytes (n >= 0), empty (head 0, length 0).
   * @throws BufTooLargeError when `n` is over 8 MiB.
   * @throws PoolExhaustedError when the pool cap would be passed.
   */
  alloc(n: number): IoBuf {
    const idx = BufPool.classIndex(n);
    if (idx < 0 || !(n >= 0)) throw new BufTooLargeError(n, BufPool.largest);
    const size = SIZE_CLASSES[idx]!;
    let buf = this.free[idx]!.pop();
    if (buf !== undefined) {
      this.freeBytes -= size;
    } else {
      if (this.bytes + size > this.capBytes) this.dropFree(this.bytes + size - this.capBytes);
      if (this.bytes + size > this.capBytes) {
        throw new PoolExhaustedError(size, this.bytes - this.freeBytes, this.capBytes);
      }
      buf = new IoBuf(size);
      buf.owner = this;
      this.allocated[idx]!++;
      this.bytes += size;
    }
    buf.leased = true;
    buf.head = 0;
    buf.length = 0;
    if (this.leases !== null) this.leases.set(buf, new Error("leased here").stack ?? "(no stack)");
    return buf;
  }

  /**
   * Give a leased buffer back. The caller must not touch it afterwards.
   * @throws BufRevertError `LARS_BUF_DOUBLE_REVERT` when it is not leased
   * (already reverted), `LARS_BUF_FOREIGN` when another pool owns it.
   */
  revert(buf: IoBuf): void {
    if (buf.owner !== this) {
      throw new BufRevertError("LARS_BUF_FOREIGN", `buffer of ${buf.capacity} bytes does not belong to this pool`);
    }
    if (!buf.leased) {
      throw new BufRevertError("LARS_BUF_DOUBLE_REVERT", `buffer of ${buf.capacity} bytes reverted twice`);
    }
    buf.leased = false;
    buf.head = 0;
    buf.length = 0;
    if (this.leases !== null) this.leases.delete(buf);
    const size = buf.capacity;
    const idx = BufPool.classIndex(size);
    if (this.freeBytes + size <= this.maxFreeBytes) {
      this.free[idx]!.push(buf);
      this.freeBytes += size;
    } else {
      // Forget it: the GC takes the memory, and the pool's count goes down. `owner`
      // stays, so a later revert of it still reports a double revert, not a foreign buffer.
      this.allocated[idx]!--;
      this.bytes -= size;
    }
  }

  /** Drop free buffers (largest classes first) until `need` bytes are released or none are left. */
  private dropFree(need: number): void {
    for (let i = SIZE_CLASSES.length - 1; i >= 0 && need > 0; i--) {
      const list = this.free[i]!;
      const size = SIZE_CLASSES[i]!;
      while (list.length > 0 && need > 0) {
        list.pop();
        this.allocated[i]!--;
        this.bytes -= size;
        this.freeBytes -= size;
        need -= size;
      }
    }
  }

  /** Release every free buffer to the GC. Leased buffers are untouched. */
  trim(): void {
    this.dropFree(Number.POSITIVE_INFINITY);
  }

  stats(): BufPoolStats {
    const classes = SIZE_CLASSES.map((size, i) => {
      const allocated = this.allocated[i]!;
      const free = this.free[i]!.length;
      return { size, allocated, free, inUse: allocated - free, bytes: allocated * size };
    });
    return { classes, bytes: this.bytes, inUseBytes: this.bytes - this.freeBytes, capBytes: this.capBytes };
  }

  /** Number of buffers currently leased. */
  get inUse(): number {
    let n = 0;
    for (let i = 0; i < SIZE_CLASSES.length; i++) n += this.allocated[i]! - this.free[i]!.length;
    return n;
  }

  /** Leases never returned, with the stack of each `alloc` (tracking pools only; else empty). */
  leaks(): LeakReport[] {
    if (this.leases === null) return [];
    return [...this.leases].map(([buf, stack]) => ({ capacity: buf.capacity, stack }));
  }

  /**
   * Throw {@link BufLeakError} when any buffer is still leased. On a pool
   * without tracking the error carries counts only (no stacks).
   */
  assertNoLeaks(): void {
    if (this.inUse === 0) return;
    const leaks = this.leases !== null ? this.leaks() : [{ capacity: 0, stack: `${this.inUse} leased (enable track for stacks)` }];
    throw new BufLeakError(leaks);
  }
}
