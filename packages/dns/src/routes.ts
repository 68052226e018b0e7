import type { HostInfo } from "@lars/proto";

/** One route: the hosts serving `(modid, cmdid)`, sorted by ip then port. Same shape as `Route` of `@lars/store`. */
export interface DnsRoute {
  readonly modid: number;
  readonly cmdid: number;
  readonly hosts: readonly HostInfo[];
}

/** The whole route table, keyed by {@link routeKey}. Same shape as `RouteTable` of `@lars/store`. */
export type DnsRouteTable = ReadonlyMap<string, DnsRoute>;

/** The key of a route in a {@link DnsRouteTable}: `"modid:cmdid"` (as `routeKey` of `@lars/store`). */
export function routeKey(modid: number, cmdid: number): string {
  return `${modid}:${cmdid}`;
}

/** Splits a {@link routeKey} back into its numbers. */
export function parseRouteKey(key: string): { modid: number; cmdid: number } {
  const i = key.indexOf(":");
  return { modid: Number(key.slice(0, i)), cmdid: Number(key.slice(i + 1)) };
}

function sameHosts(a: readonly HostInfo[], b: readonly HostInfo[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x.ip !== y.ip || x.port !== y.port) return false;
  }
  return true;
}

/**
 * The keys of the routes that differ between two tables: added, removed, or
 * whose host list changed (hosts compared in order; tables from the store are
 * sorted). Pure; O(routes + hosts).
 */
export function diffRouteTables(old: DnsRouteTable, next: DnsRouteTable): string[] {
  const changed: string[] = [];
  for (const [key, route] of next) {
    const before = old.get(key);
    if (before === undefined || !sameHosts(before.hosts, route.hosts)) changed.push(key);
  }
  for (const key of old.keys()) if (!next.has(key)) changed.push(key);
  return changed;
}
