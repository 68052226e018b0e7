import { InvalidArgumentError } from "@lars/iobuf";
import { UdpRequestError, UdpRequestQueueFullError } from "./errors.js";

/** A key that matches a request with its reply exactly (e.g. the `seq` of a Lars GetHost message). */
export type UdpCorrelationKey = string | number | bigint;

/** Options of one `UdpClient.request()`. */
export interface UdpRequestOptions {
  /** msgid of the reply. Default: the request's msgid (echo style). */
  replyMsgid?: number;
  /** Reject with `LARS_REQUEST_TIMEOUT` after this many ms (`Infinity` = never). Default: the client's `requestTimeoutMs`. */
  timeoutMs?: number;
  /** Abort the wait (`LARS_REQUEST_ABORTED`); a reply arriving later is routed as usual. */
  signal?: AbortSignal;
  /**
   * Correlation, given together with {@link replyKey}: the key of this
   * request, from its encoded body. With keys, any number of requests may
   * wait on one reply msgid (one per key), and a reply goes to the request
   * whose key it carries, whatever the order datagrams arrive in.
   */
  requestKey?: (body: Buffer) => UdpCorrelationKey;
  /**
   * The key of a reply, from its body (a view valid during the call). A reply
   * whose key matches no request, or for which this throws, goes to the router.
   * Every request waiting on one reply msgid must pass the same function.
   */
  replyKey?: (body: Buffer) => UdpCorrelationKey | undefined;
}

interface Pending {
  readonly msgid: number;
  readonly replyMsgid: number;
  readonly key: UdpCorrelationKey | undefined;
  readonly resolve: (reply: Buffer) => void;
  readonly reject: (err: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Slot {
  /** The one uncorrelated request waiting on this reply msgid. */
  plain: Pending | undefined;
  /** Correlated requests by key, and the function that takes a reply's key. */
  readonly byKey: Map<UdpCorrelationKey, Pending>;
  replyKey: ((body: Buffer) => UdpCorrelationKey | undefined) | undefined;
}

/**
 * The requests of one UDP client waiting for replies, bounded by
 * `maxPendingRequests`. UDP may drop and reorder datagrams, so a reply is
 * never matched by position: without keys only one request waits per reply
 * msgid (a second is refused with `LARS_REQUEST_BUSY`); with keys, one per
 * key. A request that times out or is aborted frees its slot at once.
 */
export class UdpRequests {
  private readonly slots = new Map<number, Slot>();
  private count = 0;

  constructor(
    private readonly max: number,
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Requests waiting now. */
  get pending(): number {
    return this.count;
  }

  /** True when a reply on `msgid` may belong to a request (the fast path checks this first). */
  awaits(msgid: number): boolean {
    return this.slots.has(msgid);
  }

  /**
   * Register a request before it is sent; `send` then sends it (a throw from
   * it unregisters the request and rejects with what it threw).
   */
  add(msgid: number, body: Buffer, options: UdpRequestOptions, send: () => void): Promise<Buffer> {
    const replyMsgid = options.replyMsgid ?? msgid;
    const timeoutMs = options.timeoutMs ?? this.defaultTimeoutMs;
    if (!(timeoutMs > 0)) throw new InvalidArgumentError("timeoutMs", `must be a positive number or Infinity, got ${String(timeoutMs)}`);
    if ((options.requestKey === undefined) !== (options.replyKey === undefined)) {
      throw new InvalidArgumentError("requestKey", "requestKey and replyKey are given together or not at all");
    }
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new UdpRequestError("LARS_REQUEST_ABORTED", msgid, replyMsgid, "aborted before it was sent", { cause: signal.reason }));
    }
    if (this.count >= this.max) return Promise.reject(new UdpRequestQueueFullError(msgid, this.max));
    const key = options.requestKey?.(body);
    let slot = this.slots.get(replyMsgid);
    if (key === undefined) {
      if (slot?.plain !== undefined) {
        return Promise.reject(
          new UdpRequestError("LARS_REQUEST_BUSY", msgid, replyMsgid, "another request without keys waits on this reply msgid; pass requestKey/replyKey"),
        );
      }
    } else if (slot !== undefined) {
      if (slot.byKey.has(key)) {
        return Promise.reject(new UdpRequestError("LARS_REQUEST_BUSY", msgid, replyMsgid, `a request with key ${String(key)} already waits`));
      }
      if (slot.replyKey !== undefined && slot.replyKey !== options.replyKey) {
        throw new InvalidArgumentError("replyKey", `requests waiting on reply msgid ${replyMsgid} must use the same replyKey function`);
      }
    }
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { msgid, replyMsgid, key, resolve, reject, timer: undefined, signal, onAbort: undefined };
      if (slot === undefined) {
        slot = { plain: undefined, byKey: new Map(), replyKey: undefined };
        this.slots.set(replyMsgid, slot);
      }
      if (key === undefined) slot.plain = p;
      else {
        slot.byKey.set(key, p);
        slot.replyKey = options.replyKey;
      }
      this.count++;
      try {
        send();
      } catch (err) {
        this.remove(p);
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (Number.isFinite(timeoutMs)) {
        p.timer = setTimeout(() => this.fail(p, new UdpRequestError("LARS_REQUEST_TIMEOUT", msgid, replyMsgid, `no reply within ${timeoutMs} ms`)), timeoutMs);
      }
      if (signal !== undefined) {
        p.onAbort = () => this.fail(p, new UdpRequestError("LARS_REQUEST_ABORTED", msgid, replyMsgid, "aborted", { cause: signal.reason }));
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
    });
  }

  /**
   * A frame arrived on `msgid` (`body` is a view valid during the call): true
   * when it was the reply of a waiting request (resolved with a copy), false
   * when it belongs to the router.
   */
  reply(msgid: number, body: Buffer): boolean {
    const slot = this.slots.get(msgid);
    if (slot === undefined) return false;
    let p: Pending | undefined;
    if (slot.byKey.size > 0 && slot.replyKey !== undefined) {
      let key: UdpCorrelationKey | undefined;
      try {
        key = slot.replyKey(body);
      } catch {
        key = undefined;
      }
      if (key !== undefined) p = slot.byKey.get(key);
    }
    if (p === undefined) p = slot.plain;
    if (p === undefined) return false;
    this.remove(p);
    p.resolve(Buffer.from(body));
    return true;
  }

  /** Reject every waiting request (the client closes). */
  failAll(make: (msgid: number, replyMsgid: number) => Error): void {
    for (const slot of [...this.slots.values()]) {
      for (const p of [slot.plain, ...slot.byKey.values()]) if (p !== undefined) this.fail(p, make(p.msgid, p.replyMsgid));
    }
  }

  private fail(p: Pending, err: Error): void {
    if (!this.remove(p)) return;
    p.reject(err);
  }

  /** Forget `p` (false when it was settled already). */
  private remove(p: Pending): boolean {
    const slot = this.slots.get(p.replyMsgid);
    if (slot === undefined) return false;
    if (p.key === undefined) {
      if (slot.plain !== p) return false;
      slot.plain = undefined;
    } else {
      if (slot.byKey.get(p.key) !== p) return false;
      slot.byKey.delete(p.key);
      if (slot.byKey.size === 0) slot.replyKey = undefined;
    }
    if (slot.plain === undefined && slot.byKey.size === 0) this.slots.delete(p.replyMsgid);
    this.count--;
    if (p.timer !== undefined) clearTimeout(p.timer);
    if (p.onAbort !== undefined) p.signal?.removeEventListener("abort", p.onAbort);
    return true;
  }
}
