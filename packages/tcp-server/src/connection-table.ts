import type { Socket } from "node:net";
import type { MessageBody, MessageRouter, NetConnection } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { EventLoop, TimerHandle } from "@lars/event-loop";
import { TcpConn, closeConnection } from "@lars/tcp-conn";
import type { CloseReason, TcpConnEvents } from "@lars/tcp-conn";
import { HookError } from "./errors.js";
import type { ResolvedTcpServerOptions } from "./options.js";
import type { ServerReporter } from "./server-reporter.js";
import { StatsAccumulator } from "./server-stats.js";
import type { TcpServerStats } from "./server-stats.js";

/** Outcome of `TcpServer.broadcast`. */
export interface BroadcastResult {
  /** Connections that accepted the frame. */
  sent: number;
  /** Connections that refused it (closed or output full); each refusal is reported via `onError`. */
  refused: number;
}

/**
 * The connections one process serves: the set of {@link TcpConn}s, their
 * counters, the idle/frame sweep and the graceful drain. It is the
 * `TcpConnEvents` of all of them (one object, so nothing is made per
 * connection or per frame): it routes their frames and runs the connection
 * hooks. How sockets get here — accepted, or handed over by a primary — is
 * the process role's business, not the table's.
 */
export class ConnectionTable implements TcpConnEvents {
  readonly counters = new StatsAccumulator();
  /** Connections stamp their receive time only when the sweep checks it. */
  readonly tracksIdle: boolean;
  private readonly conns = new Set<TcpConn>();
  private sweepTimer: TimerHandle | undefined;
  private draining = false;
  private allClosed: (() => void) | undefined;

  constructor(
    readonly loop: EventLoop,
    private readonly router: MessageRouter<NetConnection>,
    private readonly options: ResolvedTcpServerOptions,
    private readonly reporter: ServerReporter,
    /** Runs after each connection's close hook (a worker tells its primary). */
    private readonly afterClose: (() => void) | undefined = undefined,
  ) {
    this.tracksIdle = options.idleTimeoutMs > 0;
  }

  get size(): number {
    return this.conns.size;
  }

  /** The connections open now (a snapshot). */
  connections(): TcpConn[] {
    return [...this.conns];
  }

  /** Serve a connected socket: it becomes a connection, counted, and `onConnStart` runs. */
  add(socket: Socket): void {
    const conn = new TcpConn(socket, this, this.options.conn);
    this.conns.add(conn);
    this.counters.total++;
    this.reporter.call("onConnStart", conn, this.reporter.hooks.onConnStart, conn);
  }

  /** Count, drop, and (unless `quiet`: the server is closing) report a socket that will not be served. */
  refuse(socket: Socket, quiet: boolean): void {
    this.counters.refused++;
    const info = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
    socket.on("error", () => {}); // the refused peer may reset; nothing to report
    socket.destroy();
    if (!quiet) this.reporter.call("onConnRefused", undefined, this.reporter.hooks.onConnRefused, info);
  }

  /** Send one frame to every open connection; refusals are reported, not thrown (except a body too long). */
  broadcast(data: MessageBody, msgid: number): BroadcastResult {
    const result: BroadcastResult = { sent: 0, refused: 0 };
    for (const conn of this.conns) {
      try {
        conn.sendMessage(data, msgid);
        result.sent++;
      } catch (err) {
        if (err instanceof LarsError && err.code === "LARS_FRAME_TOO_LONG") throw err;
        result.refused++;
        this.reporter.report(err instanceof LarsError ? err : new HookError("broadcast", err), conn);
      }
    }
    return result;
  }

  stats(): TcpServerStats {
    return this.counters.snapshot(this.conns, this.conns.size);
  }

  /** One timer for every connection's idle and frame deadlines (like Lars's timer queue), not one per socket. */
  startSweep(): void {
    const { idleTimeoutMs, frameTimeoutMs } = this.options;
    if (this.draining || this.sweepTimer !== undefined || (idleTimeoutMs === 0 && frameTimeoutMs === 0)) return;
    const shortest = Math.min(idleTimeoutMs || Infinity, frameTimeoutMs || Infinity);
    const every = Math.max(10, Math.min(1000, shortest / 4));
    this.sweepTimer = this.loop.runEvery(every, () => {
      const now = performance.now();
      for (const conn of this.conns) {
        if (idleTimeoutMs > 0 && now - conn.lastReceiveAt >= idleTimeoutMs) closeConnection(conn, "idle");
        else if (frameTimeoutMs > 0 && conn.partialSince > 0 && now - conn.partialSince >= frameTimeoutMs) {
          closeConnection(conn, "frame-timeout", undefined, true);
        }
      }
    });
  }

  /**
   * Graceful drain: flush what each connection was sent and close it
   * (`"shutdown"`, close hooks run); resolve once all are gone. Those still
   * open after `deadlineMs` are destroyed.
   */
  async drain(deadlineMs: number): Promise<void> {
    this.draining = true;
    this.sweepTimer?.cancel();
    this.sweepTimer = undefined;
    if (this.conns.size === 0) return;
    const drained = new Promise<void>((resolve) => (this.allClosed = resolve));
    for (const conn of this.conns) closeConnection(conn, "shutdown");
    const deadline = setTimeout(() => {
      for (const conn of this.conns) closeConnection(conn, "shutdown", undefined, true);
    }, deadlineMs);
    await drained;
    clearTimeout(deadline);
  }

  // ---- TcpConnEvents: called by every connection of the table, on the loop.

  onFrame(msgid: number, body: Buffer, conn: TcpConn): void {
    const err = this.router.dispatch(msgid, body, conn, this.reportAsyncRouteError);
    if (err !== undefined) this.routeError(err, conn);
  }

  onBackpressure(conn: TcpConn): void {
    this.reporter.call("onBackpressure", conn, this.reporter.hooks.onBackpressure, conn);
  }

  onDrain(conn: TcpConn): void {
    this.reporter.call("onDrain", conn, this.reporter.hooks.onDrain, conn);
  }

  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void {
    this.conns.delete(conn);
    this.counters.retire(conn, reason);
    if (reason === "bad-frame" && error instanceof LarsError) this.reporter.report(error, conn);
    this.reporter.call("onConnClose", conn, this.reporter.hooks.onConnClose, conn, reason, error);
    this.afterClose?.();
    if (this.conns.size === 0 && this.allClosed !== undefined) this.allClosed();
  }

  /** A frame the router could not deliver (unknown msgid, a handler threw). The connection stays open. */
  private routeError(err: LarsError, conn: TcpConn): void {
    this.counters.routeErrors++;
    this.reporter.report(err, conn);
  }

  /** Where the router sends the failure of an async handler: like a sync throw. Made once per table. */
  private readonly reportAsyncRouteError = (err: LarsError, conn: NetConnection): void => this.routeError(err, conn as TcpConn);
}
