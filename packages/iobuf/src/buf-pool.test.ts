import { describe, expect, it } from "vitest";
import { BufPool, DEFAULT_POOL_CAP_BYTES, DEFAULT_POOL_MAX_FREE_BYTES, SIZE_CLASSES } from "./buf-pool.js";
import { BufLeakError, BufRevertError, BufTooLargeError, PoolExhaustedError } from "./errors.js";
import { IoBuf } from "./io-buf.js";
import { LarsError } from "./lars-error.js";

const K = 1024;
const M = 1024 * K;

/** Run `op` and return what it threw (fails the test when it does not throw). */
function thrown(op: () => unknown): unknown {
  try {
    op();
  } catch (err) {
    return err;
  }
  expect.fail("expected the operation to throw");
}

function classStats(pool: BufPool, size: number) {
  const c = pool.stats().classes.find((s) => s.size === size);
  if (c === undefined) throw new Error(`no class ${size}`);
  return c;
}

describe("size classes", () => {
  it("are the Lars classes 4K..8M, frozen", () => {
    expect(SIZE_CLASSES).toEqual([4 * K, 16 * K, 64 * K, 256 * K, 1 * M, 4 * M, 8 * M]);
    expect(Object.isFrozen(SIZE_CLASSES)).toBe(true);
    expect(BufPool.largest).toBe(8 * M);
  });

  it("classIndex gives the smallest class that holds n, or -1", () => {
    expect(BufPool.classIndex(0)).toBe(0);
    expect(BufPool.classIndex(4 * K)).toBe(0);
    expect(BufPool.classIndex(4 * K + 1)).toBe(1);
    expect(BufPool.classIndex(8 * M)).toBe(6);
    expect(BufPool.classIndex(8 * M + 1)).toBe(-1);
  });
});

describe("BufPool construction", () => {
  it("uses the documented defaults", () => {
    const pool = new BufPool();
    expect(pool.capBytes).toBe(DEFAULT_POOL_CAP_BYTES);
    expect(pool.maxFreeBytes).toBe(DEFAULT_POOL_MAX_FREE_BYTES);
    expect(pool.tracking).toBe(false);
    expect(pool.inUse).toBe(0);
    expect(pool.stats().bytes).toBe(0);
  });

  it("refuses a bad capBytes or maxFreeBytes, naming the field", () => {
    expect(() => new BufPool({ capBytes: 0 })).toThrow(/capBytes/);
    expect(() => new BufPool({ capBytes: 1.5 })).toThrow(RangeError);
    expect(() => new BufPool({ maxFreeBytes: -1 })).toThrow(/maxFreeBytes/);
  });

  it("never keeps more free bytes than the cap", () => {
    expect(new BufPool({ capBytes: 64 * K, maxFreeBytes: M }).maxFreeBytes).toBe(64 * K);
  });
});

describe("BufPool.alloc", () => {
  it.each([
    [0, 4 * K],
    [1, 4 * K],
    [4096, 4 * K],
    [4097, 16 * K],
    [16 * K, 16 * K],
    [16 * K + 1, 64 * K],
    [300 * K, 1 * M],
    [8 * M, 8 * M],
  ])("alloc(%i) leases the smallest class that fits: %i bytes", (n, size) => {
    const pool = new BufPool();
    const buf = pool.alloc(n);
    expect(buf.capacity).toBe(size);
    expect(buf.head).toBe(0);
    expect(buf.length).toBe(0);
    expect(buf.owner).toBe(pool);
    expect(buf.leased).toBe(true);
    expect(classStats(pool, size)).toMatchObject({ allocated: 1, inUse: 1, free: 0, bytes: size });
    pool.revert(buf);
  });

  it("alloc(8M + 1) throws BufTooLargeError (LARS_BUF_TOO_LARGE) and allocates nothing", () => {
    const pool = new BufPool();
    const err = thrown(() => pool.alloc(8 * M + 1));
    expect(err).toBeInstanceOf(BufTooLargeError);
    expect(err).toBeInstanceOf(LarsError);
    expect(err).toMatchObject({ code: "LARS_BUF_TOO_LARGE", name: "BufTooLargeError", requested: 8 * M + 1, largest: 8 * M });
    expect(pool.stats().bytes).toBe(0);
    expect(pool.inUse).toBe(0);
  });

  it.each([-1, Number.NaN])("alloc(%s) is refused with a LarsError and allocates nothing", (n) => {
    const pool = new BufPool();
    expect(() => pool.alloc(n)).toThrow(LarsError);
    expect(pool.stats().bytes).toBe(0);
  });

  it("reuses a reverted buffer of the same class: the same object, emptied", () => {
    const pool = new BufPool();
    const a = pool.alloc(100);
    a.append(Uint8Array.from([1, 2, 3]));
    a.pop(1);
    pool.revert(a);
    expect(a.leased).toBe(false);
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 1, free: 1, inUse: 0 });

    const b = pool.alloc(4000);
    expect(b).toBe(a);
    expect(b.head).toBe(0);
    expect(b.length).toBe(0);
    expect(b.leased).toBe(true);
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 1, free: 0, inUse: 1 });
    pool.revert(b);
  });

  it("does not hand a free buffer of another class", () => {
    const pool = new BufPool();
    const small = pool.alloc(10);
    pool.revert(small);
    const big = pool.alloc(5000);
    expect(big).not.toBe(small);
    expect(big.capacity).toBe(16 * K);
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 1, free: 1 });
    pool.revert(big);
  });
});

