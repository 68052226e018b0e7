import { afterEach, describe, expect, it } from "vitest";
import { BufPool } from "./buf-pool.js";
import { BufferFullError, IoBufRangeError, PoolExhaustedError } from "./errors.js";
import { InputBuf, OutputBuf, PooledBytes } from "./pooled-bytes.js";

const K = 1024;

function bytes(n: number, seed = 0): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

function thrown(op: () => unknown): unknown {
  try {
    op();
  } catch (err) {
    return err;
  }
  expect.fail("expected the operation to throw");
}

/** Byte-exact comparison; cheaper than a deep toEqual on large buffers. */
function expectBytes(actual: Buffer, expected: Buffer): void {
  expect(actual.length).toBe(expected.length);
  expect(actual.equals(expected), "bytes differ").toBe(true);
}

function classOf(pool: BufPool, size: number) {
  return pool.stats().classes.find((c) => c.size === size)!;
}

describe.each([
  ["InputBuf", InputBuf],
  ["OutputBuf", OutputBuf],
] as const)("%s", (_name, Kind) => {
  let pools: BufPool[] = [];
  /** A tracking pool that is checked for leaks after the test. */
  function trackedPool(options: { capBytes?: number; maxFreeBytes?: number } = {}): BufPool {
    const pool = new BufPool({ ...options, track: true });
    pools.push(pool);
    return pool;
  }
  afterEach(() => {
    for (const p of pools) p.assertNoLeaks();
    pools = [];
  });

  it("is a PooledBytes, empty and holding nothing when new", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    expect(q).toBeInstanceOf(PooledBytes);
    expect(q.pool).toBe(pool);
    expect(q.cap).toBe(100);
    expect(q.length).toBe(0);
    expect(q.holdsBuffer).toBe(false);
    expect(q.view().length).toBe(0);
    expect(pool.inUse).toBe(0);
  });

  it("uses BufPool.shared when given no pool", () => {
    expect(new Kind({ cap: 10 }).pool).toBe(BufPool.shared);
  });

  it.each([0, -1, 1.5, 8 * 1024 * 1024 + 1])("refuses cap %s", (cap) => {
    expect(() => new Kind({ pool: trackedPool(), cap })).toThrow(RangeError);
  });

  it("append, view, pop: a FIFO of bytes; empties back to the pool", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 1000 });
    q.append(Uint8Array.from([1, 2, 3]));
    expect(q.holdsBuffer).toBe(true);
    expect(pool.inUse).toBe(1);
    q.append(Uint8Array.from([4, 5]));
    expect([...q.view()]).toEqual([1, 2, 3, 4, 5]);
    expect(q.length).toBe(5);

    q.pop(2);
    expect([...q.view()]).toEqual([3, 4, 5]);
    q.pop(0);
    expect(q.length).toBe(3);
    q.pop(3);
    expect(q.length).toBe(0);
    expect(q.holdsBuffer).toBe(false);
    expect(pool.inUse).toBe(0);
    expect(q.view().length).toBe(0);
  });

  it("append(src, start, end) copies only that range; an empty range leases nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    const src = Uint8Array.from([10, 11, 12, 13, 14]);
    q.append(src, 3, 3);
    expect(q.holdsBuffer).toBe(false);
    q.append(src, 1, 4);
    q.append(src, 4);
    expect([...q.view()]).toEqual([11, 12, 13, 14]);
    q.clear();
  });

  it.each([
    [-1, 2],
    [3, 2],
    [0, 6],
    [0.5, 2],
  ])("append(src, %s, %s) outside the source throws IoBufRangeError and changes nothing", (start, end) => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.append(Uint8Array.from([1, 2]));
    expect(() => q.append(Uint8Array.from([1, 2, 3, 4, 5]), start, end)).toThrow(IoBufRangeError);
    expect([...q.view()]).toEqual([1, 2]);
    q.clear();
  });

  it("the view is into the pooled buffer (no copy)", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.append(Uint8Array.from([1, 2, 3]));
    const v = q.view();
    expect(v.buffer).toBe(q.buffer.buffer);
    q.clear();
  });

  it("pop out of range throws IoBufRangeError and changes nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.pop(0); // empty: allowed
    expect(() => q.pop(1)).toThrow(IoBufRangeError);
    q.append(Uint8Array.from([1, 2, 3]));
    for (const n of [4, -1, 1.5]) {
      expect(() => q.pop(n)).toThrow(expect.objectContaining({ code: "LARS_IOBUF_RANGE" }) as Error);
      expect([...q.view()]).toEqual([1, 2, 3]);
      expect(q.holdsBuffer).toBe(true);
    }
    q.clear();
  });

  it("clear drops the bytes and gives the buffer back; it is idempotent", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.append(bytes(50));
    q.clear();
    expect(q.length).toBe(0);
    expect(q.holdsBuffer).toBe(false);
    expect(pool.inUse).toBe(0);
    q.clear();
    expect(pool.inUse).toBe(0);
    expect(classOf(pool, 4 * K).free).toBe(1); // reverted once, not twice
  });

  it("adjust moves the held bytes to the front of the buffer", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.adjust(); // empty: no-op
    q.append(Uint8Array.from([1, 2, 3, 4]));
    q.pop(2);
    expect(q.view().byteOffset - q.buffer.byteOffset).toBe(2);
    q.adjust();
    expect(q.view().byteOffset - q.buffer.byteOffset).toBe(0);
    expect([...q.view()]).toEqual([3, 4]);
    q.clear();
  });

  it("reuses the consumed front before moving to a bigger class", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 64 * K });
    q.append(bytes(4000, 1));
    q.pop(3000);
    const region = q.buffer;
    q.append(bytes(3000, 2)); // 1000 + 3000 fits 4K once the front is reclaimed
    expect(q.buffer).toBe(region);
    expectBytes(q.view(), Buffer.concat([bytes(4000, 1).subarray(3000), bytes(3000, 2)]));
    expect(classOf(pool, 16 * K).allocated).toBe(0);
    q.clear();
  });

  it("grows to a bigger class preserving the bytes, and returns the smaller buffer", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 64 * K });
    const a = bytes(4000, 1);
    const b = bytes(5000, 2);
    q.append(a);
    q.pop(10);
    q.append(b);
    expect(q.length).toBe(3990 + 5000);
    expectBytes(q.view(), Buffer.concat([a.subarray(10), b]));
    expect(q.buffer.length).toBe(16 * K);
    expect(classOf(pool, 4 * K)).toMatchObject({ allocated: 1, free: 1, inUse: 0 });
    expect(classOf(pool, 16 * K)).toMatchObject({ inUse: 1 });
    expect(pool.inUse).toBe(1);

    const c = bytes(40 * K, 3);
    q.append(c);
    expect(q.buffer.length).toBe(64 * K);
    expectBytes(q.view(), Buffer.concat([a.subarray(10), b, c]));
    expect(pool.inUse).toBe(1);
    q.clear();
    expect(pool.inUse).toBe(0);
  });

  it("an append past the cap throws BufferFullError (LARS_BUFFER_FULL) and changes nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 10 });
    q.append(bytes(8));
    const before = Buffer.from(q.view());
    const stats = pool.stats();

    const err = thrown(() => q.append(bytes(3)));
    expect(err).toBeInstanceOf(BufferFullError);
    expect(err).toMatchObject({ code: "LARS_BUFFER_FULL", name: "BufferFullError", requested: 3, length: 8, cap: 10 });
    expectBytes(q.view(), before);
    expect(q.length).toBe(8);
    expect(pool.stats()).toEqual(stats);

    q.append(bytes(2)); // exactly up to the cap is fine
    expect(q.length).toBe(10);
    q.clear();
  });

  it("an append past the cap on an empty queue leases nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 10 });
    expect(() => q.append(bytes(11))).toThrow(BufferFullError);
    expect(q.holdsBuffer).toBe(false);
    expect(pool.stats().bytes).toBe(0);
  });

  it("a failed pool lease when growing leaves the bytes and the held buffer as they were", () => {
    const pool = trackedPool({ capBytes: 4 * K });
    const q = new Kind({ pool, cap: 64 * K });
    q.append(bytes(4 * K, 7));
    const region = q.buffer;
    const err = thrown(() => q.append(bytes(1)));
    expect(err).toBeInstanceOf(PoolExhaustedError);
    expect(q.length).toBe(4 * K);
    expectBytes(q.view(), bytes(4 * K, 7));
    expect(q.buffer).toBe(region);
    expect(pool.inUse).toBe(1);
    q.clear();
  });

  it("a failed pool lease on an empty queue leaves it empty and holding nothing", () => {
    const pool = trackedPool({ capBytes: 4 * K });
    const other = pool.alloc(1); // the whole cap
    const q = new Kind({ pool, cap: 100 });
    expect(() => q.append(bytes(1))).toThrow(expect.objectContaining({ code: "LARS_POOL_EXHAUSTED" }) as Error);
    expect(q.length).toBe(0);
    expect(q.holdsBuffer).toBe(false);
    expect(pool.inUse).toBe(1);
    pool.revert(other);
  });

  it("reserve/buffer/commit writes in place", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.append(Uint8Array.from([1, 2]));
    const off = q.reserve(8);
    const region = q.buffer;
    region.writeInt32LE(7, off);
    region.writeInt32LE(-1, off + 4);
    q.commit(8);
    expect(q.length).toBe(10);
    expect([...q.view().subarray(0, 2)]).toEqual([1, 2]);
    expect(q.view().readInt32LE(2)).toBe(7);
    expect(q.view().readInt32LE(6)).toBe(-1);
    q.clear();
  });

  it("reserve on an empty queue leases a buffer big enough; commit of part of it holds that part", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 64 * K });
    const off = q.reserve(5000);
    expect(off).toBe(0);
    expect(q.buffer.length).toBe(16 * K);
    q.buffer.fill(9, off, off + 3);
    q.commit(3);
    expect([...q.view()]).toEqual([9, 9, 9]);
    q.clear();
  });

  it("commit(0) after reserve on an empty queue leaves it holding nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    q.reserve(10);
    q.commit(0);
    expect(q.holdsBuffer).toBe(false);
    expect(pool.inUse).toBe(0);
  });

  it("reserve refuses past the cap (BufferFullError) and bad counts (IoBufRangeError), changing nothing", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 10 });
    q.append(bytes(4));
    expect(() => q.reserve(7)).toThrow(BufferFullError);
    expect(() => q.reserve(-1)).toThrow(IoBufRangeError);
    expect(() => q.reserve(1.5)).toThrow(IoBufRangeError);
    expectBytes(q.view(), bytes(4));
    expect(q.reserve(6)).toBe(4);
    q.clear();
  });

  it("buffer and commit without a held buffer throw IoBufRangeError; commit past the reserve too", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 4 * K });
    expect(() => q.buffer).toThrow(IoBufRangeError);
    expect(() => q.commit(1)).toThrow(IoBufRangeError);
    q.append(bytes(4 * K - 2));
    expect(() => q.commit(3)).toThrow(IoBufRangeError);
    expect(q.length).toBe(4 * K - 2);
    q.clear();
  });

  it("detach hands the lease over: the queue is empty, the pool still counts it until revert", () => {
    const pool = trackedPool();
    const q = new Kind({ pool, cap: 100 });
    expect(q.detach()).toBeNull();
    q.append(Uint8Array.from([1, 2, 3, 4]));
    q.pop(1);
    const buf = q.detach()!;
    expect(q.length).toBe(0);
    expect(q.holdsBuffer).toBe(false);
    expect(q.view().length).toBe(0);
    expect(pool.inUse).toBe(1);
    expect(pool.leaks()).toHaveLength(1);
    expect([...buf.view()]).toEqual([2, 3, 4]);
    expect(buf.leased).toBe(true);

    q.append(Uint8Array.from([9])); // the queue leases a fresh buffer
    expect(pool.inUse).toBe(2);
    q.clear();
    pool.revert(buf);
    expect(pool.inUse).toBe(0);
  });
});
