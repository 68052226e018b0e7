import type { ReporterStoreOptions } from "./types.js";
import type { CallHistoryRow } from "./types.js";

/** A message to the store worker (internal). */
export type WorkerTask =
  /** `rows`: a batch packed by `packRows` (transferred, not cloned). */
  | { op: "write"; options: ReporterStoreOptions; module: string; rows: Float64Array }
  | { op: "history"; options: ReporterStoreOptions; module: string; rows: CallHistoryRow[] }
  | { op: "prune"; options: ReporterStoreOptions; module: string; olderThan: number }
  | { op: "open"; options: ReporterStoreOptions; module: string }
  | { op: "close" };
