import type { TlsOptions } from "node:tls";
import type { MessageRouter, NetConnection } from "@lars/codec";
import { InvalidArgumentError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import { resolveTcpConnOptions } from "@lars/tcp-conn";
import type { ResolvedTcpConnOptions, TcpConnOptions } from "@lars/tcp-conn";
import type { TcpServerHooks } from "./hooks.js";

/** Default address: every IPv4 interface, as the C++ examples' `0.0.0.0`. */
export const DEFAULT_HOST = "0.0.0.0";
/** Default connection limit, as the C++ serv.conf examples. */
export const DEFAULT_MAX_CONN = 1024;
/** Default deadline of a graceful `close()`, ms. */
export const DEFAULT_SHUTDOWN_DEADLINE_MS = 5000;
/** Default cap of task messages sent to one worker and not yet written to its IPC channel. */
export const DEFAULT_MAX_PENDING_TASKS = 1024;

export interface TcpServerOptions extends TcpConnOptions, TcpServerHooks {
  /** Address to listen on. Default `"0.0.0.0"`. */
  host?: string;
  /** Port; 0 picks a free one (read it from `listen()`'s result). Default 0. */
  port?: number;
  /** Most connections served at once; more are closed at accept. Default 1024. */
  maxConn?: number;
  /** Close a connection that has sent nothing for this long, ms (`"idle"`). Default off. 60000 suits most services. */
  idleTimeoutMs?: number;
  /** Close a connection whose started frame is not complete within this long, ms (`"frame-timeout"`, slowloris). Default off. */
  frameTimeoutMs?: number;
  /** Routes; share one router between servers if you like. Default: a new router. */
  router?: MessageRouter<NetConnection>;
  logger?: Logger;
  /**
   * Worker processes (Lars `threadNum`). 0 (default): serve in this process.
   * N > 0: this program also runs in N `node:cluster` workers; the primary
   * accepts, enforces `maxConn` for the whole server, and hands connections
   * to workers round-robin.
   */
  workers?: number;
  /** listen backlog. Default 511 (Node's). */
  backlog?: number;
  /**
   * Serve TLS instead of plain TCP (`node:tls` options: `key`, `cert`, `ca`,
   * `requestCert` + `rejectUnauthorized` to verify client certificates).
   * Routing, framing and backpressure are the same. A failed handshake
   * (e.g. plaintext to this port, an untrusted client certificate) is
   * reported as `LARS_TLS_HANDSHAKE` and never reaches the connection hooks.
   */
  tls?: TlsOptions;
  /**
   * Workers: task messages to one worker not yet written to its IPC channel
   * (IPC backpressure). Past it `sendTask` throws `TaskError`
   * `LARS_TASK_BACKLOG` and sends nothing. Default 1024.
   */
  maxPendingTasks?: number;
  /**
   * TLS only: a handshake not done within this long is dropped, ms. Default
   * 10000; `0` or `null` disables the timeout (peers may then hold a
   * handshake open until `close()`, still counted against `maxConn`).
   */
  handshakeTimeoutMs?: number | null;
}

export interface ResolvedTcpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly maxConn: number;
  readonly idleTimeoutMs: number;
  readonly frameTimeoutMs: number;
  readonly backlog: number;
  readonly tls: TlsOptions | undefined;
  readonly handshakeTimeoutMs: number;
  readonly maxPendingTasks: number;
  readonly conn: ResolvedTcpConnOptions;
}

function optionalTimeout(value: number | undefined, field: string): number {
  if (value === undefined || value === 0) return 0;
  if (!Number.isFinite(value) || value < 0) throw new InvalidArgumentError(field, `must be a positive number of ms (or 0/undefined for off), got ${value}`);
  return value;
}

/** Merge defaults and validate, naming the bad field. */
export function resolveTcpServerOptions(options: TcpServerOptions): ResolvedTcpServerOptions {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError("port", `must be an integer in 0..65535, got ${port}`);
  const maxConn = options.maxConn ?? DEFAULT_MAX_CONN;
  if (!Number.isSafeInteger(maxConn) || maxConn <= 0) throw new InvalidArgumentError("maxConn", `must be a positive integer, got ${maxConn}`);
  const backlog = options.backlog ?? 511;
  if (!Number.isInteger(backlog) || backlog <= 0) throw new InvalidArgumentError("backlog", `must be a positive integer, got ${backlog}`);
  const maxPendingTasks = options.maxPendingTasks ?? DEFAULT_MAX_PENDING_TASKS;
  if (!Number.isSafeInteger(maxPendingTasks) || maxPendingTasks <= 0) {
    throw new InvalidArgumentError("maxPendingTasks", `must be a positive integer, got ${maxPendingTasks}`);
  }
  return {
    host: options.host ?? DEFAULT_HOST,
    port,
    maxConn,
    idleTimeoutMs: optionalTimeout(options.idleTimeoutMs, "idleTimeoutMs"),
    frameTimeoutMs: optionalTimeout(options.frameTimeoutMs, "frameTimeoutMs"),
    backlog,
    tls: options.tls,
    handshakeTimeoutMs:
      options.handshakeTimeoutMs === undefined ? 10_000 : optionalTimeout(options.handshakeTimeoutMs ?? 0, "handshakeTimeoutMs"),
    maxPendingTasks,
    conn: resolveTcpConnOptions(options),
  };
}
