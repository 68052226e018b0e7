import { ConnectionAttributes, FrameTooLongError, InvalidMsgidError, MessageRouter, SendError, bodyLength, nextConnectionId } from "@lars/codec";
import type { MessageBody, NetConnection, RouteHandler } from "@lars/codec";
import { InvalidArgumentError } from "@lars/event-loop";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { TcpConn } from "@lars/tcp-conn";
import type { CloseReason, TcpConnOwner } from "@lars/tcp-conn";
import { Connector } from "./connector.js";
import { ClientClosedError, ConnectionLostError, GaveUpError, HookError, QueueDroppedError, RequestError } from "./errors.js";
import { HookRunner } from "./hook-runner.js";
import type { ClientStatus, QueuedMessage } from "./hooks.js";
import { resolveRequestTimeout, resolveTcpClientOptions } from "./options.js";
import type { ResolvedTcpClientOptions, TcpClientOptions } from "./options.js";
import { ReplyRouter } from "./reply-router.js";
import { RequestMatcher } from "./request-matcher.js";
import { SendQueue } from "./send-queue.js";
import { ClientCounters } from "./stats.js";
import type { TcpClientStats } from "./stats.js";

/** Per-call options of {@link TcpClient.request}. */
export interface RequestOptions {
  /** msgid of the reply frame. Default: the request's msgid (echo style). */
  replyMsgid?: number;
  /** Reject with `LARS_REQUEST_TIMEOUT` after this many ms (`Infinity` = never). Default: the client's `requestTimeoutMs` (10000). */
  timeoutMs?: number;
  /** Abort the wait (`LARS_REQUEST_ABORTED`). The request was sent already; its reply will be discarded. */
  signal?: AbortSignal;
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
  private readonly owner: TcpConnOwner;
  private readonly counters = new ClientCounters();
  private conn: TcpConn | undefined;
  private current: ClientStatus = { state: "connecting" };
  private readyWaiters: { resolve: () => void; reject: (err: Error) => void }[] = [];
  private closePromise: Promise<void> | undefined;
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
    this.matcher = new RequestMatcher(loop);
    this.queue = this.opts.queue === null ? null : new SendQueue(this.opts.queue, this.name);
    this.owner = {
      loop,
      router: new ReplyRouter(this.router, this.matcher),
      onRouteError: (_conn, err) => this.hooks.report(err),
      onBackpressure: () => this.hooks.call("onBackpressure", this),
      onDrain: () => this.hooks.call("onDrain", this),
      onClosed: (conn, reason, error) => this.onConnClosed(conn, reason, error),
    };
    const { host, port, name, connectTimeoutMs, backoff, tls } = this.opts;
    this.connector = new Connector(loop, host, port, name, connectTimeoutMs, backoff, {
      onConnected: (socket) => this.onConnected(new TcpConn(socket, this.owner, this.opts.conn)),
      onAttemptFailed: (err) => this.hooks.report(err),
      onRetryScheduled: (attempt, delayMs, lastError) => this.setStatus({ state: "reconnecting", attempt, delayMs, lastError }),
      onGiveUp: (lastError, attempts) => this.giveUp(lastError, attempts),
      onDelayError: (err) => this.hooks.report(new HookError("reconnect.delay", err)),
    }, tls);
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
    return this.counters.snapshot(this.conn, this.connector, this.queue, this.matcher);
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
   * Send `data` with `msgid` and resolve with a copy of the reply body: the
   * next frame of `replyMsgid` not claimed by an earlier request (FIFO; the
   * Lars frame has no sequence number). Never queued: while disconnected it
   * rejects with `SendError` `LARS_NOT_CONNECTED` (await `ready()` first).
   * Rejects with the send's own error, or `RequestError`
   * `LARS_REQUEST_TIMEOUT`, `LARS_REQUEST_ABORTED`, `LARS_CONN_LOST`.
   * @throws InvalidArgumentError for a bad `replyMsgid` or `timeoutMs`.
   */
  request(msgid: number, data: MessageBody, options: RequestOptions = {}): Promise<Buffer> {
    const replyMsgid = options.replyMsgid ?? msgid;
    if ((replyMsgid | 0) !== replyMsgid) throw new InvalidArgumentError("replyMsgid", `must be an int32, got ${replyMsgid}`);
    const timeoutMs = resolveRequestTimeout(options.timeoutMs, this.opts.requestTimeoutMs, "timeoutMs");
    const signal = options.signal;
    if (signal?.aborted === true) {
      return Promise.reject(new RequestError("LARS_REQUEST_ABORTED", msgid, replyMsgid, "aborted before it was sent", { cause: signal.reason }));
    }
    try {
      const conn = this.conn;
      if (conn === undefined || conn.closed) throw this.notConnected(msgid);
      conn.sendMessage(data, msgid);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return this.matcher.add(msgid, replyMsgid, timeoutMs, signal);
  }

  /**
   * Resolves when the client is connected: at once if it is, else on the
   * next successful (re)connect. Rejects with the `"closed"` status' error
   * (`ClientClosedError` or `GaveUpError`) if the client closes first.
   */
  ready(): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.current.state === "closed") return Promise.reject(this.current.error);
    return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
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
      conn.closeWith("shutdown", undefined, deadlineMs === 0);
      if (deadlineMs !== undefined && deadlineMs > 0 && this.conn === conn && !this.loop.stopped) {
        this.deadlineTimer = this.loop.runAfter(deadlineMs, () => conn.closeWith("shutdown", undefined, true));
      }
    }
    return this.closePromise;
  }

  private onConnected(conn: TcpConn): void {
    conn.facade = this;
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
