import type { LoadBalanceConfig } from "./config.js";

/** The key of a host inside a route: `"ip:port"` with the int32 ip. */
export function hostKey(ip: number, port: number): string {
  return `${ip}:${port}`;
}

/**
 * What the agent knows about one host of a route. `ip` is the int32 of the wire.
 * `vsucc`/`verr` are the virtual counts the idle/overload rules use; `rsucc`/`rerr` the real
 * counts of the current window; `idleTs`/`overloadTs` are milliseconds of the injected clock.
 */
export class HostState {
  /** int32 IPv4 address, as on the wire. */
  readonly ip: number;
  /** TCP/UDP port of the host. */
  readonly port: number;
  /** Virtual successes. */
  vsucc = 0;
  /** Virtual errors. */
  verr = 0;
  /** Real successes in the current window. */
  rsucc = 0;
  /** Real errors in the current window. */
  rerr = 0;
  /** Successes in a row. */
  continSucc = 0;
  /** Failures in a row. */
  continErr = 0;
  /** When the current idle window started (ms). */
  idleTs = 0;
  /** When the host was overloaded (ms). */
  overloadTs = 0;
  /** True while the host is on the overload list. */
  overload = false;
  /** Times this host was handed to a caller (probes included), since it joined the route. */
  picks = 0;
  /** Times it was handed out as a probe while overloaded. */
  probes = 0;
  /** Times it went from idle to overload. */
  overloads = 0;

  /** A new host is idle with `vsucc = initSuccCnt`, its window starting at `now`. */
  constructor(ip: number, port: number, config: LoadBalanceConfig, now: number) {
    this.ip = ip;
    this.port = port;
    this.setIdle(config, now);
  }

  /** Go (or stay) idle: `vsucc = initSuccCnt`, every other count 0, window restarts at `now`. */
  setIdle(config: LoadBalanceConfig, now: number): void {
    this.vsucc = config.initSuccCnt;
    this.verr = 0;
    this.rsucc = 0;
    this.rerr = 0;
    this.continSucc = 0;
    this.continErr = 0;
    this.idleTs = now;
    this.overload = false;
  }

  /** Go overloaded: `verr = initErrCnt`, every other count 0, `overloadTs = now`. */
  setOverload(config: LoadBalanceConfig, now: number): void {
    this.vsucc = 0;
    this.verr = config.initErrCnt;
    this.rsucc = 0;
    this.rerr = 0;
    this.continSucc = 0;
    this.continErr = 0;
    this.overloadTs = now;
    if (!this.overload) this.overloads++;
    this.overload = true;
  }
}
