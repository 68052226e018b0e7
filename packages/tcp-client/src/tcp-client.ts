import { ConnectionAttributes, FrameTooLongError, HookError, InvalidMsgidError, MessageRouter, SendError, bodyLength, nextConnectionId } from "@lars/codec";
import type { Codec, MessageBody, NetConnection, RouteHandler } from "@lars/codec";
import { InvalidArgumentError } from "@lars/iobuf";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { TcpConn, closeConnection } from "@lars/tcp-conn";
import type { CloseReason, TcpConnEvents } from "@lars/tcp-conn";
import { Connector } from "./connector.js";
import { ClientClosedError, ConnectionLostError, GaveUpError, QueueDroppedError, ReadyError, RequestError, RequestQueueFullError } from "./errors.js";
import { HookRunner } from "./hook-runner.js";
import type { ClientStatus, QueuedMessage } from "./hooks.js";
import { resolveRequestTimeout, resolveTcpClientOptions } from "./options.js";
import type { ResolvedTcpClientOptions, TcpClientOptions } from "./options.js";
import { ReplyRouter } from "./reply-router.js";
import { RequestMatcher } from "./request-matcher.js";
import type { CorrelationKey, ReplyDecoder } from "./request-matcher.js";
import { SendQueue } from "./send-queue.js";
import { ClientCounters } from "./stats.js";
import type { TcpClientStats } from "./stats.js";

/**
 * Exact request/reply matching: the key of a request must equal the key of
 * its reply (e.g. the `seq` field the Lars agent protocol carries in GetHost
 * messages). `requestKey` sees the request as given to `request()` (the
 * value before encoding with a `requestCodec`); `replyKey` sees the reply as
 * the caller gets it (a Buffer copy, or the `replyCodec`'s value). A reply
 * whose key no request waits for goes to the user's route.
 */
export interface RequestCorrelation<Req = MessageBody, Res = Buffer> {
  requestKey(request: Req): CorrelationKey;
  replyKey(reply: Res): unknown;
}

/** Per-call options of {@link TcpClient.request}. */
export interface RequestOptions<Req = MessageBody, Res = Buffer> {
  /** msgid of the reply frame. Default: the request's msgid (echo style). */
  replyMsgid?: number;
  /** Reject with `LARS_REQUEST_TIMEOUT` after this many ms (`Infinity` = never). Default: the client's `requestTimeoutMs` (10000). */
  timeoutMs?: number;
  /** Abort the wait (`LARS_REQUEST_ABORTED`). The request was sent already; its reply will be discarded. */
  signal?: AbortSignal;
  /**
   * Match the reply by key instead of FIFO order. Without it, replies on a
   * reply msgid are matched in order, and a timeout resets the connection
   * (other uncorrelated requests fail with `LARS_REQUEST_RESET`).
   */
  correlation?: RequestCorrelation<Req, Res>;
}

/** Options of a typed {@link TcpClient.request}: the request is encoded with `requestCodec`, the reply decoded with `replyCodec`. */
export interface TypedRequestOptions<Req, Res> extends RequestOptions<Req, Res> {
  requestCodec: Codec<Req>;
  replyCodec: Codec<Res>;
}

/** Options of {@link TcpClient.ready}. */
export interface ReadyOptions {
  /** Reject with `ReadyError` `LARS_READY_TIMEOUT` after this many ms (`Infinity` = never). Default: Infinity. */
  timeoutMs?: number;
  /** Reject with `ReadyError` `LARS_READY_ABORTED` when it aborts. */
  signal?: AbortSignal;
}

interface ReadyWaiter {
  resolve: () => void;
  reject: (err: Error) => void;
}


const CONNECTED: ClientStatus = { state: "connected" };

/**
 * A Lars TCP client (C++ `tcp_client`): one framed connection to a server,
 * kept up by reconnecting with capped exponential backoff and jitter.
 *
 * The client connects from its constructor, without blocking, and is owned
 * by `loop` (so `loop.stop()` closes it). It IS the {@link NetConnection}
 * route handlers and hooks receive, across reconnects: its attributes
 * (`setAttr`/`getAttr`) and its `id` stay while the connection underneath
 * comes and goes. Each connection is a `@lars/tcp-conn` `TcpConn` (decoder,
 * coalesced writes, output cap, backpressure); the `Connector` owns
 * connect attempts and backoff.
 *
 * All methods run on the loop's thread and are allowed inside handlers and
 * hooks. Network failures never throw: they go to hooks and `status`.
 */
