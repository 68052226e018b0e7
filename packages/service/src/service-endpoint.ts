import type { LarsConfig } from "@lars/config";
import { Registry } from "prom-client";
import { startHttpEndpoint, type HttpEndpoint } from "./http-endpoint.js";
import { registerProcessMetrics, registerStatsGauges, type NumericStats } from "./reactor-metrics.js";

/** Options of {@link startServiceEndpoint}. */
export interface ServiceEndpointOptions {
  /** `dns`, `reporter`, `agent`, ...: the `/status` `service` field and the metric prefix `lars_<service>_`. */
  readonly service: string;
  /** The package version, shown in `/status`. */
  readonly version: string;
  /** `[metrics] port` when the config has none. */
  readonly defaultPort: number;
  /** The service's numeric counters, nested objects flattened (`queue.dropped` → `lars_reporter_queue_dropped`). */
  readonly stats: () => object;
  /** More `/status` fields (the agent's routes, say). */
  readonly status?: () => object;
  /** A registry to add to (the service's own counters); a new one by default. */
  readonly registry?: Registry;
}

/**
 * The `/metrics` + `/status` + `/healthz` endpoint every Lars service binary
 * serves, from its config's `[metrics] ip` (127.0.0.1), `port`
 * (`defaultPort`; 0 = any free port) and `enabled` (true). Resolves
 * undefined when disabled. Gauges are read from `stats()` at scrape time.
 */
export async function startServiceEndpoint(config: LarsConfig, options: ServiceEndpointOptions): Promise<HttpEndpoint | undefined> {
  if (!config.getBool("metrics", "enabled", true)) return undefined;
  const registry = options.registry ?? new Registry();
  const prefix = `lars_${options.service}`;
  registerStatsGauges(registry, prefix, Object.keys(flattenStats(options.stats())), () => flattenStats(options.stats()));
  registerProcessMetrics(registry, prefix);
  const started = Date.now();
  return startHttpEndpoint({
    host: config.getString("metrics", "ip", "127.0.0.1"),
    port: config.getNumber("metrics", "port", options.defaultPort),
    registry,
    status: () => ({
      service: options.service,
      version: options.version,
      pid: process.pid,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
      stats: options.stats(),
      ...options.status?.(),
    }),
  });
}

/** `{ a: 1, b: { c: 2 } }` → `{ a: 1, b_c: 2 }`; non-numbers are left out. */
export function flattenStats(stats: object, prefix = "", out: Record<string, number> = {}): NumericStats {
  for (const [key, value] of Object.entries(stats)) {
    const name = prefix === "" ? key : `${prefix}_${key}`;
    if (typeof value === "number" && Number.isFinite(value)) out[name] = value;
    else if (value !== null && typeof value === "object" && !Array.isArray(value)) flattenStats(value as object, name, out);
  }
  return out;
}
