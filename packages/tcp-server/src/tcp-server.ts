import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { MessageRouter } from "@lars/codec";
import type { MessageBody, NetConnection, RouteHandler } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { TcpConn } from "@lars/tcp-conn";
import type { CloseReason, TcpConnOwner } from "@lars/tcp-conn";
import { HookError, ServerStateError } from "./errors.js";
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

/**
 * A Lars TCP server (C++ `tcp_server`): accepts connections up to `maxConn`,
 * frames and routes their messages, and runs the hooks. Owned by its loop:
 * `loop.stop()` closes it.
 */
export class TcpServer implements LoopResource, TcpConnOwner {
  readonly loop: EventLoop;
  readonly router: MessageRouter<NetConnection>;
  readonly logger: Logger | undefined;
  readonly options: ResolvedTcpServerOptions;
  private readonly hooks: TcpServerHooks;
  private readonly conns = new Set<TcpConn>();
  private readonly counters = new StatsAccumulator();
  private server: Server | undefined;
  private sweepTimer: TimerHandle | undefined;
  private closing: Promise<void> | undefined;
  private allClosed: (() => void) | undefined;

  constructor(loop: EventLoop, options: TcpServerOptions = {}) {
    this.loop = loop;
    this.options = resolveTcpServerOptions(options);
    this.router = options.router ?? new MessageRouter();
    this.logger = options.logger ?? loop.logger;
    this.hooks = options;
    loop.own(this);
  }

  /** Route frames of `msgid` to `handler` (C++ `add_msg_router`). @throws DuplicateRouteError */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Start accepting. Resolves with the bound address (with the real port
   * when `port` was 0). Rejects with the listen error (e.g. EADDRINUSE).
   */
  listen(): Promise<AddressInfo> {
    if (this.server !== undefined) return Promise.reject(new ServerStateError("listen() called twice"));
    if (this.closing !== undefined) return Promise.reject(new ServerStateError("server is closed"));
    const server = createServer({ noDelay: true }, (socket) => this.accept(socket));
    this.server = server;
    const { host, port, backlog } = this.options;
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        reject(err);
      };
      server.once("error", onError);
      server.listen({ host, port, backlog }, () => {
        server.off("error", onError);
        server.on("error", (err) => this.report(new LarsError("LARS_SERVER_ERROR", err.message, { cause: err }), undefined));
        this.startSweep();
        resolve(server.address() as AddressInfo);
      });
    });
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    const a = this.server?.address();
    return a !== null && typeof a === "object" ? a : undefined;
  }

  /** The connections open now (a snapshot). */
  connections(): TcpConn[] {
    return [...this.conns];
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Send one frame to every open connection. Refusals are reported, not thrown (except a body too long). */
  broadcast(data: MessageBody, msgid: number): BroadcastResult {
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

  stats(): TcpServerStats {
    return this.counters.snapshot(this.conns, this.conns.size);
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
    const server = this.server;
    const listening = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
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
    this.loop.disown(this);
  }

  private accept(socket: Socket): void {
    if (this.closing !== undefined || this.conns.size >= this.options.maxConn) {
      this.counters.refused++;
      const info = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
      socket.on("error", () => {}); // the refused peer may reset; nothing to report
      socket.destroy();
      if (this.closing === undefined) this.callHook("onConnRefused", undefined, () => this.hooks.onConnRefused?.(info));
      return;
    }
    const conn = new TcpConn(socket, this, this.options.conn);
    this.conns.add(conn);
    this.counters.total++;
    this.callHook("onConnStart", conn, () => this.hooks.onConnStart?.(conn));
  }

  /** @internal TcpConnOwner */
  onRouteError(conn: TcpConn, err: LarsError): void {
    this.counters.routeErrors++;
    this.report(err, conn);
  }

  /** @internal TcpConnOwner */
  onBackpressure(conn: TcpConn): void {
    this.callHook("onBackpressure", conn, () => this.hooks.onBackpressure?.(conn));
  }

  /** @internal TcpConnOwner */
  onDrain(conn: TcpConn): void {
    this.callHook("onDrain", conn, () => this.hooks.onDrain?.(conn));
  }

  /** @internal TcpConnOwner */
  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void {
    this.conns.delete(conn);
    this.counters.retire(conn, reason);
    if (reason === "bad-frame" && error instanceof LarsError) this.report(error, conn);
    this.callHook("onConnClose", conn, () => this.hooks.onConnClose?.(conn, reason, error));
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

  private callHook(name: keyof TcpServerHooks, conn: TcpConn | undefined, call: () => void): void {
    try {
      call();
    } catch (err) {
      this.report(new HookError(name, err), conn);
    }
  }

  private report(err: LarsError, conn: TcpConn | undefined): void {
    if (this.hooks.onError !== undefined) {
      try {
        this.hooks.onError(err, conn);
      } catch (thrown) {
        this.logger?.error("lars tcp-server: onError hook threw", { error: thrown, original: err.code });
      }
      return;
    }
    this.logger?.warn(`lars tcp-server: ${err.message}`, { code: err.code, connId: conn?.id, remote: conn?.remoteAddress });
  }
}
