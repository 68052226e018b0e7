import { RetCode } from "@lars/proto";
import type { HostInfo, ReportStatusRequest, RetCodeValue } from "@lars/proto";
import type { LoadBalanceConfig } from "./config.js";
import { RouteBalancer } from "./route-balancer.js";

/** Default cap on cached "route does not exist" entries. */
export const DEFAULT_NOEXIST_CACHE_CAP = 10_000;
/** Reports of one route go to the reporter at most once per this many ms. */
export const REPORT_INTERVAL_MS = 1000;

/** The route key `${modid}:${cmdid}`. */
export function routeKeyOf(modid: number, cmdid: number): string {
  return `${modid}:${cmdid}`;
}

/** The answer of {@link Balancer.getHost}. */
export interface GetHostResult {
  /** SUCC, OVERLOAD or NOEXIST. */
  readonly retcode: RetCodeValue;
  /** The chosen host when `retcode` is SUCC. */
  readonly host?: HostInfo;
  /** True when the host is a probe of an overloaded host. */
  readonly probe?: boolean;
  /** True when the caller must send a GetRouteRequest for this route now (the route is PULLING). */
  readonly pull: boolean;
}

/** The answer of {@link Balancer.getRoute}. */
export interface GetRouteResult {
  /** Every host of the route (empty when unknown). */
  readonly hosts: HostInfo[];
  /** True when the caller must send a GetRouteRequest for this route now. */
  readonly pull: boolean;
}

/** Options of {@link Balancer}. */
export interface BalancerOptions {
  /** Cap on remembered NOEXIST routes (oldest evicted first). Default {@link DEFAULT_NOEXIST_CACHE_CAP}. */
  readonly noexistCacheCap?: number;
}

/**
 * Every route of one agent port, pure and clock-injected (`now` in ms). The caller sends the
 * GetRouteRequests the results ask for (`pull: true`) and the ReportStatusRequests of
 * {@link Balancer.takeReports}.
 */
export class Balancer {
  private readonly config: LoadBalanceConfig;
  private readonly routes = new Map<string, RouteBalancer>();
  private readonly noexist = new Map<string, number>();
  private readonly dirty = new Set<string>();
  private readonly lastReport = new Map<string, number>();
  private readonly noexistCap: number;

  /** An empty balancer using `config`. */
  constructor(config: LoadBalanceConfig, options: BalancerOptions = {}) {
    this.config = config;
    this.noexistCap = options.noexistCacheCap ?? DEFAULT_NOEXIST_CACHE_CAP;
  }

  /** Number of routes held. */
  get routeCount(): number {
    return this.routes.size;
  }

  /** The balancer of one route, or undefined. */
  route(modid: number, cmdid: number): RouteBalancer | undefined {
    return this.routes.get(routeKeyOf(modid, cmdid));
  }

  /** Every route held. */
  allRoutes(): RouteBalancer[] {
    return [...this.routes.values()];
  }

  /**
   * GetHost: unknown route → create it PULLING, ask for a pull, NOEXIST (or NOEXIST without a pull
   * while a recent "does not exist" is cached); known without hosts → NOEXIST; otherwise pick.
   * After answering, asks for a pull when the route is NEW and older than updateTimeout.
   */
  getHost(modid: number, cmdid: number, now: number): GetHostResult {
    const key = routeKeyOf(modid, cmdid);
    const rb = this.routes.get(key);
    if (rb === undefined) return { retcode: RetCode.NOEXIST, pull: this.createRoute(key, modid, cmdid, now) };
    const picked = rb.pick(now);
    return { ...picked, pull: this.checkPull(rb, now) };
  }

  /** GetRoute: every host of the route, with the same pull rules as {@link Balancer.getHost}. */
  getRoute(modid: number, cmdid: number, now: number): GetRouteResult {
    const key = routeKeyOf(modid, cmdid);
    const rb = this.routes.get(key);
    if (rb === undefined) return { hosts: [], pull: this.createRoute(key, modid, cmdid, now) };
    return { hosts: rb.allHosts(), pull: this.checkPull(rb, now) };
  }

  /** Counts one call outcome; unknown routes and hosts are ignored (returns false). */
  report(modid: number, cmdid: number, host: HostInfo, retcode: number, now: number): boolean {
    const key = routeKeyOf(modid, cmdid);
    const rb = this.routes.get(key);
    if (rb === undefined) return false;
    const known = rb.report(host, retcode, now);
    if (known) this.dirty.add(key);
    return known;
  }

  /**
   * A route update (pull reply or push). An empty host list removes the route and caches
   * "does not exist" for noexistTimeout. Returns false when the update removed the route.
   */
  updateRoute(modid: number, cmdid: number, hosts: readonly HostInfo[], now: number): boolean {
    const key = routeKeyOf(modid, cmdid);
    if (hosts.length === 0) {
      this.routes.delete(key);
      this.dirty.delete(key);
      this.lastReport.delete(key);
      this.rememberNoexist(key, now);
      return false;
    }
    this.noexist.delete(key);
    let rb = this.routes.get(key);
    if (rb === undefined) {
      rb = new RouteBalancer(modid, cmdid, this.config);
      this.routes.set(key, rb);
    }
    rb.update(hosts, now);
    return true;
  }

  /** Routes stuck PULLING (to pull again after a DNS reconnect). */
  pullingRoutes(): RouteBalancer[] {
    return this.allRoutes().filter((r) => r.state === "PULLING");
  }

  /** Routes that are NEW and older than updateTimeout; they are marked PULLING. */
  needsPull(now: number): RouteBalancer[] {
    const out: RouteBalancer[] = [];
    for (const rb of this.routes.values()) {
      if (rb.needsPull(now)) {
        rb.markPulling();
        out.push(rb);
      }
    }
    return out;
  }

  /**
   * The ReportStatusRequests due now: one per route reported since its last request, at most one
   * per route per {@link REPORT_INTERVAL_MS}. Routes not yet due stay pending.
   */
  takeReports(caller: number, now: number): ReportStatusRequest[] {
    const out: ReportStatusRequest[] = [];
    for (const key of [...this.dirty]) {
      const rb = this.routes.get(key);
      if (rb === undefined) {
        this.dirty.delete(key);
        continue;
      }
      const last = this.lastReport.get(key);
      if (last !== undefined && now - last < REPORT_INTERVAL_MS) continue;
      this.dirty.delete(key);
      this.lastReport.set(key, now);
      out.push(rb.snapshot(caller, now));
    }
    return out;
  }

  /** Number of routes with reports not yet taken. */
  get pendingReports(): number {
    return this.dirty.size;
  }

  private createRoute(key: string, modid: number, cmdid: number, now: number): boolean {
    const until = this.noexist.get(key);
    if (until !== undefined) {
      if (now < until) return false;
      this.noexist.delete(key);
    }
    this.routes.set(key, new RouteBalancer(modid, cmdid, this.config));
    return true;
  }

  private checkPull(rb: RouteBalancer, now: number): boolean {
    if (!rb.needsPull(now)) return false;
    rb.markPulling();
    return true;
  }

  private rememberNoexist(key: string, now: number): void {
    this.noexist.delete(key);
    this.noexist.set(key, now + this.config.noexistTimeout * 1000);
    while (this.noexist.size > this.noexistCap) {
      const oldest = this.noexist.keys().next().value;
      if (oldest === undefined) break;
      this.noexist.delete(oldest);
    }
  }
}
