import type { LarsConfig } from "@lars/config";
import { serverOptionsFromConfig } from "@lars/config";
import { storeOptionsFromConfig } from "@lars/service";
import type { ReporterStoreOptions } from "./types.js";
import { DEFAULT_FLUSHER_OPTIONS } from "./flusher.js";
import { DEFAULT_QUEUE_CAP, DEFAULT_REPORTER_PORT } from "./reporter-server.js";

/** The reporter's settings, from a C++-shaped `lars_reporter.conf`. */
export interface ReporterConfig {
  /** `[reactor] ip`; default 127.0.0.1. */
  readonly host: string;
  /** `[reactor] port`; default 7779. */
  readonly port: number;
  /** `[reactor] maxConn`; default 1024. */
  readonly maxConn: number;
  /** `[reporter] db_thread_cnt`: store worker threads (SQLite uses 1 whatever it says). Default 1. */
  readonly dbThreadCnt: number;
  /** `[reporter] queue_cap`, rows. Default 100000. */
  readonly queueCap: number;
  /** `[reporter] batch_size`, rows. Default 2000. */
  readonly batchSize: number;
  /** `[reporter] flush_interval_ms`. Default 50. */
  readonly flushIntervalMs: number;
  /** `[store]` / `[mysql]`, as for `lars-dns`. */
  readonly store: ReporterStoreOptions;
  /** `[history] enabled = true`, `interval` (s, default 60), `retention` (s, default 604800); undefined when off (the default). */
  readonly history: { readonly intervalSec: number; readonly retentionSec: number } | undefined;
  /** Things worth a warning (the misspelt `[repoter]` section, an ignored `threadNum`). */
  readonly warnings: readonly string[];
}

/**
 * Reads the reporter's settings. `[reactor]` as in C++ Lars (`threadNum` is
 * accepted but the reporter serves in one process: one queue, one writer);
 * `[reporter]` (or the C++ file's misspelt `[repoter]`, with a warning);
 * `[store]`/`[mysql]` as for `lars-dns`; `[history]`.
 *
 * @throws {ConfigError} for malformed numbers or booleans.
 */
export function reporterConfigFromFile(config: LarsConfig, baseDir: string): ReporterConfig {
  const warnings: string[] = [];
  const server = serverOptionsFromConfig(config, "reactor", { host: "127.0.0.1", port: DEFAULT_REPORTER_PORT });
  if (server.workers > 0) warnings.push(`[reactor] threadNum = ${server.workers} ignored: the reporter serves in one process (writes run in worker threads)`);
  let section = "reporter";
  if (!config.hasSection("reporter") && config.hasSection("repoter")) {
    section = "repoter";
    warnings.push("section [repoter] (the C++ file's spelling) read as [reporter]; please rename it");
  }
  const historyOn = config.getBool("history", "enabled", false);
  return {
    host: server.host,
    port: server.port,
    maxConn: server.maxConn,
    dbThreadCnt: Math.max(1, config.getNumber(section, "db_thread_cnt", 1)),
    queueCap: Math.max(1, config.getNumber(section, "queue_cap", DEFAULT_QUEUE_CAP)),
    batchSize: Math.max(1, config.getNumber(section, "batch_size", DEFAULT_FLUSHER_OPTIONS.batchSize)),
    flushIntervalMs: Math.max(1, config.getNumber(section, "flush_interval_ms", DEFAULT_FLUSHER_OPTIONS.flushIntervalMs)),
    store: storeOptionsFromConfig(config, baseDir),
    history: historyOn
      ? { intervalSec: Math.max(1, config.getNumber("history", "interval", 60)), retentionSec: Math.max(1, config.getNumber("history", "retention", 7 * 24 * 3600)) }
      : undefined,
    warnings,
  };
}
