import type { ReporterStoreOptions } from "./types.js";
import type { CallHistoryRow, CallStatusRow } from "./types.js";

/** A message to the store worker (internal). */
export type WorkerTask =
  | { op: "write"; options: ReporterStoreOptions; module: string; rows: CallStatusRow[] }
  | { op: "history"; options: ReporterStoreOptions; module: string; rows: CallHistoryRow[] }
  | { op: "prune"; options: ReporterStoreOptions; module: string; olderThan: number }
  | { op: "open"; options: ReporterStoreOptions; module: string }
  | { op: "close" };
