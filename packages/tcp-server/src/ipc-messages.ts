import type { TcpServerStats } from "./server-stats.js";

/** Env var that marks a process forked by a multi-worker TcpServer. */
export const WORKER_ENV = "LARS_TCP_SERVER_WORKER";

/** Messages between the primary and its workers, over the cluster IPC channel. */
export type PrimaryToWorker =
  | { lars: "conn" }
  | { lars: "hello"; address: { address: string; family: string; port: number } }
  | { lars: "task"; name: string; payload: unknown }
  | { lars: "stats?"; id: number }
  | { lars: "shutdown"; deadlineMs: number };

export type WorkerToPrimary =
  | { lars: "ready" }
  | { lars: "closed" }
  /** The worker was stopped from outside (SIGTERM) and drains: hand it nothing more, replace it. */
  | { lars: "draining" }
  | { lars: "stats"; id: number; stats: TcpServerStats }
  | { lars: "task-error"; name: string; message: string };

export function isLarsMessage(msg: unknown): msg is { lars: string } {
  return typeof msg === "object" && msg !== null && typeof (msg as { lars?: unknown }).lars === "string";
}