describe("BufPool cap", () => {
  it("a 64K pool refuses the alloc that would pass the cap with PoolExhaustedError (LARS_POOL_EXHAUSTED)", () => {
    const pool = new BufPool({ capBytes: 64 * K });
    const held = Array.from({ length: 16 }, () => pool.alloc(4 * K));
    expect(pool.stats().bytes).toBe(64 * K);
    const before = pool.stats();

    const err = thrown(() => pool.alloc(1));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect(err).toMatchObject({ code: "LARS_POOL_EXHAUSTED", name: "PoolExhaustedError", requested: 4 * K, inUseBytes: 64 * K, capBytes: 64 * K });
    expect(pool.stats()).toEqual(before);

    // Returning one makes room again: the next alloc reuses it.
    const back = held.pop()!;
    pool.revert(back);
    expect(pool.alloc(1)).toBe(back);
    held.push(back);
    for (const b of held) pool.revert(b);
    expect(pool.inUse).toBe(0);
  });

  it("a single request of exactly the cap fits; one class bigger is refused", () => {
    const pool = new BufPool({ capBytes: 64 * K });
    expect(() => pool.alloc(64 * K + 1)).toThrow(PoolExhaustedError);
    const b = pool.alloc(64 * K);
    expect(b.capacity).toBe(64 * K);
    pool.revert(b);
  });

  it("drops free buffers of other classes to make room before refusing", () => {
    const pool = new BufPool({ capBytes: 64 * K });
    const mid = pool.alloc(16 * K);
    pool.revert(mid); // 16K free
    const held = Array.from({ length: 12 }, () => pool.alloc(4 * K)); // 48K in use
    expect(pool.stats()).toMatchObject({ bytes: 64 * K, inUseBytes: 48 * K });

    held.push(pool.alloc(4 * K)); // needs room: the free 16K buffer goes
    expect(classStats(pool, 16 * K)).toMatchObject({ allocated: 0, free: 0, bytes: 0 });
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 13, inUse: 13 });
    expect(pool.stats()).toMatchObject({ bytes: 52 * K, inUseBytes: 52 * K });

    // The dropped buffer is forgotten by the pool, yet still recognised as one it reverted.
    expect(() => pool.revert(mid)).toThrow(expect.objectContaining({ code: "LARS_BUF_DOUBLE_REVERT" }) as Error);

    held.push(pool.alloc(4 * K), pool.alloc(4 * K), pool.alloc(4 * K)); // 64K in use, nothing free
    expect(() => pool.alloc(4 * K)).toThrow(PoolExhaustedError);
    for (const b of held) pool.revert(b);
    expect(pool.inUse).toBe(0);
  });

  it("drops free buffers of the largest class too", () => {
    const pool = new BufPool({ capBytes: 8 * M });
    const big = pool.alloc(8 * M);
    pool.revert(big);
    const small = pool.alloc(1);
    expect(classStats(pool, 8 * M)).toMatchObject({ allocated: 0, free: 0 });
    expect(pool.stats()).toMatchObject({ bytes: 4 * K, inUseBytes: 4 * K });
    pool.revert(small);
  });
});

