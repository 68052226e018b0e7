import type { HostInfo } from "@lars/proto";
import { routeKey, type DnsRoute } from "./routes.js";

/**
 * How a multi-worker DNS primary hands its table to the workers (as
 * `TcpServer` tasks, over the cluster IPC channel, JSON): routes as flat
 * number arrays `[modid, cmdid, ip1, port1, ip2, port2, …]`, compact for a
 * 100k-route table; `[modid, cmdid]` alone is a route that no longer exists.
 */
export type WireRoute = number[];

/** Task names of the primary → worker sync. */
export const TABLE_TASK = "lars-dns.table";
export const PATCH_TASK = "lars-dns.patch";

/** The payload of both tasks: the whole table (`TABLE_TASK`) or the routes that changed (`PATCH_TASK`). */
export interface WorkerSyncPayload {
  readonly version: number;
  readonly routes: readonly WireRoute[];
}

export function wireRoute(modid: number, cmdid: number, hosts: readonly HostInfo[]): WireRoute {
  const out = new Array<number>(2 + hosts.length * 2);
  out[0] = modid;
  out[1] = cmdid;
  for (let i = 0; i < hosts.length; i++) {
    out[2 + i * 2] = hosts[i]!.ip;
    out[3 + i * 2] = hosts[i]!.port;
  }
  return out;
}

/** The route a wire route names (`hosts` empty when it was removed), and its key. */
export function fromWireRoute(wire: WireRoute): { key: string; route: DnsRoute } {
  const modid = wire[0]!;
  const cmdid = wire[1]!;
  const hosts: HostInfo[] = [];
  for (let i = 2; i + 1 < wire.length; i += 2) hosts.push({ ip: wire[i]!, port: wire[i + 1]! });
  return { key: routeKey(modid, cmdid), route: { modid, cmdid, hosts } };
}

/** Whether a task payload has the shape above (a worker checks what reaches it before applying it). */
export function isWorkerSyncPayload(value: unknown): value is WorkerSyncPayload {
  if (typeof value !== "object" || value === null) return false;
  const p = value as { version?: unknown; routes?: unknown };
  return typeof p.version === "number" && Array.isArray(p.routes) && p.routes.every((r) => Array.isArray(r) && r.length >= 2 && r.length % 2 === 0);
}
