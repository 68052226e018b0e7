import type { AddressInfo } from "node:net";
import type { MessageBody } from "@lars/codec";
import type { TcpConn } from "@lars/tcp-conn";
import type { BroadcastResult } from "./connection-table.js";
import type { TcpServerStats } from "./server-stats.js";

/** Which process of a server this is: the only one, a multi-worker primary, or one of its workers. */
export type ServerRole = "single" | "primary" | "worker";

/**
 * What one process does for a `TcpServer`, chosen once when the server is
 * made: a single-process listener, a cluster primary (accepts and hands
 * connections out; serves none), or a cluster worker (serves what its
 * primary hands over). The `TcpServer` facade delegates to it and keeps
 * only what every role shares (state checks, the address, the loop).
 */
export interface ServerProcess {
  readonly role: ServerRole;
  /** Start taking connections; resolves with the server's address. */
  listen(): Promise<AddressInfo>;
  /**
   * Stop taking connections, drain the ones this process serves (destroying
   * those left at `deadlineMs`) and release its handles. Called once.
   */
  close(deadlineMs: number): Promise<void>;
  /** Connections open now (in a primary: across all workers). */
  readonly connectionCount: number;
  /** The connections this process serves now (a snapshot). */
  connections(): TcpConn[];
  broadcast(data: MessageBody, msgid: number): BroadcastResult;
  stats(): TcpServerStats;
  collectStats(timeoutMs: number): Promise<TcpServerStats>;
  sendTask(name: string, payload: unknown, target: "all" | number): number;
  workerIds(): number[];
}
