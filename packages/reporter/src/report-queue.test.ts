import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ReportQueue, callStatusKey } from "./report-queue.js";
import type { CallStatusRow } from "./types.js";

const row = (modid: number, ip: number, caller: number, succCnt = 0): CallStatusRow => ({
  modid,
  cmdid: 1,
  ip,
  port: 80,
  caller,
  succCnt,
  errCnt: 0,
  ts: 1,
  overload: false,
});

type Op = { kind: "push"; row: CallStatusRow } | { kind: "take"; max: number } | { kind: "back"; count: number };

const rowArb = fc.record({
  modid: fc.integer({ min: 1, max: 3 }),
  cmdid: fc.integer({ min: 1, max: 2 }),
  ip: fc.integer({ min: -3, max: 3 }),
  port: fc.constantFrom(80, 81),
  caller: fc.integer({ min: 0, max: 2 }),
  succCnt: fc.nat(1000),
  errCnt: fc.nat(1000),
  ts: fc.nat(),
  overload: fc.boolean(),
});

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: rowArb.map((r) => ({ kind: "push" as const, row: r })) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 8 }).map((max) => ({ kind: "take" as const, max })) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 4 }).map((count) => ({ kind: "back" as const, count })) },
);

describe("ReportQueue", () => {
  it("coalesces a pending key in place and drops past the cap", () => {
    const q = new ReportQueue(2);
    expect(q.push(row(1, 1, 1, 1))).toBe("stored");
    expect(q.push(row(1, 2, 1))).toBe("stored");
    expect(q.push(row(1, 1, 1, 5))).toBe("coalesced");
    expect(q.push(row(1, 3, 1))).toBe("dropped");
    expect(q.takeBatch(10).map((r) => [r.ip, r.succCnt])).toEqual([
      [1, 5],
      [2, 0],
    ]);
    expect(q.stats()).toEqual({ received: 4, coalesced: 1, dropped: 1, pending: 0, maxPending: 2 });
  });

  it("refuses a bad cap", () => {
    expect(() => new ReportQueue(0)).toThrow(/positive integer/);
  });

  it("behaves like the model (ordered map with a cap)", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.array(opArb, { maxLength: 60 }), (cap, ops) => {
        const q = new ReportQueue(cap);
        const model: CallStatusRow[] = [];
        let lastTaken: CallStatusRow[] = [];
        let received = 0;
        let coalesced = 0;
        let dropped = 0;
        for (const op of ops) {
          if (op.kind === "push") {
            received++;
            const i = model.findIndex((r) => callStatusKey(r) === callStatusKey(op.row));
            let expected: string;
            if (i >= 0) {
              model[i] = op.row;
              coalesced++;
              expected = "coalesced";
            } else if (model.length >= cap) {
              dropped++;
              expected = "dropped";
            } else {
              model.push(op.row);
              expected = "stored";
            }
            expect(q.push(op.row)).toBe(expected);
          } else if (op.kind === "take") {
            const want = model.splice(0, op.max);
            lastTaken = q.takeBatch(op.max);
            expect(lastTaken).toEqual(want);
          } else {
            const back = lastTaken.slice(0, op.count);
            lastTaken = lastTaken.slice(op.count);
            let d = 0;
            for (const r of back) {
              if (model.some((m) => callStatusKey(m) === callStatusKey(r))) continue;
              if (model.length >= cap) d++;
              else model.push(r);
            }
            dropped += d;
            expect(q.giveBack(back)).toBe(d);
          }
          expect(q.size).toBe(model.length);
          expect(q.size).toBeLessThanOrEqual(cap);
          const s = q.stats();
          expect([s.received, s.coalesced, s.dropped, s.pending]).toEqual([received, coalesced, dropped, model.length]);
        }
      }),
      { numRuns: 300 },
    );
  });
});
