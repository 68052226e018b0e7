import cluster from "node:cluster";
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { TLSSocket, TlsOptions } from "node:tls";
import { MessageRouter } from "@lars/codec";
import type { MessageBody, NetConnection, RouteHandler } from "@lars/codec";
import { InvalidArgumentError, LarsError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { TcpConn } from "@lars/tcp-conn";
import type { CloseReason, TcpConnOwner } from "@lars/tcp-conn";
import { ClusterPrimary } from "./cluster-primary.js";
import type { WorkerExitInfo, WorkerReadyInfo } from "./cluster-primary.js";
import { ClusterWorker } from "./cluster-worker.js";
import { HookError, ListenAbortedError, ServerStateError, listenError } from "./errors.js";
import { WORKER_ENV } from "./ipc-messages.js";
import { TaskRegistry } from "./task-registry.js";
import type { TaskHandler } from "./task-registry.js";
import type { TcpServerHooks } from "./hooks.js";
import { DEFAULT_SHUTDOWN_DEADLINE_MS, resolveTcpServerOptions } from "./options.js";
import type { ResolvedTcpServerOptions, TcpServerOptions } from "./options.js";
import { StatsAccumulator } from "./server-stats.js";
import type { TcpServerStats } from "./server-stats.js";

/** Outcome of {@link TcpServer.broadcast}. */
export interface BroadcastResult {
  /** Connections that accepted the frame. */
  sent: number;
  /** Connections that refused it (closed or output full); each refusal is reported via `onError`. */
  refused: number;
}

/** Which process of a server this is: the only one, a multi-worker primary, or one of its workers. */
export type ServerRole = "single" | "primary" | "worker";

let multiWorkerServerMade = false;

/**
 * A Lars TCP server (C++ `tcp_server`): accepts connections up to `maxConn`,
 * frames and routes their messages, and runs the hooks. Owned by its loop:
 * `loop.stop()` closes it.
 *
 * With `workers: N > 0` the same program runs in a primary and N
 * `node:cluster` workers (see the README): the primary accepts and hands
 * connections out round-robin; routes and hooks run in the workers.
 */
export class TcpServer implements LoopResource, TcpConnOwner {
  readonly loop: EventLoop;
  readonly router: MessageRouter<NetConnection>;
  readonly logger: Logger | undefined;
  readonly options: ResolvedTcpServerOptions;
  private readonly hooks: TcpServerHooks;
  private readonly conns = new Set<TcpConn>();
  /** TLS, single process: raw sockets accepted whose handshake is not done. They count against `maxConn`. */
  private readonly handshaking = new Set<Socket>();
  /** Raw TLS sockets refused by maxConn: their failed handshake is not a TLS error. */
  private readonly refusedRaw = new WeakSet<Socket>();
  private readonly counters = new StatsAccumulator();
  private server: Server | undefined;
  private sweepTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  private allClosed: (() => void) | undefined;
  private readonly tasks = new TaskRegistry();
  private readonly primary: ClusterPrimary | undefined;
  private readonly worker: ClusterWorker | undefined;
  /** Which process of the server this is. */
  readonly role: ServerRole;

  constructor(loop: EventLoop, options: TcpServerOptions = {}) {
    this.loop = loop;
    this.options = resolveTcpServerOptions(options);
    this.router = options.router ?? new MessageRouter();
    this.logger = options.logger ?? loop.logger;
    this.hooks = options;
    const workers = options.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0) throw new InvalidArgumentError("workers", `must be a non-negative integer, got ${workers}`);
    if (workers === 0) {
      this.role = "single";
    } else {
      if (multiWorkerServerMade) throw new ServerStateError("only one TcpServer per program may use workers");
      multiWorkerServerMade = true;
      if (cluster.isPrimary) {
        this.role = "primary";
        this.primary = new ClusterPrimary(this.options, workers, {
          report: (err) => this.report(err, undefined),
          refused: (info) => this.callHook("onConnRefused", undefined, this.hooks.onConnRefused, info),
          workerExit: (info: WorkerExitInfo) => this.callHook("onWorkerExit", undefined, this.hooks.onWorkerExit, info),
          workerReady: (info: WorkerReadyInfo) => this.callHook("onWorkerReady", undefined, this.hooks.onWorkerReady, info),
        });
      } else if (process.env[WORKER_ENV] === "1") {
        this.role = "worker";
        this.worker = new ClusterWorker({
          adopt: (socket) => this.adopt(socket),
          runTask: (name, payload, later) => this.tasks.run(name, payload, (err) => later(err.message))?.message,
          stats: () => this.stats(),
          shutdown: (deadlineMs) => void this.loop.stop(deadlineMs),
        });
      } else {
        throw new ServerStateError("workers > 0 in a cluster worker that this server did not fork");
      }
    }
    loop.own(this);
  }

  /**
   * Register a named task (C++ Lars `task_func`), in every process: the
   * same program runs in the primary and in each worker. {@link sendTask}
   * runs it on the workers' loops. @throws TaskError `LARS_TASK_DUPLICATE`
   */
  onTask(name: string, handler: TaskHandler): this {
    this.tasks.register(name, handler);
    return this;
  }

  /**
   * Run task `name` with a JSON-serialisable `payload` (C++ `send_task`): in
   * every worker (`"all"`) or the worker with that id; in a single-process
   * server, on this loop in the next batch. Returns how many processes it
   * was sent to. Failures in a worker are reported through `onError`.
   */
  sendTask(name: string, payload: unknown = null, target: "all" | number = "all"): number {
    if (this.primary !== undefined) return this.primary.sendTask(name, payload, target);
    this.loop.addTask(() => {
      const err = this.tasks.run(name, payload, this.reportTask);
      if (err !== undefined) this.report(err, undefined);
    });
    return 1;
  }

  /** Worker ids (primary only; empty elsewhere). */
  workerIds(): number[] {
    return this.primary?.workerIds() ?? [];
  }

  /** Route frames of `msgid` to `handler` (C++ `add_msg_router`). @throws DuplicateRouteError */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Start accepting. Resolves with the bound address (with the real port
   * when `port` was 0). Rejects with {@link AddressInUseError} or
   * {@link ListenError}, or with {@link ListenAbortedError} when `signal`
   * aborts before the server listens (the server is then closed; an abort
   * after that changes nothing).
   */
  listen(options: { readonly signal?: AbortSignal } = {}): Promise<AddressInfo> {
    const { signal } = options;
    if (signal === undefined) return this.listenNow();
    if (signal.aborted) return Promise.reject(new ListenAbortedError(signal.reason));
    const listening = this.listenNow();
    return new Promise<AddressInfo>((resolve, reject) => {
      const onAbort = (): void => {
        reject(new ListenAbortedError(signal.reason));
        this.close().catch((err: unknown) => this.report(new LarsError("LARS_SERVER_ERROR", "close after an aborted listen() failed", { cause: err }), undefined));
      };
      signal.addEventListener("abort", onAbort, { once: true });
      listening.then(
        (address) => {
          signal.removeEventListener("abort", onAbort);
          resolve(address);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private listenNow(): Promise<AddressInfo> {
    if (this.server !== undefined) return Promise.reject(new ServerStateError("listen() called twice"));
    if (this.closing !== undefined) return Promise.reject(new ServerStateError("server is closed"));
    if (this.primary !== undefined) return this.primary.listen().then((a) => this.startedOn(a));
    if (this.worker !== undefined) return this.worker.listen().then((a) => this.startedOn(a));
    const tlsOptions = this.options.tls;
    let server: Server;
    if (tlsOptions === undefined) {
      server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    } else {
      server = this.createTlsServer(tlsOptions);
    }
    this.server = server;
    const { host, port, backlog } = this.options;
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        this.rejectListen = undefined;
        reject(listenError(host, port, err));
      };
      this.rejectListen = reject;
      server.once("error", onError);
      server.listen({ host, port, backlog }, () => {
        server.off("error", onError);
        this.rejectListen = undefined;
        if (this.closing !== undefined) {
          // close() came first: do not keep a listening handle it no longer waits for.
          server.close();
          reject(new ServerStateError("server closed before listening"));
          return;
        }
        server.on("error", (err) => this.report(new LarsError("LARS_SERVER_ERROR", err.message, { cause: err }), undefined));
        resolve(this.startedOn(server.address() as AddressInfo));
      });
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  private bound: AddressInfo | undefined;
  /** Set while a single-process listen() is pending, so close() can settle it. */
  private rejectListen: ((err: Error) => void) | undefined;

  private startedOn(address: AddressInfo): AddressInfo {
    this.bound = address;
    this.startSweep();
    return address;
  }

  /** The connections open now (a snapshot). */
  connections(): TcpConn[] {
    return [...this.conns];
  }

  /** Connections open now (in a primary: across all workers). */
  get connectionCount(): number {
    return this.primary?.connectionCount ?? this.conns.size;
  }

  /**
   * Send one frame to every open connection of this process. Refusals are
   * reported, not thrown (except a body too long).
   * @throws ServerStateError in a multi-worker primary: it holds no
   *   connections (they live in the workers); run a task that broadcasts
   *   in each worker instead (`onTask` + `sendTask`).
   */
  broadcast(data: MessageBody, msgid: number): BroadcastResult {
    if (this.primary !== undefined) {
      throw new ServerStateError("broadcast() in a multi-worker primary reaches no connection: send a task that broadcasts in each worker");
    }
    const result: BroadcastResult = { sent: 0, refused: 0 };
    for (const conn of this.conns) {
      try {
        conn.sendMessage(data, msgid);
        result.sent++;
      } catch (err) {
        if (err instanceof LarsError && err.code === "LARS_FRAME_TOO_LONG") throw err;
        result.refused++;
        this.report(err instanceof LarsError ? err : new HookError("broadcast", err), conn);
      }
    }
    return result;
  }

  /**
   * Counters now. In a primary: its own connection counts plus each
   * worker's last reported counters (see {@link collectStats} for fresh ones).
   */
  stats(): TcpServerStats {
    if (this.primary !== undefined) return this.primary.stats();
    return this.counters.snapshot(this.conns, this.conns.size);
  }

  /** {@link stats}, after asking every worker for fresh counters (waits at most `timeoutMs`). */
  collectStats(timeoutMs = 1000): Promise<TcpServerStats> {
    return this.primary?.collectStats(timeoutMs) ?? Promise.resolve(this.stats());
  }

  /**
   * Graceful shutdown: stop accepting, flush what each connection was sent,
   * close them (`"shutdown"`, close hooks fire), and resolve. Connections
   * still open after `deadlineMs` (default 5000) are destroyed. Idempotent:
   * every call returns the same promise.
   */
  close(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    this.sweepTimer?.cancel();
    this.rejectListen?.(new ServerStateError("server closed before listening"));
    this.rejectListen = undefined;
    if (this.primary !== undefined) {
      await this.primary.close(deadlineMs);
      this.loop.disown(this);
      return;
    }
    const server = this.server;
    const listening = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    // Peers still in the TLS handshake have no Lars connection to drain: drop them now, so an idle
    // raw peer cannot hold server.close() (net.Server waits for every socket it accepted).
    for (const raw of this.handshaking) raw.destroy();
    this.handshaking.clear();
    if (this.conns.size > 0) {
      const drained = new Promise<void>((resolve) => (this.allClosed = resolve));
      for (const conn of this.conns) conn.closeWith("shutdown");
      const deadline = setTimeout(() => {
        for (const conn of this.conns) conn.closeWith("shutdown", undefined, true);
      }, deadlineMs);
      await drained;
      clearTimeout(deadline);
    }
    await listening;
    this.worker?.detach();
    this.loop.disown(this);
  }

  private accept(socket: Socket): void {
    // TLS: the raw socket under this one was counted (and let in) by acceptRaw; it is a connection now.
    const raw = (socket as Socket & { _parent?: Socket })._parent;
    const wasHandshaking = raw !== undefined && this.handshaking.delete(raw);
    // A worker's connections were counted against maxConn by the primary.
    if (this.closing !== undefined || (this.worker === undefined && !wasHandshaking && this.conns.size >= this.options.maxConn)) {
      this.refuse(socket);
      return;
    }
    const conn = new TcpConn(socket, this, this.options.conn);
    this.conns.add(conn);
    this.counters.total++;
    this.callHook("onConnStart", conn, this.hooks.onConnStart, conn);
  }

  /**
   * A worker takes a raw connection from the primary; with TLS it runs the
   * handshake here (the primary only ever sees TCP).
   */
  private adopt(socket: Socket): void {
    const tlsOptions = this.options.tls;
    if (tlsOptions === undefined) {
      this.accept(socket);
      return;
    }
    // A tls.Server that never listens, fed the handed-over socket: the handshake, its timeout,
    // client-certificate verification (`rejectUnauthorized` is enforced by tls.Server after the
    // handshake, not by a bare TLSSocket) and error reporting are exactly those of a single process.
    this.workerTls ??= this.createTlsServer(tlsOptions);
    this.workerTls.emit("connection", socket);
  }

  /** Workers with TLS: the tls.Server that handshakes the connections the primary hands over. */
  private workerTls: Server | undefined;

  private createTlsServer(tlsOptions: TlsOptions): Server {
    const server = createTlsServer({ ...tlsOptions, handshakeTimeout: this.options.handshakeTimeoutMs }, (socket) => this.accept(socket));
    server.on("tlsClientError", (err: Error, socket: TLSSocket) => this.onTlsError(err, socket));
    // maxConn counts raw sockets before their handshake (single process; a worker's were counted by
    // the primary). prependListener: refuse before tls.Server starts a handshake on it.
    if (this.worker === undefined) server.prependListener("connection", (raw: Socket) => this.acceptRaw(raw));
    return server;
  }

  /** TLS, single process: a raw socket arrived; refuse it past `maxConn` (handshakes counted) or while closing. */
  private acceptRaw(raw: Socket): void {
    if (this.closing !== undefined || this.conns.size + this.handshaking.size >= this.options.maxConn) {
      this.refusedRaw.add(raw);
      this.refuse(raw);
      return;
    }
    this.handshaking.add(raw);
    raw.once("close", () => this.handshaking.delete(raw));
  }

  /** Count, drop, and (unless closing) report a refused socket. */
  private refuse(socket: Socket): void {
    this.counters.refused++;
    const info = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    socket.on("error", () => {}); // the refused peer may reset; nothing to report
    socket.destroy();
    if (this.closing === undefined) this.callHook("onConnRefused", undefined, this.hooks.onConnRefused, info);
  }

  /** A TLS handshake failed (tls.Server `tlsClientError`, once per socket): count, drop, report. */
  private onTlsError(err: Error, socket: TLSSocket): void {
    const raw = (socket as TLSSocket & { _parent?: Socket })._parent;
    if (raw !== undefined && this.refusedRaw.has(raw)) {
      socket.destroy(); // refused by maxConn, counted as such already
      return;
    }
    this.counters.tlsErrors++;
    const remote = socket.remoteAddress;
    socket.destroy();
    // A refused client certificate shows up as a hang-up; say what really happened.
    const refused = socket.authorizationError;
    const why = refused !== undefined && refused !== null ? `client certificate refused (${String(refused)})` : err.message;
    this.report(new LarsError("LARS_TLS_HANDSHAKE", `TLS handshake with ${remote ?? "?"} failed: ${why}`, { cause: err }), undefined);
    this.worker?.connectionClosed();
  }

  /** @internal TcpConnOwner */
  onRouteError(conn: TcpConn, err: LarsError): void {
    this.counters.routeErrors++;
    this.report(err, conn);
  }

  /** @internal TcpConnOwner */
  onBackpressure(conn: TcpConn): void {
    this.callHook("onBackpressure", conn, this.hooks.onBackpressure, conn);
  }

  /** @internal TcpConnOwner */
  onDrain(conn: TcpConn): void {
    this.callHook("onDrain", conn, this.hooks.onDrain, conn);
  }

  /** @internal TcpConnOwner */
  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void {
    this.conns.delete(conn);
    this.counters.retire(conn, reason);
    if (reason === "bad-frame" && error instanceof LarsError) this.report(error, conn);
    this.callHook("onConnClose", conn, this.hooks.onConnClose, conn, reason, error);
    this.worker?.connectionClosed();
    if (this.conns.size === 0 && this.allClosed !== undefined) this.allClosed();
  }

  /** One timer for every connection's idle and frame deadlines (like Lars's timer queue), not one per socket. */
  private startSweep(): void {
    const { idleTimeoutMs, frameTimeoutMs } = this.options;
    if (idleTimeoutMs === 0 && frameTimeoutMs === 0) return;
    const shortest = Math.min(idleTimeoutMs || Infinity, frameTimeoutMs || Infinity);
    const every = Math.max(10, Math.min(1000, shortest / 4));
    this.sweepTimer = this.loop.runEvery(every, () => {
      const now = performance.now();
      for (const conn of this.conns) {
        if (idleTimeoutMs > 0 && now - conn.lastReceiveAt >= idleTimeoutMs) conn.closeWith("idle");
        else if (frameTimeoutMs > 0 && conn.partialSince > 0 && now - conn.partialSince >= frameTimeoutMs) {
          conn.closeWith("frame-timeout", undefined, true);
        }
      }
    });
  }

  /**
   * Run a user hook under the one hook-failure policy: a throw and a
   * rejection of the promise it returns are both reported as a
   * {@link HookError} (through `onError` or the logger), never rethrown and
   * never an unhandled rejection. A sync hook costs no closure here.
   */
  private callHook<A extends unknown[]>(
    name: keyof TcpServerHooks,
    conn: TcpConn | undefined,
    fn: ((...args: A) => unknown) | undefined,
    ...args: A
  ): void {
    if (fn === undefined) return;
    let result: unknown;
    try {
      result = fn(...args);
    } catch (err) {
      this.report(new HookError(name, err, "threw"), conn);
      return;
    }
    if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === "function") {
      (result as PromiseLike<void>).then(undefined, (err: unknown) => this.report(new HookError(name, err, "rejected"), conn));
    }
  }

  /** Tasks whose promise rejected (single process): reported like a throw. */
  private readonly reportTask = (err: LarsError): void => this.report(err, undefined);

  private report(err: LarsError, conn: TcpConn | undefined): void {
    if (this.hooks.onError !== undefined) {
      let result: unknown;
      try {
        result = this.hooks.onError(err, conn);
      } catch (thrown) {
        this.logger?.error({ err: thrown, original: err.code }, "lars tcp-server: onError hook threw");
        return;
      }
      if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === "function") {
        (result as PromiseLike<void>).then(undefined, (thrown: unknown) =>
          this.logger?.error({ err: thrown, original: err.code }, "lars tcp-server: onError hook rejected"),
        );
      }
      return;
    }
    this.logger?.warn({ err, code: err.code, connId: conn?.id, remote: conn?.remoteAddress }, `lars tcp-server: ${err.message}`);
  }
}
