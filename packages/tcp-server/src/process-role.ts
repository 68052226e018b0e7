import cluster from "node:cluster";
import { WORKER_ENV } from "./ipc-messages.js";

/**
 * Whether this process is a worker forked by a multi-worker `TcpServer`
 * (the same program runs in the primary and in each worker). Known before
 * any server is made, so a program can skip what only its primary does
 * (opening a database, polling it) in its workers.
 */
export function isServerWorker(): boolean {
  return !cluster.isPrimary && process.env[WORKER_ENV] === "1";
}