export class TcpClient extends ConnectionAttributes implements NetConnection, LoopResource {
  /** Stable for the client's life (not the id of the connection underneath). */
  readonly id = nextConnectionId();
  readonly transport = "tcp";
  readonly loop: EventLoop;
  /** The routes frames from the server go to (the `router` option, or the client's own). */
  readonly router: MessageRouter<NetConnection>;
  readonly name: string;
  readonly host: string;
  readonly port: number;

  private readonly opts: ResolvedTcpClientOptions;
  private readonly hooks: HookRunner;
  private readonly connector: Connector;
  private readonly matcher: RequestMatcher;
  private readonly queue: SendQueue | null;
  /** What each connection of this client tells it: one object, made once. */
  private readonly connEvents: TcpConnEvents;
  private readonly replies: ReplyRouter;
  private readonly counters = new ClientCounters();
  private conn: TcpConn | undefined;
  private current: ClientStatus = { state: "connecting" };
  private readyWaiters: ReadyWaiter[] = [];
  private lastConnectError: Error | undefined;
  private closePromise: Promise<void> | undefined;
  private endedPromise: Promise<void> | undefined;
  private resolveEnded: (() => void) | undefined;
  private ended = false;
  private resolveClose: () => void = () => {};
  private deadlineTimer: TimerHandle | undefined;

  /**
   * Start connecting to `options.host:options.port` and register with `loop`.
   * @throws InvalidArgumentError / RangeError naming a bad option;
   *   LoopStoppedError when the loop has stopped.
   */
  constructor(loop: EventLoop, options: TcpClientOptions) {
    super();
    this.opts = resolveTcpClientOptions(options);
    this.loop = loop;
    this.hooks = new HookRunner(this, options, () => options.logger ?? loop.logger);
    this.name = this.opts.name;
    this.host = this.opts.host;
    this.port = this.opts.port;
    this.router = options.router ?? new MessageRouter<NetConnection>();
    this.matcher = new RequestMatcher(loop, () => this.resetForReplyOrder());
    this.queue = this.opts.queue === null ? null : new SendQueue(this.opts.queue, this.name);
    this.replies = new ReplyRouter(this.router, this.matcher, (err) => this.hooks.report(err));
    this.connEvents = {
      loop,
      // Handlers get the client as `conn`: it is the NetConnection users see, across reconnects.
      onFrame: (msgid, body) => {
        const err = this.replies.dispatch(msgid, body, this);
        if (err !== undefined) this.hooks.report(err);
      },
      onBackpressure: () => this.hooks.call("onBackpressure", this),
      onDrain: () => this.hooks.call("onDrain", this),
      onClosed: (conn, reason, error) => this.onConnClosed(conn, reason, error),
    };
    const { host, port, name, connectTimeoutMs, backoff, tls } = this.opts;
    this.connector = new Connector(loop, host, port, name, connectTimeoutMs, backoff, {
      onConnected: (socket) => this.onConnected(new TcpConn(socket, this.connEvents, this.opts.conn)),
      onAttemptFailed: (err) => {
        this.lastConnectError = err;
        this.hooks.report(err);
      },
      onRetryScheduled: (attempt, delayMs, lastError) => this.setStatus({ state: "reconnecting", attempt, delayMs, lastError }),
      onGiveUp: (lastError, attempts) => this.giveUp(lastError, attempts),
      onDelayError: (err) => this.hooks.report(new HookError("reconnect.delay", err)),
    }, tls, this.opts.stableAfterMs);
    loop.own(this);
    this.connector.start();
  }

  /** Where the client is; see {@link ClientStatus}. */
  get status(): ClientStatus {
    return this.current;
  }

  /** True while a connection is up and not closing: `sendMessage` writes to it. */
  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** True once the client is closed for good (`close()`, `loop.stop()` or gave up). Not while reconnecting. */
  get closed(): boolean {
    return this.closePromise !== undefined;
  }