describe("BufPool maxFreeBytes", () => {
  it("forgets returned buffers beyond maxFreeBytes, and its counts go down", () => {
    const pool = new BufPool({ maxFreeBytes: 8 * K });
    const bufs = [pool.alloc(1), pool.alloc(1), pool.alloc(1)];
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 3, inUse: 3, free: 0, bytes: 12 * K });

    for (const b of bufs) pool.revert(b);
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 2, inUse: 0, free: 2, bytes: 8 * K });
    expect(pool.stats()).toMatchObject({ bytes: 8 * K, inUseBytes: 0 });

    // Only the two kept come back; a third alloc makes a new buffer.
    const again = [pool.alloc(1), pool.alloc(1), pool.alloc(1)];
    expect(again.slice(0, 2).every((b) => bufs.includes(b))).toBe(true);
    expect(bufs).not.toContain(again[2]);
    for (const b of again) pool.revert(b);
  });

  it("with maxFreeBytes 0 keeps nothing: every revert gives the memory back", () => {
    const pool = new BufPool({ maxFreeBytes: 0 });
    const a = pool.alloc(1);
    const b = pool.alloc(20 * K);
    pool.revert(a);
    pool.revert(b);
    expect(pool.stats().bytes).toBe(0);
    expect(pool.stats().classes.every((c) => c.allocated === 0)).toBe(true);
    expect(pool.alloc(1)).not.toBe(a);
  });
});

describe("BufPool.revert misuse", () => {
  it("double revert throws BufRevertError LARS_BUF_DOUBLE_REVERT and leaves the counts alone", () => {
    const pool = new BufPool();
    const b = pool.alloc(1);
    pool.revert(b);
    const before = pool.stats();
    const err = thrown(() => pool.revert(b));
    expect(err).toBeInstanceOf(BufRevertError);
    expect(err).toMatchObject({ code: "LARS_BUF_DOUBLE_REVERT", name: "BufRevertError" });
    expect(pool.stats()).toEqual(before);
    expect(classStats(pool, 4 * K).free).toBe(1); // not pushed twice
  });

  it("double revert of a buffer the pool already forgot (maxFreeBytes 0) is still a double revert", () => {
    const pool = new BufPool({ maxFreeBytes: 0 });
    const b = pool.alloc(1);
    pool.revert(b);
    expect(() => pool.revert(b)).toThrow(expect.objectContaining({ code: "LARS_BUF_DOUBLE_REVERT" }) as Error);
  });

  it("revert into another pool throws LARS_BUF_FOREIGN and disturbs neither pool", () => {
    const a = new BufPool();
    const b = new BufPool();
    const buf = a.alloc(1);
    const err = thrown(() => b.revert(buf));
    expect(err).toBeInstanceOf(BufRevertError);
    expect(err).toMatchObject({ code: "LARS_BUF_FOREIGN" });
    expect(b.stats().bytes).toBe(0);
    expect(a.inUse).toBe(1);
    expect(buf.leased).toBe(true);
    a.revert(buf);
    expect(a.inUse).toBe(0);
  });

  it("revert of a buffer made directly with new IoBuf() is LARS_BUF_FOREIGN", () => {
    const pool = new BufPool();
    expect(() => pool.revert(new IoBuf(4 * K))).toThrow(expect.objectContaining({ code: "LARS_BUF_FOREIGN" }) as Error);
  });
});

