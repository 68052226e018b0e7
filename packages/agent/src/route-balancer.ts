import { RetCode } from "@lars/proto";
import type { HostCallResult, HostInfo, ReportStatusRequest, RetCodeValue } from "@lars/proto";
import type { LoadBalanceConfig } from "./config.js";
import { HostState, hostKey } from "./host-state.js";

/** PULLING: a GetRouteRequest is outstanding; NEW: the route was updated at `lastUpdate`. */
export type RouteState = "PULLING" | "NEW";

/** The answer of {@link RouteBalancer.pick}. */
export interface PickResult {
  /** SUCC with a host, OVERLOAD (no host), or NOEXIST (the route has no host). */
  readonly retcode: RetCodeValue;
  /** The chosen host when `retcode` is SUCC. */
  readonly host?: HostInfo;
  /** True when the host was taken from the overload list (a probe). */
  readonly probe?: boolean;
}

/**
 * The load balancer of one route (modid, cmdid): pure, no sockets, every time given as `now`
 * (milliseconds of an injected clock). Idle and overload lists are both round-robin: take the
 * front, put it at the back.
 */
export class RouteBalancer {
  /** Module id. */
  readonly modid: number;
  /** Command id. */
  readonly cmdid: number;
  /** PULLING until the first update, NEW after each update. */
  state: RouteState = "PULLING";
  /** Time of the last update (ms), 0 before the first. */
  lastUpdate = 0;
  private readonly config: LoadBalanceConfig;
  private readonly hosts = new Map<string, HostState>();
  private idle: HostState[] = [];
  private overloaded: HostState[] = [];
  private accessCnt = 0;

  /** A route starts PULLING with no host. */
  constructor(modid: number, cmdid: number, config: LoadBalanceConfig) {
    this.modid = modid;
    this.cmdid = cmdid;
    this.config = config;
  }

  /** Number of hosts (idle + overloaded). */
  get size(): number {
    return this.hosts.size;
  }

  /** True when the route has no host. */
  isEmpty(): boolean {
    return this.hosts.size === 0;
  }

  /** The state of one host, or undefined when the route does not hold it. */
  host(ip: number, port: number): HostState | undefined {
    return this.hosts.get(hostKey(ip, port));
  }

  /** The idle list, front first (a copy). */
  idleHosts(): HostInfo[] {
    return this.idle.map(toInfo);
  }

  /** The overload list, front first (a copy). */
  overloadedHosts(): HostInfo[] {
    return this.overloaded.map(toInfo);
  }

  /** Every host: idle list then overload list. */
  allHosts(): HostInfo[] {
    return [...this.idleHosts(), ...this.overloadedHosts()];
  }

  /**
   * Picks a host. No host → NOEXIST. Idle list empty → one call in `probeNum + 1` probes the
   * head of the overload list, the others OVERLOAD. Both lists non-empty → one call in
   * `probeNum + 1` probes an overloaded host, the others take the next idle host. Only idle hosts →
   * the next idle host.
   */
  pick(_now: number): PickResult {
    if (this.hosts.size === 0) return { retcode: RetCode.NOEXIST };
    if (this.idle.length === 0) {
      if (this.accessCnt >= this.config.probeNum) {
        this.accessCnt = 0;
        return { retcode: RetCode.SUCC, host: toInfo(probed(rotate(this.overloaded))), probe: true };
      }
      this.accessCnt++;
      return { retcode: RetCode.OVERLOAD };
    }
    if (this.overloaded.length === 0) {
      return { retcode: RetCode.SUCC, host: toInfo(picked(rotate(this.idle))), probe: false };
    }
    if (this.accessCnt >= this.config.probeNum) {
      this.accessCnt = 0;
      return { retcode: RetCode.SUCC, host: toInfo(probed(rotate(this.overloaded))), probe: true };
    }
    this.accessCnt++;
    return { retcode: RetCode.SUCC, host: toInfo(picked(rotate(this.idle))), probe: false };
  }

