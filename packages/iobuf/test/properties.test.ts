/**
 * Property tests: random operation sequences against simple models. After
 * every step the buffer must equal the model and keep its invariants; a
 * refused operation must leave it exactly as it was.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BufPool, BufferFullError, InputBuf, IoBuf, IoBufRangeError, OutputBuf, PoolExhaustedError, SIZE_CLASSES } from "../src/index.js";
import type { PooledBytes } from "../src/index.js";

const NUM_RUNS = 150;

/** Deterministic bytes, so an op is (length, seed) rather than a big generated array. */
function bytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 131 + seed * 7 + 1) & 0xff;
  return b;
}

/** Run `op`; return the error it threw, or undefined. */
function attempt(op: () => void): unknown {
  try {
    op();
    return undefined;
  } catch (err) {
    return err;
  }
}

function classSize(n: number): number {
  const s = SIZE_CLASSES.find((c) => n <= c);
  if (s === undefined) throw new Error(`no class for ${n}`);
  return s;
}

// ---------------------------------------------------------------- IoBuf

type IoOp =
  | { op: "append"; n: number; seed: number }
  | { op: "commit"; n: number; seed: number }
  | { op: "pop"; n: number }
  | { op: "popKeep"; keep: number }
  | { op: "adjust" }
  | { op: "clear" }
  | { op: "copy"; n: number; head: number; seed: number };

const ioOp: fc.Arbitrary<IoOp> = fc.oneof(
  fc.record({ op: fc.constant("append" as const), n: fc.nat({ max: 80 }), seed: fc.nat(255) }),
  fc.record({ op: fc.constant("commit" as const), n: fc.integer({ min: -2, max: 80 }), seed: fc.nat(255) }),
  fc.record({ op: fc.constant("pop" as const), n: fc.integer({ min: -2, max: 80 }) }),
  fc.record({ op: fc.constant("popKeep" as const), keep: fc.nat({ max: 3 }) }),
  fc.constant({ op: "adjust" as const }),
  fc.constant({ op: "clear" as const }),
  fc.record({ op: fc.constant("copy" as const), n: fc.nat({ max: 80 }), head: fc.nat({ max: 20 }), seed: fc.nat(255) }),
);

describe("IoBuf against a model", () => {
  it("keeps view == model and head + length <= capacity; refused ops change nothing", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(ioOp, { maxLength: 40 }), (capacity, ops) => {
        const b = new IoBuf(capacity);
        let model: Buffer = Buffer.alloc(0);
        let head = 0;

        for (const o of ops) {
          const before = { head: b.head, length: b.length };
          const writable = capacity - head - model.length;
          let shouldFail = false;
          switch (o.op) {
            case "append": {
              const src = bytes(o.n, o.seed);
              shouldFail = o.n > writable;
              const err = attempt(() => b.append(src));
              if (!shouldFail) model = Buffer.concat([model, src]);
              if (shouldFail) expect(err).toBeInstanceOf(IoBufRangeError);
              else expect(err).toBeUndefined();
              break;
            }
            case "commit": {
              shouldFail = o.n < 0 || o.n > writable;
              const src = bytes(Math.max(0, Math.min(o.n, writable)), o.seed);
              b.data.set(src, b.tail); // write in place, as a socket read would
              const err = attempt(() => b.commit(o.n));
              if (shouldFail) expect(err).toBeInstanceOf(IoBufRangeError);
              else {
                expect(err).toBeUndefined();
                model = Buffer.concat([model, src]);
              }
              break;
            }
            case "pop": {
              shouldFail = o.n < 0 || o.n > model.length;
              const err = attempt(() => b.pop(o.n));
              if (shouldFail) expect(err).toBeInstanceOf(IoBufRangeError);
              else {
                expect(err).toBeUndefined();
                model = model.subarray(o.n);
                head = model.length === 0 ? 0 : head + o.n;
              }
              break;
            }
            case "popKeep": {
              // Pop all but a few bytes: leaves the short tails that edge cases hide in.
              const n = Math.max(0, model.length - o.keep);
              b.pop(n);
              model = model.subarray(n);
              head = model.length === 0 ? 0 : head + n;
              break;
            }
            case "adjust":
              b.adjust();
              head = 0;
              break;
            case "clear":
              b.clear();
              model = Buffer.alloc(0);
              head = 0;
              break;
            case "copy": {
              const other = new IoBuf(o.head + o.n + 1);
              other.append(bytes(o.head, 0));
              other.append(bytes(o.n, o.seed));
              other.pop(o.head);
              shouldFail = o.n > capacity;
              const err = attempt(() => b.copy(other));
              if (shouldFail) expect(err).toBeInstanceOf(IoBufRangeError);
              else {
                expect(err).toBeUndefined();
                model = bytes(o.n, o.seed);
                head = 0;
              }
              break;
            }
          }
          if (shouldFail) expect({ head: b.head, length: b.length }).toEqual(before);
          expect(b.head).toBe(head);
          expect(b.length).toBe(model.length);
          expect(b.view().equals(model)).toBe(true);
          expect(b.head + b.length).toBeLessThanOrEqual(b.capacity);
          expect(b.writable).toBe(capacity - b.head - b.length);
        }
      }),
      { numRuns: NUM_RUNS * 2 },
    );
  });
});

