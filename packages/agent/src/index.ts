/** @packageDocumentation The Lars load-balance agent: UDP for callers, routes from DNS, reports to the reporter. */
export const PACKAGE_NAME = "@lars/agent";
export { DEFAULT_LOAD_BALANCE_CONFIG, resolveLoadBalanceConfig } from "./config.js";
export type { LoadBalanceConfig } from "./config.js";
export { HostState, hostKey } from "./host-state.js";
export { RouteBalancer } from "./route-balancer.js";
export type { RouteState, PickResult } from "./route-balancer.js";
export { Balancer, routeKeyOf, DEFAULT_NOEXIST_CACHE_CAP, REPORT_INTERVAL_MS } from "./balancer.js";
export type { GetHostResult, GetRouteResult, BalancerOptions } from "./balancer.js";
export { agentPortIndex } from "./port-index.js";
export { LarsAgent, AGENT_QUEUE_MAX_MESSAGES } from "./agent.js";
export type { LarsAgentOptions, LarsAgentStats, AgentLogger } from "./agent.js";
export { agentOptionsFromConfig } from "./agent-config.js";
export { snapshotRoutes } from "./snapshot.js";
export type { AgentRouteSnapshot, AgentHostSnapshot } from "./snapshot.js";
export { registerAgentRouteMetrics } from "./agent-metrics.js";
export { startAgentEndpoint, DEFAULT_AGENT_METRICS_PORT } from "./agent-endpoint.js";