describe("BufPool.stats and trim", () => {
  it("reports allocated, free, inUse and bytes per class, and totals", () => {
    const pool = new BufPool({ capBytes: 4 * M });
    const a = pool.alloc(1);
    const b = pool.alloc(2);
    const c = pool.alloc(10 * K);
    const d = pool.alloc(M);
    pool.revert(b);

    const s = pool.stats();
    expect(s.classes.map((x) => x.size)).toEqual([...SIZE_CLASSES]);
    expect(s.classes[0]).toEqual({ size: 4 * K, allocated: 2, free: 1, inUse: 1, bytes: 8 * K });
    expect(s.classes[1]).toEqual({ size: 16 * K, allocated: 1, free: 0, inUse: 1, bytes: 16 * K });
    expect(s.classes[2]).toEqual({ size: 64 * K, allocated: 0, free: 0, inUse: 0, bytes: 0 });
    expect(s.classes[4]).toEqual({ size: M, allocated: 1, free: 0, inUse: 1, bytes: M });
    expect(s.bytes).toBe(8 * K + 16 * K + M);
    expect(s.inUseBytes).toBe(4 * K + 16 * K + M);
    expect(s.capBytes).toBe(4 * M);
    expect(s.bytes).toBe(s.classes.reduce((sum, x) => sum + x.bytes, 0));
    expect(pool.inUse).toBe(3);

    for (const x of [a, c, d]) pool.revert(x);
    expect(pool.inUse).toBe(0);
    expect(pool.stats().inUseBytes).toBe(0);
  });

  it("trim releases every free buffer and leaves leased ones alone", () => {
    const pool = new BufPool();
    const kept = pool.alloc(1);
    const freed = [pool.alloc(1), pool.alloc(20 * K)];
    for (const b of freed) pool.revert(b);
    pool.trim();
    expect(pool.stats()).toMatchObject({ bytes: 4 * K, inUseBytes: 4 * K });
    expect(pool.stats().classes.every((c) => c.free === 0)).toBe(true);
    expect(kept.leased).toBe(true);
    pool.revert(kept);
    expect(classStats(pool, 4 * K)).toMatchObject({ allocated: 1, free: 1 });
  });
});

describe("BufPool tracking mode", () => {
  it("leaks() names every unreturned buffer with the stack of its alloc", () => {
    const pool = new BufPool({ track: true });
    expect(pool.tracking).toBe(true);
    const small = pool.alloc(1);
    const big = pool.alloc(100 * K);
    const returned = pool.alloc(1);
    pool.revert(returned);

    const leaks = pool.leaks();
    expect(leaks.map((l) => l.capacity).sort((x, y) => x - y)).toEqual([4 * K, 256 * K]);
    for (const l of leaks) expect(l.stack).toContain("buf-pool.test.ts");

    const err = thrown(() => pool.assertNoLeaks());
    expect(err).toBeInstanceOf(BufLeakError);
    expect(err).toBeInstanceOf(LarsError);
    expect(err).toMatchObject({ code: "LARS_BUF_LEAK", name: "BufLeakError" });
    expect((err as BufLeakError).leaks).toHaveLength(2);
    expect((err as BufLeakError).message).toContain("2 pooled buffer(s) never returned");
    expect((err as BufLeakError).message).toContain("buf-pool.test.ts");

    pool.revert(small);
    expect(pool.leaks()).toHaveLength(1);
    pool.revert(big);
    expect(pool.leaks()).toEqual([]);
    expect(() => pool.assertNoLeaks()).not.toThrow();
  });

  it("a reused buffer is tracked again from its new alloc", () => {
    const pool = new BufPool({ track: true });
    pool.revert(pool.alloc(1));
    const b = pool.alloc(1);
    expect(pool.leaks()).toHaveLength(1);
    pool.revert(b);
    pool.assertNoLeaks();
  });

  it("a pool without tracking lists no stacks but assertNoLeaks still counts leases", () => {
    const pool = new BufPool();
    const b = pool.alloc(1);
    expect(pool.leaks()).toEqual([]);
    const err = thrown(() => pool.assertNoLeaks());
    expect(err).toBeInstanceOf(BufLeakError);
    expect((err as BufLeakError).message).toContain("1 leased");
    pool.revert(b);
    pool.assertNoLeaks();
  });
});

describe("BufPool.shared", () => {
  it("is one process-wide pool with the defaults", () => {
    const a = BufPool.shared;
    expect(a).toBeInstanceOf(BufPool);
    expect(BufPool.shared).toBe(a);
    expect(a).not.toBe(new BufPool());
    expect(a.capBytes).toBe(DEFAULT_POOL_CAP_BYTES);
    expect(a.tracking).toBe(false);
  });
});
