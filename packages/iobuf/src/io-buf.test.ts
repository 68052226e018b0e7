import { describe, expect, it } from "vitest";
import { IoBufRangeError } from "./errors.js";
import { IoBuf } from "./io-buf.js";
import { LarsError } from "./lars-error.js";

/** A buffer of `capacity` holding `bytes` at offset `head`. */
function filled(capacity: number, bytes: number[], head = 0): IoBuf {
  const b = new IoBuf(capacity);
  b.data.fill(0xee);
  b.data.set(bytes, head);
  b.head = head;
  b.length = bytes.length;
  return b;
}

function state(b: IoBuf): { head: number; length: number; view: number[] } {
  return { head: b.head, length: b.length, view: [...b.view()] };
}

/** Run `op`, expect IoBufRangeError (LARS_IOBUF_RANGE), and expect `b` unchanged. */
function expectRangeErrorUnchanged(b: IoBuf, op: () => void): void {
  const before = state(b);
  let caught: unknown;
  try {
    op();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(IoBufRangeError);
  expect(caught).toBeInstanceOf(LarsError);
  expect((caught as IoBufRangeError).code).toBe("LARS_IOBUF_RANGE");
  expect((caught as IoBufRangeError).name).toBe("IoBufRangeError");
  expect(state(b)).toEqual(before);
}

describe("IoBuf construction", () => {
  it("has the requested capacity, empty, all of it writable", () => {
    const b = new IoBuf(16);
    expect(b.capacity).toBe(16);
    expect(b.data.length).toBe(16);
    expect(b.head).toBe(0);
    expect(b.length).toBe(0);
    expect(b.tail).toBe(0);
    expect(b.writable).toBe(16);
    expect(b.view().length).toBe(0);
    expect(b.owner).toBeNull();
    expect(b.leased).toBe(false);
  });

  it("owns its region (not a slice of Node's shared allocation pool)", () => {
    const b = new IoBuf(16);
    expect(b.data.byteOffset).toBe(0);
    expect(b.data.buffer.byteLength).toBe(16);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("refuses capacity %s with IoBufRangeError", (cap) => {
    expect(() => new IoBuf(cap)).toThrow(IoBufRangeError);
  });
});

describe("IoBuf append / commit / view", () => {
  it("append copies to the tail and view shows the unread bytes", () => {
    const b = new IoBuf(8);
    const src = Uint8Array.from([1, 2, 3]);
    b.append(src);
    src[0] = 99; // a copy was taken
    expect([...b.view()]).toEqual([1, 2, 3]);
    b.append(Uint8Array.from([4, 5]));
    expect([...b.view()]).toEqual([1, 2, 3, 4, 5]);
    expect(b.tail).toBe(5);
    expect(b.writable).toBe(3);
  });

  it("append of exactly the writable space fills the buffer; empty append is a no-op", () => {
    const b = filled(6, [1, 2], 2);
    b.append(Uint8Array.from([3, 4]));
    expect(b.writable).toBe(0);
    b.append(new Uint8Array(0));
    expect(state(b)).toEqual({ head: 2, length: 4, view: [1, 2, 3, 4] });
  });

  it("view is a view into data, not a copy", () => {
    const b = filled(8, [1, 2, 3], 1);
    const v = b.view();
    expect(v.buffer).toBe(b.data.buffer);
    b.data[1] = 42;
    expect(v[0]).toBe(42);
  });

  it("commit marks bytes written in place at the tail as unread", () => {
    const b = filled(8, [1, 2], 1);
    b.data[b.tail] = 3;
    b.data[b.tail + 1] = 4;
    b.commit(2);
    expect(state(b)).toEqual({ head: 1, length: 4, view: [1, 2, 3, 4] });
    b.commit(0);
    expect(b.length).toBe(4);
    b.commit(b.writable);
    expect(b.writable).toBe(0);
    expect(b.length).toBe(7);
  });
});

describe("IoBuf pop / adjust / clear / copy", () => {
  it("pop consumes from the front", () => {
    const b = filled(8, [1, 2, 3, 4]);
    b.pop(1);
    expect(state(b)).toEqual({ head: 1, length: 3, view: [2, 3, 4] });
    b.pop(0);
    expect(state(b)).toEqual({ head: 1, length: 3, view: [2, 3, 4] });
    b.pop(2);
    expect(state(b)).toEqual({ head: 3, length: 1, view: [4] });
  });

  it("pop of everything resets head to 0, so the whole capacity is writable again", () => {
    const b = filled(8, [1, 2, 3], 4);
    b.pop(3);
    expect(b.head).toBe(0);
    expect(b.length).toBe(0);
    expect(b.writable).toBe(8);
  });

  it("adjust moves the unread bytes to offset 0 and frees the front", () => {
    const b = filled(8, [5, 6, 7], 4);
    expect(b.writable).toBe(1);
    b.adjust();
    expect(state(b)).toEqual({ head: 0, length: 3, view: [5, 6, 7] });
    expect(b.writable).toBe(5);
    b.adjust(); // already at the front: no change
    expect(state(b)).toEqual({ head: 0, length: 3, view: [5, 6, 7] });
  });

  it("adjust of a single unread byte moves it", () => {
    const b = filled(8, [1, 2, 3], 1);
    b.pop(2);
    b.adjust();
    expect(state(b)).toEqual({ head: 0, length: 1, view: [3] });
  });

  it("adjust of an empty buffer with a head just resets head", () => {
    const b = new IoBuf(8);
    b.head = 5;
    b.adjust();
    expect(b.head).toBe(0);
    expect(b.length).toBe(0);
  });

  it("adjust handles overlapping source and destination", () => {
    const b = filled(8, [1, 2, 3, 4, 5, 6], 2);
    b.adjust();
    expect([...b.view()]).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("clear forgets all unread bytes", () => {
    const b = filled(8, [1, 2, 3], 2);
    b.clear();
    expect(state(b)).toEqual({ head: 0, length: 0, view: [] });
    expect(b.writable).toBe(8);
  });

  it("copy replaces the contents with the other buffer's unread bytes, at offset 0", () => {
    const src = filled(16, [9, 8, 7], 10);
    const dst = filled(4, [1, 2], 2);
    dst.copy(src);
    expect(state(dst)).toEqual({ head: 0, length: 3, view: [9, 8, 7] });
    expect(state(src)).toEqual({ head: 10, length: 3, view: [9, 8, 7] });
    src.data[10] = 0; // a copy, not shared
    expect(dst.view()[0]).toBe(9);
  });

  it("copy of exactly the capacity fits; copy of an empty buffer empties", () => {
    const dst = new IoBuf(3);
    dst.copy(filled(8, [1, 2, 3], 5));
    expect([...dst.view()]).toEqual([1, 2, 3]);
    dst.copy(new IoBuf(8));
    expect(state(dst)).toEqual({ head: 0, length: 0, view: [] });
  });

  it("copy from itself keeps the bytes and moves them to the front", () => {
    const b = filled(8, [1, 2, 3], 3);
    b.copy(b);
    expect(state(b)).toEqual({ head: 0, length: 3, view: [1, 2, 3] });
  });
});

describe("IoBuf out-of-range operations throw LARS_IOBUF_RANGE and change nothing", () => {
  it.each([-1, 4, 100, 1.5, Number.NaN, Number.POSITIVE_INFINITY])("pop(%s) with 3 unread bytes", (n) => {
    const b = filled(8, [1, 2, 3], 2);
    expectRangeErrorUnchanged(b, () => b.pop(n));
  });

  it("pop(1) of an empty buffer", () => {
    const b = new IoBuf(8);
    expectRangeErrorUnchanged(b, () => b.pop(1));
  });

  it.each([-1, 4, 100, 0.5, Number.NaN])("commit(%s) with 3 writable bytes", (n) => {
    const b = filled(8, [1, 2], 3); // tail 5, writable 3
    expectRangeErrorUnchanged(b, () => b.commit(n));
  });

  it("commit(1) of a full buffer", () => {
    const b = filled(4, [1, 2, 3, 4]);
    expectRangeErrorUnchanged(b, () => b.commit(1));
  });

  it("append of more than the writable space (even when capacity minus length would fit)", () => {
    const b = filled(8, [1, 2], 4); // writable 2, but 6 bytes free counting the front
    expectRangeErrorUnchanged(b, () => b.append(Uint8Array.from([1, 2, 3])));
    expect([...b.data.subarray(6)]).toEqual([0xee, 0xee]); // the tail was not written either
  });

  it("copy of more bytes than the capacity", () => {
    const b = filled(4, [1, 2], 1);
    expectRangeErrorUnchanged(b, () => b.copy(filled(8, [1, 2, 3, 4, 5])));
  });
});
