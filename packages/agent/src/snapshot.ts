import { int32ToIp } from "@lars/proto";
import type { Balancer } from "./balancer.js";
import type { RouteState } from "./route-balancer.js";

/** One host of an {@link AgentRouteSnapshot}. */
export interface AgentHostSnapshot {
  /** Dotted IPv4. */
  readonly ip: string;
  readonly port: number;
  readonly state: "idle" | "overload";
  readonly vsucc: number;
  readonly verr: number;
  /** Real successes in the current window. */
  readonly rsucc: number;
  /** Real errors in the current window. */
  readonly rerr: number;
  readonly continSucc: number;
  readonly continErr: number;
  /** Times handed to a caller since the host joined the route. */
  readonly picks: number;
  /** Times handed out as a probe while overloaded. */
  readonly probes: number;
  /** Times it went from idle to overload. */
  readonly overloads: number;
}

/** A route as the agent holds it, for `/status` and the console (plain JSON). */
export interface AgentRouteSnapshot {
  readonly modid: number;
  readonly cmdid: number;
  readonly state: RouteState;
  /** Unix ms of the last route update (0 before the first). */
  readonly updatedAt: number;
  readonly hosts: AgentHostSnapshot[];
}

/**
 * A copy of every route of the balancers, sorted by (modid, cmdid), capped at `maxRoutes` so a
 * status page of an agent holding many routes stays bounded.
 */
export function snapshotRoutes(balancers: readonly Balancer[], maxRoutes: number): AgentRouteSnapshot[] {
  const out: AgentRouteSnapshot[] = [];
  for (const b of balancers) {
    for (const rb of b.allRoutes()) {
      out.push({
        modid: rb.modid,
        cmdid: rb.cmdid,
        state: rb.state,
        updatedAt: rb.lastUpdate,
        hosts: rb.hostStates().map((h) => ({
          ip: int32ToIp(h.ip),
          port: h.port,
          state: h.overload ? "overload" : "idle",
          vsucc: h.vsucc,
          verr: h.verr,
          rsucc: h.rsucc,
          rerr: h.rerr,
          continSucc: h.continSucc,
          continErr: h.continErr,
          picks: h.picks,
          probes: h.probes,
          overloads: h.overloads,
        })),
      });
    }
  }
  out.sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
  return out.length > maxRoutes ? out.slice(0, maxRoutes) : out;
}
