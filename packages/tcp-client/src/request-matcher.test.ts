import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { RequestMatcher } from "./request-matcher.js";
import { RequestError } from "./errors.js";

describe("RequestMatcher (fake timers)", () => {
  let loop: EventLoop;
  beforeEach(() => {
    vi.useFakeTimers();
    loop = new EventLoop({ monitorDelay: false });
  });
  afterEach(async () => {
    const stopped = loop.stop();
    await vi.runAllTimersAsync();
    await stopped;
    vi.useRealTimers();
  });

  it("matches replies in FIFO order per reply msgid, with copies", async () => {
    const m = new RequestMatcher(loop);
    const a = m.add(1, 2, 1000, undefined);
    const b = m.add(1, 2, 1000, undefined);
    const c = m.add(5, 6, 1000, undefined);
    expect(m.has(2)).toBe(true);
    expect(m.has(1)).toBe(false);
    const body = Buffer.from("first");
    expect(m.take(6, Buffer.from("six"))).toBe(true);
    expect(m.take(2, body)).toBe(true);
    body.fill(0);
    expect(m.take(2, Buffer.from("second"))).toBe(true);
    expect(m.take(2, Buffer.from("nobody"))).toBe(false);
    expect(((await a) as Buffer).toString()).toBe("first");
    expect(((await b) as Buffer).toString()).toBe("second");
    expect(((await c) as Buffer).toString()).toBe("six");
    expect(m.pending).toBe(0);
    expect(m.slotCount).toBe(0);
    expect(loop.stats().timersPending).toBe(0);
  });

  it("a timed-out FIFO request resets the order: the others fail with LARS_REQUEST_RESET, no slot is left, the client is told", async () => {
    let poisoned = 0;
    const m = new RequestMatcher(loop, () => poisoned++);
    const a = m.add(1, 1, 100, undefined);
    const b = m.add(1, 1, 5000, undefined);
    const c = m.add(2, 3, 5000, undefined);
    const aRejected = expect(a).rejects.toMatchObject({ code: "LARS_REQUEST_TIMEOUT", msgid: 1, replyMsgid: 1 });
    const bRejected = expect(b).rejects.toMatchObject({ code: "LARS_REQUEST_RESET" });
    const cRejected = expect(c).rejects.toMatchObject({ code: "LARS_REQUEST_RESET", msgid: 2, replyMsgid: 3 });
    await vi.advanceTimersByTimeAsync(99);
    expect(m.pending).toBe(3);
    await vi.advanceTimersByTimeAsync(2);
    await aRejected;
    await bRejected;
    await cRejected;
    expect(poisoned).toBe(1);
    expect(m.pending).toBe(0);
    expect(m.slotCount).toBe(0);
    expect(m.has(1)).toBe(false);
    expect(m.resets).toBe(1);
    expect(loop.stats().timersPending).toBe(0);
  });

  it("correlated requests match by key in any order and a timed-out one frees its slot at once (no reset)", async () => {
    let poisoned = 0;
    const m = new RequestMatcher(loop, () => poisoned++);
    const replyKey = (r: unknown): unknown => (r as Buffer).toString().split(":")[0];
    const a = m.add(1, 2, 1000, undefined, undefined, { key: "a", replyKey });
    const b = m.add(1, 2, 1000, undefined, undefined, { key: "b", replyKey });
    const lost = m.add(1, 2, 50, undefined, undefined, { key: "lost", replyKey });
    const lostRejected = expect(lost).rejects.toMatchObject({ code: "LARS_REQUEST_TIMEOUT" });
    await vi.advanceTimersByTimeAsync(60);
    await lostRejected;
    expect(m.slotCount).toBe(2);
    expect(m.take(2, Buffer.from("b:2"))).toBe(true);
    expect(m.take(2, Buffer.from("lost:late"))).toBe(false); // nobody waits: goes to the user's route
    expect(m.take(2, Buffer.from("a:1"))).toBe(true);
    expect(((await a) as Buffer).toString()).toBe("a:1");
    expect(((await b) as Buffer).toString()).toBe("b:2");
    expect(poisoned).toBe(0);
    expect(m.slotCount).toBe(0);
  });

  it("abort rejects at once with the signal's reason as cause, keeps the slot, and removes its listener", async () => {
    const m = new RequestMatcher(loop);
    const ac = new AbortController();
    const a = m.add(1, 1, Infinity, ac.signal);
    ac.abort(new Error("user gave up"));
    const err = await a.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RequestError);
    expect(err).toMatchObject({ code: "LARS_REQUEST_ABORTED", cause: new Error("user gave up") });
    expect(m.slotCount).toBe(1);
    const b = m.add(1, 1, Infinity, undefined);
    m.take(1, Buffer.from("for-a"));
    m.take(1, Buffer.from("for-b"));
    expect(((await b) as Buffer).toString()).toBe("for-b");
  });

  it("settling removes the timer and the abort listener", async () => {
    const m = new RequestMatcher(loop);
    const ac = new AbortController();
    const remove = vi.spyOn(ac.signal, "removeEventListener");
    const a = m.add(1, 1, 5000, ac.signal);
    expect(loop.stats().timersPending).toBe(1);
    m.take(1, Buffer.from("x"));
    await a;
    expect(loop.stats().timersPending).toBe(0);
    expect(remove).toHaveBeenCalledTimes(1);
    ac.abort(); // no effect now
  });

  it("failAll rejects every live request and frees every slot", async () => {
    const m = new RequestMatcher(loop);
    const b = m.add(1, 1, 5000, undefined);
    const c = m.add(3, 4, 5000, undefined);
    m.failAll((msgid, reply) => new RequestError("LARS_CONN_LOST", msgid, reply, "lost"));
    await expect(b).rejects.toMatchObject({ code: "LARS_CONN_LOST", msgid: 1 });
    await expect(c).rejects.toMatchObject({ code: "LARS_CONN_LOST", msgid: 3, replyMsgid: 4 });
    expect(m.slotCount).toBe(0);
    expect(m.has(1)).toBe(false);
    expect(loop.stats().timersPending).toBe(0);
  });
});
