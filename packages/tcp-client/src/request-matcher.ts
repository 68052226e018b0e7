import type { EventLoop, TimerHandle } from "@lars/event-loop";
import { RequestError } from "./errors.js";

/** Key extracted from a request or a reply to match them exactly (e.g. the `seq` of a Lars GetHost message). */
export type CorrelationKey = string | number | bigint;

/** Turns a raw reply body into what the caller gets (a copy, or a codec's decoded value). Must not keep `body`. */
export type ReplyDecoder = (body: Buffer) => unknown;

const copyBody: ReplyDecoder = (body) => Buffer.from(body);

/** One request waiting for its reply. */
interface Pending {
  readonly msgid: number;
  readonly replyMsgid: number;
  readonly resolve: (reply: unknown) => void;
  readonly reject: (err: Error) => void;
  readonly decode: ReplyDecoder;
  /** Undefined for FIFO matching. */
  readonly key: CorrelationKey | undefined;
  readonly timeoutMs: number;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Settled already (aborted): a FIFO slot stays until its reply comes (then it is discarded) or its deadline passes. */
  settled: boolean;
}

/** The correlated requests waiting on one reply msgid. */
interface Correlated {
  readonly replyKey: (reply: unknown) => unknown;
  readonly decode: ReplyDecoder;
  readonly byKey: Map<unknown, Pending>;
}

/**
 * Request/reply bookkeeping for one client.
 *
 * Correlated requests (a `requestKey`/`replyKey` pair) are matched exactly
 * by key: a reply whose key no request waits for is not theirs and goes on
 * (to FIFO requests, else to the user's route). A correlated request that
 * times out or is aborted gives its slot back at once.
 *
 * Uncorrelated requests are matched in FIFO order per reply msgid (the Lars
 * frame has no sequence number). An aborted FIFO request keeps its slot so
 * its reply is eaten, not handed to the next caller. A FIFO request that
 * times out poisons the order (its reply may still come, or never): every
 * other FIFO request is failed with `LARS_REQUEST_RESET`, every FIFO slot is
 * freed, and `onPoisoned` tells the client to reset the connection, so no
 * caller can ever receive another caller's reply. No socket; timers come
 * from the loop.
 */
export class RequestMatcher {
  private readonly fifo = new Map<number, Pending[]>();
  private readonly correlated = new Map<number, Correlated>();
  private live = 0;
  private slots = 0;
  /** Replies eaten by the slot of an aborted FIFO request. */
  discardedReplies = 0;
  /** Times a FIFO timeout reset the FIFO order. */
  resets = 0;

  constructor(
    private readonly loop: EventLoop,
    private readonly onPoisoned: (replyMsgid: number) => void = () => {},
  ) {}

  /** Requests waiting for a reply (not yet settled). */
  get pending(): number {
    return this.live;
  }

  /** Slots held: waiting requests plus aborted FIFO requests whose reply has not come. */
  get slotCount(): number {
    return this.slots;
  }

  /** True while frames of `msgid` may belong to the matcher rather than the user's route. */
  has(msgid: number): boolean {
    return this.fifo.has(msgid) || this.correlated.has(msgid);
  }

  /** True when a correlated request with `key` already waits on `replyMsgid`. */
  hasKey(replyMsgid: number, key: CorrelationKey): boolean {
    return this.correlated.get(replyMsgid)?.byKey.has(key) === true;
  }