  /**
   * Resolves once the client is closed for good and its socket is gone:
   * `close()` / `loop.stop()` finished, or it gave up reconnecting. Never
   * rejects; the same promise on every call. (`closed` stays the boolean
   * every `NetConnection` has.)
   */
  whenClosed(): Promise<void> {
    if (this.endedPromise === undefined) {
      this.endedPromise = this.ended ? Promise.resolve() : new Promise((resolve) => (this.resolveEnded = resolve));
    }
    return this.endedPromise;
  }

  private markEnded(): void {
    this.ended = true;
    this.resolveEnded?.();
    this.resolveEnded = undefined;
  }

  get remoteAddress(): string | undefined {
    return this.conn?.remoteAddress;
  }

  get remotePort(): number | undefined {
    return this.conn?.remotePort;
  }

  /** Bytes accepted and not yet written to the kernel (0 while disconnected). */
  get pendingBytes(): number {
    return this.conn?.pendingBytes ?? 0;
  }

  /** Counters since the client was created. */
  stats(): TcpClientStats {
    return this.counters.snapshot(this.conn, this.connector, this.queue, this.matcher, this.hooks.unreported);
  }

  /**
   * Route frames of `msgid` to `handler` (Lars `add_msg_router`); `conn` in
   * the handler is this client. Same as `client.router.register(...)`.
   * @throws DuplicateRouteError, InvalidMsgidError.
   */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Send one frame. Connected: exactly `TcpConn.sendMessage` — true when
   * accepted, false when accepted past the high-water mark; throws
   * `SendError` `LARS_OUTPUT_FULL` past the cap. Not connected: throws
   * `LARS_NOT_CONNECTED`, or with `queueWhileDisconnected` copies the message
   * into the queue and returns true (`LARS_QUEUE_FULL` past its bounds).
   * Closed: throws `LARS_CONN_CLOSED`. A refused message was not queued.
   * @throws also FrameTooLongError, InvalidMsgidError.
   */
  sendMessage(data: MessageBody, msgid: number): boolean {
    const conn = this.conn;
    if (conn !== undefined && !conn.closed) return conn.sendMessage(data, msgid);
    if (this.queue === null || this.closePromise !== undefined) throw this.notConnected(msgid);
    if ((msgid | 0) !== msgid) throw new InvalidMsgidError(msgid);
    const length = bodyLength(data);
    if (length > this.opts.conn.maxMessageLength) throw new FrameTooLongError(msgid, length, this.opts.conn.maxMessageLength);
    this.queue.push(data, msgid);
    return true;
  }

