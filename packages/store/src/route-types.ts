/** A host as on the wire: `ip` is the IPv4 number a<<24|b<<16|c<<8|d as an int32. */
export interface HostInfo {
  readonly ip: number;
  readonly port: number;
}

/** A route: every host serving (modid, cmdid), sorted by address then port. */
export interface Route {
  readonly modid: number;
  readonly cmdid: number;
  readonly hosts: HostInfo[];
}

/** Every route, by {@link routeKey}. */
export type RouteTable = Map<string, Route>;

/** A row of `RouteChange`. */
export interface RouteChange {
  readonly id: number;
  readonly modid: number;
  readonly cmdid: number;
  readonly version: number;
}

/** What an admin call did. `changed` false means the route already was so: nothing was written. */
export interface AdminResult {
  readonly version: number;
  readonly changed: boolean;
}

/** What `onRouteChange` listeners get after an admin commit in this process. */
export interface RouteChangeEvent {
  readonly modid: number;
  readonly cmdid: number;
  readonly version: number;
}

/** Filter of `listRoutes` / `listCallStatus`. */
export interface RouteFilter {
  readonly modid?: number;
  readonly cmdid?: number;
}

/** The key of a route in a {@link RouteTable}: `"modid:cmdid"`. */
export function routeKey(modid: number, cmdid: number): string {
  return `${modid}:${cmdid}`;
}
