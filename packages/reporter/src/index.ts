/**
 * @packageDocumentation The Lars report service: agents' call results
 * (msgid 3 `ReportStatusRequest`) into `ServerCallStatus`, written in
 * batches off the I/O path, with bounded memory.
 */
export const PACKAGE_NAME = "@lars/reporter";
export { ReportQueue, callStatusKey } from "./report-queue.js";
export type { ReportQueueStats } from "./report-queue.js";
export { Flusher, DEFAULT_FLUSHER_OPTIONS } from "./flusher.js";
export type { FlusherOptions, FlusherStats } from "./flusher.js";
export { SummaryCounter } from "./stats.js";
export type { Summary } from "./stats.js";
export { storeBatchWriter } from "./batch-writer.js";
export type { BatchWriter } from "./batch-writer.js";
export { WorkerBatchWriter, defaultWorkerFile } from "./worker-batch-writer.js";
export type { WorkerBatchWriterOptions } from "./worker-batch-writer.js";
export { createStoreWriter, MainThreadStoreWriter } from "./store-writer.js";
export type { StoreWriterOptions } from "./store-writer.js";
export { HistoryRecorder } from "./history-recorder.js";
export type { HistoryOptions, HistoryStats } from "./history-recorder.js";
export { ReporterServer, DEFAULT_REPORTER_PORT, DEFAULT_QUEUE_CAP } from "./reporter-server.js";
export type { ReporterServerOptions, ReporterStats } from "./reporter-server.js";
export { reporterConfigFromFile } from "./reporter-config.js";
export type { ReporterConfig } from "./reporter-config.js";
export { ReporterOptionError, ReporterStoreWriteError } from "./errors.js";
export type { CallStatusRow, CallHistoryRow, CallStatusStore, ReporterLogger } from "./types.js";
export type { ReporterStoreOptions, OpenedCallStatusStore } from "./types.js";
export { openCallStatusStore, DEFAULT_STORE_MODULE } from "./open-store.js";
