import { Registry, registerLabelledGauge, registerProcessMetrics, registerStatsGauges } from "@lars/service";
import type { ServiceHealth } from "./types.js";

/** What `/metrics` of the console reads at scrape time. */
export interface ConsoleMetricSources {
  readonly sessions: () => number;
  readonly streams: () => number;
  readonly services: () => readonly ServiceHealth[];
}

/**
 * The console's Prometheus metrics: `lars_console_sessions`, `lars_console_event_streams`,
 * `lars_console_service_up{service,kind}` (1 when its last `/status` answered), and the
 * process metrics under `lars_console_`.
 */
export function consoleMetrics(sources: ConsoleMetricSources): Registry {
  const registry = new Registry();
  registerStatsGauges(registry, "lars_console", ["sessions", "eventStreams"], () => ({ sessions: sources.sessions(), eventStreams: sources.streams() }), "Lars console");
  registerLabelledGauge(registry, "lars_console_service_up", "1 when the service's last /status answered", ["service", "kind"], () =>
    sources.services().map((s) => ({ labels: { service: s.name, kind: s.kind }, value: s.up ? 1 : 0 })),
  );
  registerProcessMetrics(registry, "lars_console");
  return registry;
}