// ---------------------------------------------------------------- BufPool

type PoolOp = { op: "alloc"; n: number } | { op: "revert"; pick: number };

describe("BufPool counts under random alloc/revert", () => {
  it("stay balanced, within the cap and maxFreeBytes; no leaks once all are returned", () => {
    const K = 1024;
    const poolOp: fc.Arbitrary<PoolOp> = fc.oneof(
      fc.record({ op: fc.constant("alloc" as const), n: fc.oneof(fc.nat({ max: 70 * K }), fc.constantFrom(0, 4 * K, 16 * K, 64 * K)) }),
      fc.record({ op: fc.constant("revert" as const), pick: fc.nat() }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(16 * K, 64 * K, 200 * K),
        fc.constantFrom(0, 8 * K, 64 * K),
        fc.array(poolOp, { maxLength: 40 }),
        (capBytes, maxFreeBytes, ops) => {
          const pool = new BufPool({ capBytes, maxFreeBytes, track: true });
          const held: IoBuf[] = [];
          for (const o of ops) {
            if (o.op === "alloc") {
              const inUseBytes = held.reduce((s, b) => s + b.capacity, 0);
              const err = attempt(() => held.push(pool.alloc(o.n)));
              // Refused exactly when even dropping every free buffer leaves no room.
              if (inUseBytes + classSize(o.n) > capBytes) expect(err).toBeInstanceOf(PoolExhaustedError);
              else expect(err).toBeUndefined();
            } else if (held.length > 0) {
              const [b] = held.splice(o.pick % held.length, 1);
              pool.revert(b!);
            }
            const s = pool.stats();
            const inUseBytes = held.reduce((sum, b) => sum + b.capacity, 0);
            expect(pool.inUse).toBe(held.length);
            expect(s.inUseBytes).toBe(inUseBytes);
            expect(s.bytes).toBe(s.classes.reduce((sum, c) => sum + c.bytes, 0));
            expect(s.bytes).toBeLessThanOrEqual(capBytes);
            expect(s.bytes - s.inUseBytes).toBeLessThanOrEqual(maxFreeBytes);
            for (const c of s.classes) {
              expect(c.inUse).toBe(held.filter((b) => b.capacity === c.size).length);
              expect(c.allocated).toBe(c.free + c.inUse);
              expect(c.bytes).toBe(c.allocated * c.size);
            }
            expect(pool.leaks()).toHaveLength(held.length);
          }
          for (const b of held) pool.revert(b);
          expect(pool.inUse).toBe(0);
          pool.assertNoLeaks();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});

// ---------------------------------------------------------------- InputBuf / OutputBuf

type QOp =
  | { op: "append"; n: number; seed: number; skip: number }
  | { op: "reserve"; n: number; written: number; seed: number }
  | { op: "pop"; n: number }
  | { op: "popKeep"; keep: number }
  | { op: "adjust" }
  | { op: "clear" }
  | { op: "detach" };

/** Sizes biased to small, with some that force growth into 16K and 64K classes. */
const size = fc.oneof(
  { weight: 4, arbitrary: fc.nat({ max: 300 }) },
  { weight: 1, arbitrary: fc.nat({ max: 20 * 1024 }) },
  { weight: 1, arbitrary: fc.constantFrom(4096, 4097, 16 * 1024, 16 * 1024 + 1) },
);

const qOp: fc.Arbitrary<QOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant("append" as const), n: size, seed: fc.nat(255), skip: fc.nat({ max: 3 }) }) },
  {
    weight: 2,
    arbitrary: fc
      .record({ n: size, frac: fc.double({ min: 0, max: 1, noNaN: true }), seed: fc.nat(255) })
      .map(({ n, frac, seed }) => ({ op: "reserve" as const, n, written: Math.floor(n * frac), seed })),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant("pop" as const), n: fc.oneof(size, fc.integer({ min: -1, max: 2 })) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("popKeep" as const), keep: fc.nat({ max: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: "adjust" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "clear" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "detach" as const }) },
);

/**
 * Whether making room for `n` more bytes needs a new lease, and if so whether
 * the pool must refuse it: it can drop every free buffer, but not the one the
 * queue still holds while it copies.
 */
function leaseRefused(q: PooledBytes, n: number, poolCap: number): boolean {
  const len = q.length;
  if (q.holdsBuffer && q.buffer.length - len >= n) return false; // fits, at worst after adjust
  const held = q.holdsBuffer ? q.buffer.length : 0;
  return held + classSize(len + n) > poolCap;
}

describe.each([
  ["InputBuf", InputBuf],
  ["OutputBuf", OutputBuf],
] as const)("%s against a model", (_name, Kind) => {
  it("keeps view == model, length <= cap, holdsBuffer === (length > 0), and returns every lease", () => {
    const K = 1024;
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 64 * K }), fc.constantFrom(1, 4 * K, 4 * K + 1, 64 * K)),
        fc.constantFrom(4 * K, 20 * K, 80 * K, 512 * K),
        fc.array(qOp, { maxLength: 40 }),
        (cap, poolCap, ops) => {
          const pool = new BufPool({ capBytes: poolCap, track: true });
          const q = new Kind({ pool, cap });
          let model: Buffer = Buffer.alloc(0);

          for (const o of ops) {
            const snapshot = Buffer.from(q.view());
            let err: unknown;
            let expected: "ok" | "full" | "exhausted" | "range" = "ok";
            switch (o.op) {
              case "append": {
                // Append from the middle of a larger source, as a decoder does with a socket chunk.
                const src = Buffer.concat([bytes(o.skip, 99), bytes(o.n, o.seed), bytes(o.skip, 98)]);
                if (model.length + o.n > cap) expected = "full";
                else if (o.n > 0 && leaseRefused(q, o.n, poolCap)) expected = "exhausted";
                err = attempt(() => q.append(src, o.skip, o.skip + o.n));
                if (expected === "ok") model = Buffer.concat([model, bytes(o.n, o.seed)]);
                break;
              }
              case "reserve": {
                if (model.length + o.n > cap) expected = "full";
                else if (leaseRefused(q, o.n, poolCap)) expected = "exhausted";
                err = attempt(() => {
                  const off = q.reserve(o.n);
                  expect(q.buffer.length - off).toBeGreaterThanOrEqual(o.n);
                  q.buffer.set(bytes(o.written, o.seed), off);
                  q.commit(o.written);
                });
                if (expected === "ok") model = Buffer.concat([model, bytes(o.written, o.seed)]);
                break;
              }
              case "pop":
                if (o.n < 0 || o.n > model.length) expected = "range";
                err = attempt(() => q.pop(o.n));
                if (expected === "ok") model = model.subarray(o.n);
                break;
              case "popKeep": {
                const n = Math.max(0, model.length - o.keep);
                q.pop(n);
                model = model.subarray(n);
                break;
              }
              case "adjust":
                q.adjust();
                break;
              case "clear":
                q.clear();
                model = Buffer.alloc(0);
                break;
              case "detach": {
                const inUse = pool.inUse;
                const buf = q.detach();
                if (model.length === 0) expect(buf).toBeNull();
                else {
                  expect(buf!.view().equals(model)).toBe(true);
                  expect(pool.inUse).toBe(inUse); // the lease moved to us, still counted
                  pool.revert(buf!);
                }
                model = Buffer.alloc(0);
                break;
              }
            }
            if (expected === "ok") expect(err).toBeUndefined();
            if (expected === "full") expect(err).toBeInstanceOf(BufferFullError);
            if (expected === "exhausted") expect(err).toBeInstanceOf(PoolExhaustedError);
            if (expected === "range") expect(err).toBeInstanceOf(IoBufRangeError);
            if (expected !== "ok") expect(q.view().equals(snapshot)).toBe(true);

            expect(q.length).toBe(model.length);
            expect(q.view().equals(model)).toBe(true);
            expect(q.length).toBeLessThanOrEqual(cap);
            expect(q.holdsBuffer).toBe(q.length > 0);
            expect(pool.inUse).toBe(q.holdsBuffer ? 1 : 0);
            expect(pool.stats().bytes).toBeLessThanOrEqual(poolCap);
          }

          q.clear();
          expect(q.holdsBuffer).toBe(false);
          expect(pool.inUse).toBe(0);
          pool.assertNoLeaks();
        },
      ),
      { numRuns: NUM_RUNS },
    );
  });
});
