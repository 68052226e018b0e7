import type { LarsConfig } from "@lars/config";
import { Registry, startServiceEndpoint } from "@lars/service";
import type { HttpEndpoint } from "@lars/service";
import type { LarsAgent } from "./agent.js";
import { registerAgentRouteMetrics } from "./agent-metrics.js";

/** Default `[metrics] port` of an agent (`/metrics`, `/status`, `/healthz`). */
export const DEFAULT_AGENT_METRICS_PORT = 9888;

/**
 * The agent's HTTP endpoint, as `lars-agent` and `lars up` serve it: `/metrics` with the agent's counters,
 * process metrics and the per-host gauges of {@link registerAgentRouteMetrics}; `/status` with its UDP
 * connections and a snapshot of its routes; `/healthz`. From the config's `[metrics]` section; resolves
 * undefined when `[metrics] enabled = false`.
 */
export function startAgentEndpoint(config: LarsConfig, agent: LarsAgent, version: string): Promise<HttpEndpoint | undefined> {
  const registry = new Registry();
  registerAgentRouteMetrics(registry, () => agent.snapshot());
  return startServiceEndpoint(config, {
    registry,
    service: "agent",
    version,
    defaultPort: DEFAULT_AGENT_METRICS_PORT,
    stats: () => ({ ...agent.stats, routes: agent.routeCount }),
    status: () => ({ connections: agent.connections(), routes: agent.snapshot() }),
  });
}