  /**
   * Send `data` with `msgid` and resolve with a copy of the reply body.
   * Matching: with `correlation`, the reply whose key equals the request's;
   * else the next frame of `replyMsgid` not claimed by an earlier request
   * (FIFO; the Lars frame has no sequence number). An uncorrelated request
   * that times out makes the client reset the connection (and fail the other
   * uncorrelated requests with `LARS_REQUEST_RESET`): a caller never gets
   * another caller's reply. While no request waits on `replyMsgid`, its
   * frames go to the user's route.
   *
   * Typed form: with `requestCodec` and `replyCodec`, `data` is encoded by
   * the first and the reply decoded by the second.
   *
   * Never queued: while disconnected it rejects with `SendError`
   * `LARS_NOT_CONNECTED` (await `ready()` first). Rejects with the send's
   * own error, `RequestQueueFullError` (`LARS_REQUEST_QUEUE_FULL`, past
   * `maxPendingRequests`, nothing sent), or `RequestError`
   * `LARS_REQUEST_TIMEOUT`, `LARS_REQUEST_ABORTED`, `LARS_REQUEST_RESET`, `LARS_CONN_LOST`.
   * @throws InvalidArgumentError for a bad `replyMsgid` or `timeoutMs`.
   */
  request(msgid: number, data: MessageBody, options?: RequestOptions): Promise<Buffer>;
  request<Req, Res>(msgid: number, value: Req, options: TypedRequestOptions<Req, Res>): Promise<Res>;
  request(msgid: number, data: unknown, options: Partial<TypedRequestOptions<unknown, unknown>> = {}): Promise<unknown> {
    const replyMsgid = options.replyMsgid ?? msgid;
    if ((replyMsgid | 0) !== replyMsgid) throw new InvalidArgumentError("replyMsgid", `must be an int32, got ${replyMsgid}`);
    const timeoutMs = resolveRequestTimeout(options.timeoutMs, this.opts.requestTimeoutMs, "timeoutMs");
    const { signal, requestCodec, replyCodec, correlation } = options;
    if (signal?.aborted === true) {
      return Promise.reject(new RequestError("LARS_REQUEST_ABORTED", msgid, replyMsgid, "aborted before it was sent", { cause: signal.reason }));
    }
    let key: CorrelationKey | undefined;
    try {
      if (this.matcher.slotCount >= this.opts.maxPendingRequests) throw new RequestQueueFullError(this.name, msgid, this.opts.maxPendingRequests);
      if (correlation !== undefined) {
        key = correlation.requestKey(data);
        if (this.matcher.hasKey(replyMsgid, key)) {
          throw new InvalidArgumentError("correlation.requestKey", `key ${String(key)} is already waiting for a reply on msgid ${replyMsgid}`);
        }
      }
      const conn = this.conn;
      if (conn === undefined || conn.closed) throw this.notConnected(msgid);
      conn.sendMessage(requestCodec === undefined ? (data as MessageBody) : requestCodec.encode(data), msgid);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const decode: ReplyDecoder | undefined = replyCodec === undefined ? undefined : (body) => replyCodec.decode(body);
    return this.matcher.add(
      msgid,
      replyMsgid,
      timeoutMs,
      signal,
      decode,
      correlation === undefined || key === undefined ? undefined : { key, replyKey: (reply) => correlation.replyKey(reply) },
    );
  }

  /**
   * Resolves when the client is connected: at once if it is, else on the
   * next successful (re)connect. Rejects with the `"closed"` status' error
   * (`ClientClosedError` or `GaveUpError`) if the client closes first, and
   * with `ReadyError` `LARS_READY_TIMEOUT` (`cause`: the last connect error)
   * or `LARS_READY_ABORTED` when `timeoutMs` passes or `signal` aborts first;
   * the client then keeps reconnecting.
   * @throws InvalidArgumentError for a bad `timeoutMs`.
   */
  ready(options: ReadyOptions = {}): Promise<void> {
    const timeoutMs = resolveRequestTimeout(options.timeoutMs, Number.POSITIVE_INFINITY, "timeoutMs");
    const signal = options.signal;
    if (this.connected) return Promise.resolve();
    if (this.current.state === "closed") return Promise.reject(this.current.error);
    if (signal?.aborted === true) return Promise.reject(new ReadyError("LARS_READY_ABORTED", this.name, "ready() aborted", { cause: signal.reason }));
    return new Promise((resolve, reject) => {
      let timer: TimerHandle | undefined;
      let onAbort: (() => void) | undefined;
      const done = (): void => {
        timer?.cancel();
        if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
        const i = this.readyWaiters.indexOf(waiter);
        if (i >= 0) this.readyWaiters.splice(i, 1);
      };
      const waiter: ReadyWaiter = {
        resolve: () => {
          done();
          resolve();
        },
        reject: (err) => {
          done();
          reject(err);
        },
      };
      if (timeoutMs !== Number.POSITIVE_INFINITY) {
        timer = this.loop.runAfter(timeoutMs, () => {
          const last = this.lastConnectError;
          waiter.reject(
            new ReadyError("LARS_READY_TIMEOUT", this.name, `not connected within ${timeoutMs} ms${last === undefined ? "" : `: ${last.message}`}`, { cause: last }),
          );
        });
      }
      if (signal !== undefined) {
        onAbort = () => waiter.reject(new ReadyError("LARS_READY_ABORTED", this.name, "ready() aborted", { cause: signal.reason }));
        signal.addEventListener("abort", onAbort, { once: true });
      }
      this.readyWaiters.push(waiter);
    });
  }

  /**
   * Close for good: stop reconnecting, drop (and report) queued messages,
   * flush what the connection accepted, close it (`onConnClose` reason
   * `"shutdown"`), and resolve once the socket is gone. Idempotent: every
   * call returns the same promise, which never rejects. Allowed in hooks.
   * @param deadlineMs destroy the socket if it has not closed by then
   *   (0 = at once). Default: the `closeTimeoutMs` option (5000).
   */
  // NetConnection.close() returns void; this promise never rejects, so a caller may ignore it.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  close(deadlineMs?: number): Promise<void> {
    if (deadlineMs !== undefined && !(typeof deadlineMs === "number" && deadlineMs >= 0 && Number.isFinite(deadlineMs))) {
      throw new InvalidArgumentError("deadlineMs", `must be a finite number >= 0, got ${String(deadlineMs)}`);
    }
    if (this.closePromise !== undefined) return this.closePromise;
    this.closePromise = new Promise((resolve) => (this.resolveClose = resolve));
    this.connector.stop();
    const err = new ClientClosedError(this.name);
    this.setStatus({ state: "closed", reason: "closed", error: err });
    this.terminate(err);
    const conn = this.conn;
    if (conn === undefined) {
      this.finish();
    } else {
      closeConnection(conn, "shutdown", undefined, deadlineMs === 0);
      if (deadlineMs !== undefined && deadlineMs > 0 && this.conn === conn && !this.loop.stopped) {
        this.deadlineTimer = this.loop.runAfter(deadlineMs, () => closeConnection(conn, "shutdown", undefined, true));
      }
    }
    return this.closePromise;
  }

