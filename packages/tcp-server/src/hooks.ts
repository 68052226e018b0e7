import type { LarsError } from "@lars/iobuf";
import type { CloseReason, TcpConn } from "@lars/tcp-conn";
import type { WorkerExitInfo, WorkerReadyInfo } from "./cluster-primary.js";

/**
 * The server's hooks: `on*` fields of {@link TcpServerOptions}. Each runs on
 * the server's loop and may be `async`; a hook that throws, or whose promise
 * rejects, is reported the same way, as a `HookError` (`LARS_HOOK_ERROR`),
 * through `onError` (or the logger) and never kills the server nor the process. All may call `conn.sendMessage` and
 * `conn.close()`.
 */
export interface TcpServerHooks {
  /** After a connection is accepted and ready (C++ `set_conn_start`). Set attributes here. */
  onConnStart?: (conn: TcpConn) => void | Promise<void>;
  /**
   * Exactly once per connection that reached `onConnStart`, before its
   * buffers and attributes go (C++ `set_conn_close`). `error` is set for
   * `"bad-frame"` and `"error"` (and others when known).
   */
  onConnClose?: (conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined) => void | Promise<void>;
  /** The connection's unsent output passed `highWaterMark`: `sendMessage` now returns false. */
  onBackpressure?: (conn: TcpConn) => void | Promise<void>;
  /** The connection's unsent output fell to `lowWaterMark` after backpressure. */
  onDrain?: (conn: TcpConn) => void | Promise<void>;
  /**
   * Something was refused or failed without closing the server: unknown
   * msgid, a route handler or hook threw, a payload failed to decode, a bad
   * frame (also given to `onConnClose`). Default: `logger.warn`, or nothing
   * without a logger (the counters in `stats()` still count it).
   */
  onError?: (err: LarsError, conn: TcpConn | undefined) => void | Promise<void>;
  /** A connection past `maxConn` was closed at once; it never reaches the other hooks. */
  onConnRefused?: (info: { remoteAddress: string | undefined; remotePort: number | undefined }) => void | Promise<void>;
  /**
   * Primary only: a worker process ended while serving. Its connections are
   * gone (their peers saw them close) and their close hooks could not run in
   * it; `lostConnections` counts them. A worker that died (signal or non-zero
   * code) is replaced unless workers keep dying at start-up.
   */
  onWorkerExit?: (info: WorkerExitInfo) => void | Promise<void>;
  /**
   * Primary only: a worker (a first one or a replacement) has booted and is
   * about to be handed connections. A task sent to it from this hook
   * (`sendTask(name, payload, info.workerId)`, synchronously) reaches it
   * before its first connection: the way to give a worker the state it
   * serves from (a route table) before it answers anyone.
   */
  onWorkerReady?: (info: WorkerReadyInfo) => void | Promise<void>;
}
