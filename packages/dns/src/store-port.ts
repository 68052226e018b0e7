import type { DnsRoute, DnsRouteTable } from "./routes.js";

/** One row of `RouteChange`, as `RouteChange` of `@lars/store`. */
export interface DnsRouteChange {
  readonly id: number;
  readonly modid: number;
  readonly cmdid: number;
  readonly version: number;
}

/** What `onRouteChange` listeners get: a route changed by this process's admin API. */
export interface DnsRouteChangeEvent {
  readonly modid: number;
  readonly cmdid: number;
  readonly version: number;
}

/**
 * The part of a `LarsStore` (from `@lars/store`) the DNS server uses. Any
 * `LarsStore` fits; tests may give their own.
 */
export interface DnsStore {
  getRouteVersion(): Promise<number>;
  loadRoutes(): Promise<DnsRouteTable>;
  loadRouteChanges(): Promise<readonly DnsRouteChange[]>;
  clearRouteChanges(upToId: number): Promise<void>;
  onRouteChange(listener: (change: DnsRouteChangeEvent) => void): () => void;
  /**
   * The routes matching a filter (a `LarsStore` has it). When present, a sync whose new `RouteChange` rows
   * are all there re-reads only their routes instead of the whole table.
   */
  listRoutes?(filter: { modid?: number; cmdid?: number }): Promise<readonly DnsRoute[]>;
}

/** The pino-shaped logger the server reports through. */
export interface DnsLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
  debug?(obj: object, msg?: string): void;
}