  /**
   * Add a request (already sent) waiting for a frame of `replyMsgid`.
   * `timeoutMs` = Infinity for none. `signal` must not be aborted yet.
   * With `correlation`, matched by `key` against `replyKey(decoded reply)`;
   * every correlated request on one reply msgid must use the same
   * `replyKey` and decoder (those of the first one waiting are used).
   */
  add(
    msgid: number,
    replyMsgid: number,
    timeoutMs: number,
    signal: AbortSignal | undefined,
    decode: ReplyDecoder = copyBody,
    correlation?: { key: CorrelationKey; replyKey: (reply: unknown) => unknown },
  ): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
      const key = correlation?.key;
      const p: Pending = { msgid, replyMsgid, resolve, reject, decode, key, timeoutMs, timer: undefined, signal, onAbort: undefined, settled: false };
      if (timeoutMs !== Number.POSITIVE_INFINITY) p.timer = this.loop.runAfter(timeoutMs, () => this.timedOut(p));
      if (signal !== undefined) {
        p.onAbort = () => this.aborted(p);
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      if (correlation !== undefined) {
        let c = this.correlated.get(replyMsgid);
        if (c === undefined) this.correlated.set(replyMsgid, (c = { replyKey: correlation.replyKey, decode, byKey: new Map() }));
        c.byKey.set(correlation.key, p);
      } else {
        let queue = this.fifo.get(replyMsgid);
        if (queue === undefined) this.fifo.set(replyMsgid, (queue = []));
        queue.push(p);
      }
      this.live++;
      this.slots++;
    });
  }

  /**
   * A frame of `msgid` arrived. Returns false when no request takes it (the
   * frame goes to the user's route). A correlated request whose key matches
   * takes it first; else the oldest FIFO slot: its request resolves with the
   * decoded reply, or, if it was aborted, the reply is discarded.
   * @throws what the correlated decoder or `replyKey` threw (the transport reports it).
   */
  take(msgid: number, body: Buffer): boolean {
    const c = this.correlated.size === 0 ? undefined : this.correlated.get(msgid);
    if (c !== undefined) {
      const reply = c.decode(body);
      const p = c.byKey.get(c.replyKey(reply));
      if (p !== undefined) {
        this.removeCorrelated(p);
        this.slots--;
        this.cleanup(p);
        p.resolve(reply);
        return true;
      }
    }
    const queue = this.fifo.size === 0 ? undefined : this.fifo.get(msgid);
    if (queue === undefined) return false;
    const p = queue.shift()!;
    if (queue.length === 0) this.fifo.delete(msgid);
    this.slots--;
    if (p.settled) {
      p.timer?.cancel();
      p.timer = undefined;
      this.discardedReplies++;
      return true;
    }
    this.cleanup(p);
    let reply: unknown;
    try {
      reply = p.decode(body);
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
      return true;
    }
    p.resolve(reply);
    return true;
  }

  /** The connection is gone: reject every unsettled request with `makeError(...)`, free every slot. */
  failAll(makeError: (msgid: number, replyMsgid: number) => Error): void {
    const all: Pending[] = [];
    for (const queue of this.fifo.values()) all.push(...queue);
    for (const c of this.correlated.values()) all.push(...c.byKey.values());
    this.fifo.clear();
    this.correlated.clear();
    this.slots = 0;
    for (const p of all) {
      p.timer?.cancel();
      p.timer = undefined;
      if (!p.settled) {
        this.cleanup(p);
        p.reject(makeError(p.msgid, p.replyMsgid));
      }
    }
  }

  private timedOut(p: Pending): void {
    p.timer = undefined;
    const err = new RequestError("LARS_REQUEST_TIMEOUT", p.msgid, p.replyMsgid, `no reply within ${p.timeoutMs} ms`);
    if (p.key !== undefined) {
      this.removeCorrelated(p);
      this.slots--;
      this.cleanup(p);
      p.reject(err);
      return;
    }
    // A FIFO reply is overdue: the order can no longer be trusted.
    if (!p.settled) {
      this.cleanup(p);
      p.reject(err);
    }
    this.resetFifo(p);
  }

  private aborted(p: Pending): void {
    if (p.settled) return;
    const err = new RequestError("LARS_REQUEST_ABORTED", p.msgid, p.replyMsgid, "aborted", { cause: p.signal?.reason });
    if (p.key !== undefined) {
      this.removeCorrelated(p);
      this.slots--;
      p.timer?.cancel();
      p.timer = undefined;
    }
    // A FIFO slot stays (with its timer) so its reply is eaten, not given to the next caller.
    this.cleanup(p, p.key === undefined);
    p.reject(err);
  }

  /** Fail every FIFO request (except `cause`, settled already) with LARS_REQUEST_RESET, free their slots, tell the client. */
  private resetFifo(cause: Pending): void {
    const queues = [...this.fifo.values()];
    this.fifo.clear();
    this.resets++;
    for (const queue of queues) {
      for (const p of queue) {
        this.slots--;
        p.timer?.cancel();
        p.timer = undefined;
        if (p.settled) continue;
        this.cleanup(p);
        p.reject(
          new RequestError(
            "LARS_REQUEST_RESET",
            p.msgid,
            p.replyMsgid,
            `reply order lost: request msgid ${cause.msgid} (reply msgid ${cause.replyMsgid}) timed out; the connection is reset`,
          ),
        );
      }
    }
    this.onPoisoned(cause.replyMsgid);
  }

  private removeCorrelated(p: Pending): void {
    const c = this.correlated.get(p.replyMsgid);
    if (c === undefined) return;
    c.byKey.delete(p.key);
    if (c.byKey.size === 0) this.correlated.delete(p.replyMsgid);
  }

  /** Mark settled and drop the abort listener; the timer too unless `keepTimer`. */
  private cleanup(p: Pending, keepTimer = false): void {
    p.settled = true;
    this.live--;
    if (!keepTimer) {
      p.timer?.cancel();
      p.timer = undefined;
    }
    if (p.onAbort !== undefined) p.signal?.removeEventListener("abort", p.onAbort);
    p.onAbort = undefined;
    p.signal = undefined;
  }
}
