/**
 * @packageDocumentation What every Lars service binary shares: a pino
 * logger, its config file and store options, `/metrics` + `/status` over
 * HTTP, graceful SIGINT/SIGTERM and the exit codes of a command line tool.
 */
export { createLogger } from "./logger.js";
export type { CreateLoggerOptions, Logger } from "./logger.js";
export { readServiceConfig, emptyServiceConfig, storeOptionsFromConfig, StoreTypeError, StoreSynchronousError, DEFAULT_SQLITE_PATH } from "./service-config.js";
export type { ServiceConfig, ServiceStoreOptions } from "./service-config.js";
export { onShutdownSignals } from "./shutdown.js";
export type { ShutdownOptions, ShutdownLogger } from "./shutdown.js";
export { startHttpEndpoint } from "./http-endpoint.js";
export type { HttpEndpoint, HttpEndpointOptions } from "./http-endpoint.js";
export { runBin, BinUsageError } from "./run-bin.js";
export type { RunBinOptions } from "./run-bin.js";
export { registerStatsGauges, registerProcessMetrics, registerLabelledGauge } from "./reactor-metrics.js";
export type { NumericStats, LabelledSample } from "./reactor-metrics.js";
export { Registry } from "prom-client";
export { startServiceEndpoint, flattenStats } from "./service-endpoint.js";
export type { ServiceEndpointOptions } from "./service-endpoint.js";