  /**
   * Counts one call outcome (`retcode` 0 = success) and applies the idle/overload rules and the
   * window/timeout rules, in that order. Returns false (and changes nothing) for an unknown host.
   */
  report(host: HostInfo, retcode: number, now: number): boolean {
    const hs = this.hosts.get(hostKey(host.ip, host.port));
    if (hs === undefined) return false;
    const c = this.config;
    const succ = retcode === RetCode.SUCC;
    if (succ) {
      hs.vsucc++;
      hs.rsucc++;
      hs.continSucc++;
      hs.continErr = 0;
    } else {
      hs.verr++;
      hs.rerr++;
      hs.continErr++;
      hs.continSucc = 0;
    }
    if (!hs.overload && !succ) {
      if (hs.verr / (hs.vsucc + hs.verr) > c.errRate || hs.continErr >= c.continErrLimit) {
        this.toOverload(hs, now);
      }
    } else if (hs.overload && succ) {
      if (hs.vsucc / (hs.vsucc + hs.verr) > c.succRate || hs.continSucc >= c.continSuccLimit) {
        this.toIdle(hs, now);
      }
    }
    if (!hs.overload) {
      if (now - hs.idleTs >= c.idleTimeout * 1000) {
        const total = hs.rsucc + hs.rerr;
        if (total > 0 && hs.rerr / total >= c.windowErrRate) this.toOverload(hs, now);
        else hs.setIdle(c, now);
      }
    } else if (now - hs.overloadTs >= c.overloadTimeout * 1000) {
      this.toIdle(hs, now);
    }
    return true;
  }

  /**
   * Applies a route update (pull reply or push): new hosts join the idle list with
   * `vsucc = initSuccCnt`; hosts missing from `hosts` leave both lists and the host map; known
   * hosts keep their state. The route becomes NEW with `lastUpdate = now`.
   */
  update(hosts: readonly HostInfo[], now: number): void {
    const wanted = new Set<string>();
    for (const h of hosts) {
      const key = hostKey(h.ip, h.port);
      wanted.add(key);
      if (!this.hosts.has(key)) {
        const hs = new HostState(h.ip, h.port, this.config, now);
        this.hosts.set(key, hs);
        this.idle.push(hs);
      }
    }
    for (const key of [...this.hosts.keys()]) {
      if (!wanted.has(key)) this.hosts.delete(key);
    }
    if (this.idle.some((h) => !wanted.has(hostKey(h.ip, h.port)))) {
      this.idle = this.idle.filter((h) => wanted.has(hostKey(h.ip, h.port)));
    }
    if (this.overloaded.some((h) => !wanted.has(hostKey(h.ip, h.port)))) {
      this.overloaded = this.overloaded.filter((h) => wanted.has(hostKey(h.ip, h.port)));
    }
    this.state = "NEW";
    this.lastUpdate = now;
  }

  /** True when the route is NEW and more than `updateTimeout` older than its last update. */
  needsPull(now: number): boolean {
    return this.state === "NEW" && now - this.lastUpdate > this.config.updateTimeout * 1000;
  }

  /** Marks the route PULLING (a GetRouteRequest was sent). */
  markPulling(): void {
    this.state = "PULLING";
  }

  /**
   * The route's state for the reporter: every host (idle list then overload list) with its window
   * counts (`rsucc`, `rerr`) and overload flag. `caller` is the agent's int32 IPv4, `ts` unix seconds.
   */
  snapshot(caller: number, now: number): ReportStatusRequest {
    const results: HostCallResult[] = [];
    for (const h of [...this.idle, ...this.overloaded]) {
      results.push({ ip: h.ip, port: h.port, succ: h.rsucc, err: h.rerr, overload: h.overload });
    }
    return { modid: this.modid, cmdid: this.cmdid, caller, results, ts: Math.floor(now / 1000) };
  }

  /** Every host's full state (idle list then overload list), for `/status` and the console. */
  hostStates(): readonly HostState[] {
    return [...this.idle, ...this.overloaded];
  }

  private toOverload(hs: HostState, now: number): void {
    hs.setOverload(this.config, now);
    const i = this.idle.indexOf(hs);
    if (i >= 0) this.idle.splice(i, 1);
    if (!this.overloaded.includes(hs)) this.overloaded.push(hs);
  }

  private toIdle(hs: HostState, now: number): void {
    hs.setIdle(this.config, now);
    const i = this.overloaded.indexOf(hs);
    if (i >= 0) this.overloaded.splice(i, 1);
    if (!this.idle.includes(hs)) this.idle.push(hs);
  }
}

function rotate(list: HostState[]): HostState {
  const h = list.shift() as HostState;
  list.push(h);
  return h;
}

function picked(h: HostState): HostState {
  h.picks++;
  return h;
}

function probed(h: HostState): HostState {
  h.picks++;
  h.probes++;
  return h;
}

function toInfo(h: HostState): HostInfo {
  return { ip: h.ip, port: h.port };
}
