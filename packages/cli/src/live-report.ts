import type { AgentRouteSnapshot } from "@lars/agent";
import type { DemoCounts } from "./demo.js";

/** `modid:cmdid ip:port` → share of the route's calls, grouped by route, routes and hosts sorted. */
function shares(perHost: ReadonlyMap<string, number>): Map<string, [string, number][]> {
  const byRoute = new Map<string, [string, number][]>();
  for (const [key, n] of perHost) {
    const [route, host] = key.split(" ") as [string, string];
    let list = byRoute.get(route);
    if (list === undefined) byRoute.set(route, (list = []));
    list.push([host, n]);
  }
  for (const list of byRoute.values()) list.sort((a, b) => a[0].localeCompare(b[0]));
  return new Map([...byRoute].sort((a, b) => a[0].localeCompare(b[0], undefined, { numeric: true })));
}

function pct(n: number, of: number): string {
  return of === 0 ? "0%" : `${Math.round((100 * n) / of)}%`;
}

/** The hosts the agent holds in overload: `ip:port (modid:cmdid)`. */
export function overloadedHosts(routes: readonly AgentRouteSnapshot[]): string[] {
  const out: string[] = [];
  for (const r of routes) for (const h of r.hosts) if (h.state === "overload") out.push(`${h.ip}:${h.port} (${r.modid}:${r.cmdid})`);
  return out.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** One line per second: `[  5s] 600 calls/s, 2 failed | 1:1 9101 33% ... | overload: ...`. */
export function liveLine(second: number, window: DemoCounts, routes: readonly AgentRouteSnapshot[]): string {
  const parts: string[] = [];
  for (const [route, hosts] of shares(window.perHost)) {
    const total = hosts.reduce((s, [, n]) => s + n, 0);
    parts.push(`${route} ${hosts.map(([h, n]) => `${h.replace(/^127\.0\.0\.1:/, ":")} ${pct(n, total)}`).join(" ")}`);
  }
  const over = overloadedHosts(routes);
  const head = `[${String(second).padStart(3)}s] ${window.calls} calls/s, ${window.failures} failed${window.noHost > 0 ? `, ${window.noHost} without a host` : ""}`;
  return `${head} | ${parts.join(" | ")} | overload: ${over.length === 0 ? "none" : over.join(", ")}`;
}

/** What was seen in overload, second by second. */
export class OverloadLog {
  readonly #seen = new Map<string, { first: number; last: number; episodes: number; inNow: boolean }>();

  /** Records the hosts in overload at `second`. */
  record(second: number, routes: readonly AgentRouteSnapshot[]): void {
    const now = new Set(overloadedHosts(routes));
    for (const [host, e] of this.#seen) if (!now.has(host)) e.inNow = false;
    for (const host of now) {
      const e = this.#seen.get(host);
      if (e === undefined) this.#seen.set(host, { first: second, last: second, episodes: 1, inNow: true });
      else {
        if (!e.inNow) e.episodes++;
        e.inNow = true;
        e.last = second;
      }
    }
  }

  /** One line per host: `127.0.0.1:9103 (1:1): in overload from 4 s to 19 s (1 time)`. */
  lines(): string[] {
    return [...this.#seen].sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true })).map(([host, e]) => `${host}: in overload between ${e.first} s and ${e.last} s (${e.episodes} time${e.episodes === 1 ? "" : "s"})`);
  }
}

/** The summary printed when `lars up --demo` ends. */
export function summary(seconds: number, total: DemoCounts, overloads: OverloadLog): string[] {
  const lines = [`demo: ${total.calls} calls in ${seconds} s (${total.failures} failed, ${total.noHost} without a host)`];
  for (const [route, hosts] of shares(total.perHost)) {
    const sum = hosts.reduce((s, [, n]) => s + n, 0);
    lines.push(`  route ${route}: ${hosts.map(([h, n]) => `${h} ${pct(n, sum)}`).join(", ")}`);
  }
  const over = overloads.lines();
  lines.push(over.length === 0 ? "  no host went into overload" : "  the agent steered around:");
  for (const l of over) lines.push(`    ${l}`);
  return lines;
}
