import { describe, expect, it } from "vitest";
import { SendQueue } from "./send-queue.js";

describe("SendQueue", () => {
  it("keeps order and copies bodies on entry", () => {
    const q = new SendQueue({ maxMessages: 10, maxBytes: 1000 }, "t");
    const body = Buffer.from("abc");
    q.push(body, 1);
    q.push("héllo", 2);
    body.fill(0x78);
    expect(q.length).toBe(2);
    expect(q.bytes).toBe(8 + 3 + 8 + 6);
    const all = q.takeAll();
    expect(all.map((m) => [m.msgid, Buffer.from(m.body).toString()])).toEqual([
      [1, "abc"],
      [2, "héllo"],
    ]);
    expect(q.length).toBe(0);
    expect(q.bytes).toBe(0);
  });

  it("refuses past maxMessages with LARS_QUEUE_FULL and keeps what it had", () => {
    const q = new SendQueue({ maxMessages: 2, maxBytes: 1000 }, "t");
    q.push("a", 1);
    q.push("b", 1);
    expect(() => q.push("c", 1)).toThrow(expect.objectContaining({ code: "LARS_QUEUE_FULL" }));
    expect(q.length).toBe(2);
  });

  it("refuses past maxBytes (frame headers count)", () => {
    const q = new SendQueue({ maxMessages: 100, maxBytes: 20 }, "t");
    q.push(Buffer.alloc(4), 1); // 12 bytes
    expect(() => q.push(Buffer.alloc(1), 1)).toThrow(expect.objectContaining({ code: "LARS_QUEUE_FULL" }));
    q.push(Buffer.alloc(0), 1); // 8 bytes: exactly 20
    expect(q.bytes).toBe(20);
  });
});
