import { registerLabelledGauge } from "@lars/service";
import type { LabelledSample, Registry } from "@lars/service";
import type { AgentRouteSnapshot } from "./snapshot.js";

/**
 * Per (route, host) gauges of an agent for `/metrics`, read from its snapshot at scrape time:
 * `lars_agent_host_picks`, `lars_agent_host_probes`, `lars_agent_host_overloads` (times it went
 * to overload) and `lars_agent_host_overloaded` (1 while in overload), labelled `modid`,
 * `cmdid`, `host` (`ip:port`). The snapshot's route cap bounds the label sets.
 */
export function registerAgentRouteMetrics(registry: Registry, snapshot: () => readonly AgentRouteSnapshot[]): void {
  const labels = ["modid", "cmdid", "host"] as const;
  const samples = (value: (h: AgentRouteSnapshot["hosts"][number]) => number): LabelledSample[] => {
    const out: LabelledSample[] = [];
    for (const r of snapshot()) {
      for (const h of r.hosts) out.push({ labels: { modid: r.modid, cmdid: r.cmdid, host: `${h.ip}:${h.port}` }, value: value(h) });
    }
    return out;
  };
  registerLabelledGauge(registry, "lars_agent_host_picks", "Times the agent handed this host to a caller", labels, () => samples((h) => h.picks));
  registerLabelledGauge(registry, "lars_agent_host_probes", "Times the agent probed this host while it was overloaded", labels, () => samples((h) => h.probes));
  registerLabelledGauge(registry, "lars_agent_host_overloads", "Times this host went from idle to overload", labels, () => samples((h) => h.overloads));
  registerLabelledGauge(registry, "lars_agent_host_overloaded", "1 while the host is in the overload list", labels, () => samples((h) => (h.state === "overload" ? 1 : 0)));
}
