import type { EventLoop, TimerHandle } from "@lars/event-loop";
import { RequestError } from "./errors.js";

/** One request waiting for its reply. */
interface Pending {
  readonly msgid: number;
  readonly replyMsgid: number;
  readonly resolve: (body: Buffer) => void;
  readonly reject: (err: Error) => void;
  timer: TimerHandle | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  /** Settled already (timed out or aborted): its slot stays, its reply is discarded. */
  settled: boolean;
}

/**
 * Request/reply bookkeeping for one client. The Lars frame has no sequence
 * number, so replies are matched in FIFO order per reply msgid: the first
 * frame of msgid R answers the oldest request still holding a slot for R.
 *
 * A request that times out or is aborted is rejected at once but keeps its
 * slot: the server will still answer it, and that answer must be eaten, or
 * every later request on R would get the reply meant for the one before.
 * Slots go only when their reply arrives or the connection is lost
 * ({@link failAll}). No socket; timers come from the loop.
 */
export class RequestMatcher {
  private readonly queues = new Map<number, Pending[]>();
  private live = 0;
  private slots = 0;
  /** Replies eaten by the slot of a timed-out or aborted request. */
  discardedReplies = 0;

  constructor(private readonly loop: EventLoop) {}

  /** Requests waiting for a reply (not yet settled). */
  get pending(): number {
    return this.live;
  }

  /** Slots held, including those of settled requests whose reply has not come. */
  get slotCount(): number {
    return this.slots;
  }

  /** True while frames of `msgid` belong to the matcher rather than the user's route. */
  has(msgid: number): boolean {
    return this.queues.has(msgid);
  }

  /**
   * Add a request (already sent) waiting for a frame of `replyMsgid`.
   * `timeoutMs` = Infinity for none. `signal` must not be aborted yet.
   */
  add(msgid: number, replyMsgid: number, timeoutMs: number, signal: AbortSignal | undefined): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const p: Pending = { msgid, replyMsgid, resolve, reject, timer: undefined, signal, onAbort: undefined, settled: false };
      if (timeoutMs !== Number.POSITIVE_INFINITY) {
        p.timer = this.loop.runAfter(timeoutMs, () => {
          p.timer = undefined;
          this.settle(p, new RequestError("LARS_REQUEST_TIMEOUT", msgid, replyMsgid, `no reply within ${timeoutMs} ms`));
        });
      }
      if (signal !== undefined) {
        p.onAbort = () => {
          this.settle(p, new RequestError("LARS_REQUEST_ABORTED", msgid, replyMsgid, "aborted", { cause: signal.reason }));
        };
        signal.addEventListener("abort", p.onAbort, { once: true });
      }
      let queue = this.queues.get(replyMsgid);
      if (queue === undefined) this.queues.set(replyMsgid, (queue = []));
      queue.push(p);
      this.live++;
      this.slots++;
    });
  }

  /**
   * A frame of `msgid` arrived. Returns false when no slot waits for it (the
   * frame goes to the user's route). Otherwise the oldest slot takes it:
   * its request resolves with a copy of `body`, or, if it was already
   * settled, the reply is discarded.
   */
  take(msgid: number, body: Buffer): boolean {
    const queue = this.queues.get(msgid);
    if (queue === undefined) return false;
    const p = queue.shift()!;
    if (queue.length === 0) this.queues.delete(msgid);
    this.slots--;
    if (p.settled) {
      this.discardedReplies++;
    } else {
      this.cleanup(p);
      p.resolve(Buffer.from(body));
    }
    return true;
  }

  /** The connection is gone: reject every unsettled request with `err(p)`, free every slot. */
  failAll(makeError: (msgid: number, replyMsgid: number) => Error): void {
    const queues = [...this.queues.values()];
    this.queues.clear();
    this.slots = 0;
    for (const queue of queues) {
      for (const p of queue) {
        if (!p.settled) this.settle(p, makeError(p.msgid, p.replyMsgid));
      }
    }
  }

  /** Reject `p` and keep its slot (see the class comment). */
  private settle(p: Pending, err: Error): void {
    if (p.settled) return;
    this.cleanup(p);
    p.reject(err);
  }

  private cleanup(p: Pending): void {
    p.settled = true;
    this.live--;
    p.timer?.cancel();
    p.timer = undefined;
    if (p.onAbort !== undefined) p.signal?.removeEventListener("abort", p.onAbort);
    p.onAbort = undefined;
    p.signal = undefined;
  }
}