  /** An uncorrelated request timed out: its reply may still come, so the FIFO order is lost. Reset the connection. */
  private resetForReplyOrder(): void {
    const conn = this.conn;
    if (conn === undefined || conn.closed) return;
    closeConnection(conn, "local", new RequestError("LARS_REQUEST_RESET", 0, 0, "an uncorrelated request timed out; connection reset to restore the reply order"), true);
  }

  private onConnected(conn: TcpConn): void {
    this.conn = conn;
    this.counters.connections++;
    this.setStatus(CONNECTED);
    this.hooks.call("onConnStart", this);
    if (this.conn !== conn || conn.closed) return;
    const queued = this.queue?.takeAll() ?? [];
    for (let i = 0; i < queued.length; i++) {
      const m = queued[i]!;
      try {
        conn.sendMessage(m.body, m.msgid);
      } catch (err) {
        this.dropped(queued.slice(i), err as Error);
        break;
      }
    }
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.resolve();
    this.lastConnectError = undefined;
  }

  private onConnClosed(conn: TcpConn, reason: CloseReason, error: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.counters.add(conn);
    this.deadlineTimer?.cancel();
    this.deadlineTimer = undefined;
    const lost = new ConnectionLostError(this.name, reason, { cause: error });
    this.matcher.failAll((m, r) => new RequestError("LARS_CONN_LOST", m, r, `connection lost (${reason})`, { cause: lost }));
    this.hooks.call("onConnClose", this, reason, error);
    if (this.closePromise !== undefined) this.finish();
    else this.connector.retry(lost);
  }

  private giveUp(lastError: Error, attempts: number): void {
    if (this.closePromise !== undefined) return;
    this.closePromise = Promise.resolve();
    const err = new GaveUpError(this.name, attempts, lastError);
    this.setStatus({ state: "closed", reason: "gave-up", error: err });
    this.terminate(err);
    this.hooks.call("onGiveUp", this, lastError, attempts);
    this.loop.disown(this);
    this.markEnded();
  }

  /** The client is closed for good: reject `ready()` waiters, report the queue. */
  private terminate(err: Error): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w.reject(err);
    const queued = this.queue?.takeAll() ?? [];
    if (queued.length > 0) this.dropped(queued, err);
  }

  private finish(): void {
    this.loop.disown(this);
    this.resolveClose();
    this.markEnded();
  }

  private dropped(messages: QueuedMessage[], err: Error): void {
    if (this.hooks.has("onQueuedDropped")) this.hooks.call("onQueuedDropped", this, messages, err);
    else this.hooks.report(new QueueDroppedError(this.name, messages.length, err));
  }

  private notConnected(msgid: number): SendError {
    return this.closePromise !== undefined
      ? new SendError("LARS_CONN_CLOSED", `${this.name}: client is closed; message msgid ${msgid} refused`)
      : new SendError("LARS_NOT_CONNECTED", `${this.name}: not connected (${this.current.state}); message msgid ${msgid} refused`);
  }

  private setStatus(status: ClientStatus): void {
    this.current = status;
    this.hooks.call("onStatusChange", this, status);
  }
}
