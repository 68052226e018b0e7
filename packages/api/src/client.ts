import { createSocket } from "node:dgram";
import type { RemoteInfo, Socket } from "node:dgram";
import { isIPv4 } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeFrame } from "@lars/codec";
import {
  MsgId,
  RetCode,
  getHostRequestCodec,
  getHostResponseCodec,
  getRouteRequestCodec,
  getRouteResponseCodec,
  int32ToIp,
  ipToInt32,
  reportRequestCodec,
} from "@lars/proto";
import type { GetHostResponse } from "@lars/proto";
import {
  LarsApiAbortedError,
  LarsApiClosedError,
  LarsApiInvalidArgumentError,
  LarsApiPendingFullError,
  LarsApiSendError,
  LarsApiTimeoutError,
} from "./errors.js";
import { agentPortIndex } from "./port.js";

/** Default agent host. */
export const DEFAULT_AGENT_HOST = "127.0.0.1";
/** Default first agent port (the C++ agent's). */
export const DEFAULT_AGENT_BASE_PORT = 8888;
/** Default number of agent ports. */
export const DEFAULT_AGENT_PORT_COUNT = 3;
/** Default reply timeout of getHost/getRoute, ms. */
export const DEFAULT_TIMEOUT_MS = 1000;
/** Default cap on calls waiting for a reply. */
export const DEFAULT_MAX_PENDING = 4096;

/** Options of {@link LarsClient}. */
export interface LarsClientOptions {
  /** The agent's IPv4 address (a literal, no name lookup), default 127.0.0.1. */
  readonly host?: string;
  /** First agent port, default 8888: route (modid, cmdid) is served at `basePort + agentPortIndex(modid, cmdid, count)`. */
  readonly basePort?: number;
  /** Number of agent ports, default 3 (the agent's `[agent] count`). */
  readonly count?: number;
  /**
   * The agent's ports listed one by one (index i = {@link agentPortIndex} i), for an agent whose
   * ports are not consecutive (e.g. started on port 0). Overrides `basePort`; `count` becomes its length.
   */
  readonly ports?: readonly number[];
  /** Default reply timeout of getHost/getRoute in ms, default 1000. */
  readonly timeoutMs?: number;
  /** Most getHost/getRoute calls waiting for a reply at once, default 4096; more reject with LARS_API_PENDING_FULL. */
  readonly maxPending?: number;
}

/** Per-call options of {@link LarsClient.getHost} and {@link LarsClient.getRoute}. */
export interface CallOptions {
  /** Reply timeout in ms (default: the client's `timeoutMs`). */
  readonly timeoutMs?: number;
  /** Aborts the wait (rejects with LARS_API_ABORTED); a request already sent is not recalled. */
  readonly signal?: AbortSignal;
}

/** Options of {@link LarsClient.regInit}. */
export interface RegInitOptions extends CallOptions {
  /** getHost tries at most, default 3 (the C++ reg_init's). */
  readonly attempts?: number;
  /** Pause between tries in ms, default 50 (the C++ reg_init's). */
  readonly intervalMs?: number;
}

/** A host as callers see it: dotted IPv4 and port. */
export interface ApiHost {
  readonly ip: string;
  readonly port: number;
}

/** A host given to {@link LarsClient.report}: dotted IPv4 (`"10.0.0.1"`) or the int32 of the wire. */
export interface ReportHost {
  readonly ip: string | number;
  readonly port: number;
}

/** Why getHost gave no host: the names of the `RetCode`s of `@lars/proto`. */
export type GetHostFailure = "OVERLOAD" | "NOEXIST" | "SYSTEM_ERROR";

/** getHost chose a host (retcode SUCC). */
export interface GetHostOk {
  readonly ok: true;
  readonly retcode: 0;
  readonly host: ApiHost;
}

/**
 * getHost gave no host: `OVERLOAD` (every host of the route is overloaded: back off or fail
 * fast), `NOEXIST` (the agent does not know the route, yet or at all), `SYSTEM_ERROR` (anything else).
 */
export interface GetHostFail {
  readonly ok: false;
  /** The agent's retcode (RetCode.OVERLOAD 1, NOEXIST 3, SYSTEM_ERROR 2 or an unknown one). */
  readonly retcode: number;
  readonly reason: GetHostFailure;
}

/** The answer of {@link LarsClient.getHost}. */
export type GetHostResult = GetHostOk | GetHostFail;

/** Counters of a {@link LarsClient}. */
export interface LarsClientStats {
  /** GetHostRequests sent. */
  getHosts: number;
  /** GetHostResponses matched to a waiting call. */
  getHostReplies: number;
  /** ApiGetRouteRequests sent. */
  getRoutes: number;
  /** ApiGetRouteResponses matched to a waiting call. */
  getRouteReplies: number;
  /** ReportRequests sent. */
  reports: number;
  /** Calls that timed out. */
  timeouts: number;
  /** Replies nobody waits for (late after a timeout, unknown seq, wrong route or sender): dropped. */
  stale: number;
  /** Datagrams that are not a well-formed Lars frame or message: dropped. */
  invalid: number;
  /** Sends the socket refused. */
  sendErrors: number;
}

const REASONS: Record<number, GetHostFailure> = { [RetCode.OVERLOAD]: "OVERLOAD", [RetCode.NOEXIST]: "NOEXIST" };
const INT32_MIN = -0x80000000;
const INT32_MAX = 0x7fffffff;

function checkId(v: number, name: string): void {
  if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) throw new LarsApiInvalidArgumentError(`${name} must be an int32, got ${String(v)}`);
}

function checkPort(v: number, name: string): void {
  if (!Number.isInteger(v) || v < 1 || v > 65535) throw new LarsApiInvalidArgumentError(`${name} must be a port 1..65535, got ${String(v)}`);
}

function checkPositive(v: number, name: string): void {
  if (!(Number.isFinite(v) && v > 0)) throw new LarsApiInvalidArgumentError(`${name} must be > 0, got ${String(v)}`);
}

/** One call waiting for a reply (getHost or getRoute). */
class Waiter<T> {
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  constructor(
    readonly seq: number,
    readonly modid: number,
    readonly cmdid: number,
    readonly port: number,
    readonly resolve: (v: T) => void,
    readonly reject: (e: Error) => void,
  ) {}
}

function toResult(r: GetHostResponse): GetHostResult {
  if (r.retcode === RetCode.SUCC && r.host !== undefined) return { ok: true, retcode: 0, host: { ip: int32ToIp(r.host.ip), port: r.host.port } };
  const retcode = r.retcode === RetCode.SUCC ? RetCode.SYSTEM_ERROR : r.retcode;
  return { ok: false, retcode, reason: REASONS[retcode] ?? "SYSTEM_ERROR" };
}

/**
 * A caller's client of its local Lars agent, over one UDP socket.
 *
 * Route (modid, cmdid) lives at agent port `basePort + agentPortIndex(modid, cmdid, count)`.
 * GetHost replies are matched by a per-client increasing `seq` (and the route and the port they
 * come from): a late reply to a call that already timed out is dropped, never given to a later
 * call. UDP loses datagrams: a lost request or reply shows up as a LARS_API_TIMEOUT.
 */
export class LarsClient {
  /** The agent's IPv4 address. */
  readonly host: string;
  /** The agent's ports, index = {@link agentPortIndex}. */
  readonly ports: readonly number[];
  /** Default reply timeout in ms. */
  readonly timeoutMs: number;
  /** Most calls waiting at once. */
  readonly maxPending: number;
  /** Counters. */
  readonly stats: LarsClientStats = { getHosts: 0, getHostReplies: 0, getRoutes: 0, getRouteReplies: 0, reports: 0, timeouts: 0, stale: 0, invalid: 0, sendErrors: 0 };
  private readonly socket: Socket;
  private readonly hostCalls = new Map<number, Waiter<GetHostResult>>();
  private readonly routeCalls = new Map<string, Waiter<ApiHost[]>[]>();
  private pendingCount = 0;
  /** Reports handed to the socket whose send has not completed yet. */
  private reportsInFlight = 0;
  private reportsSent: (() => void) | undefined;
  private seq = 0;
  private closed = false;
  private closing: Promise<void> | undefined;

  /** Opens the UDP socket (unref'd: an idle client does not keep the process alive); nothing is sent yet. */
  constructor(options: LarsClientOptions = {}) {
    this.host = options.host ?? DEFAULT_AGENT_HOST;
    if (!isIPv4(this.host)) throw new LarsApiInvalidArgumentError(`host must be an IPv4 address, got ${JSON.stringify(this.host)}`);
    if (options.ports !== undefined) {
      if (options.ports.length === 0) throw new LarsApiInvalidArgumentError("ports must not be empty");
      options.ports.forEach((p, i) => checkPort(p, `ports[${i}]`));
      this.ports = [...options.ports];
    } else {
      const base = options.basePort ?? DEFAULT_AGENT_BASE_PORT;
      const count = options.count ?? DEFAULT_AGENT_PORT_COUNT;
      if (!Number.isInteger(count) || count < 1) throw new LarsApiInvalidArgumentError(`count must be an integer >= 1, got ${String(count)}`);
      checkPort(base, "basePort");
      checkPort(base + count - 1, "basePort + count - 1");
      this.ports = Array.from({ length: count }, (_, i) => base + i);
    }
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    checkPositive(this.timeoutMs, "timeoutMs");
    this.maxPending = options.maxPending ?? DEFAULT_MAX_PENDING;
    if (!Number.isInteger(this.maxPending) || this.maxPending < 1) throw new LarsApiInvalidArgumentError(`maxPending must be an integer >= 1, got ${String(this.maxPending)}`);
    this.socket = createSocket("udp4");
    this.socket.on("message", (msg: Buffer, rinfo: RemoteInfo) => this.onMessage(msg, rinfo));
    // Errors of sends with a callback go to the callback; anything else (none expected) is counted.
    this.socket.on("error", () => this.stats.sendErrors++);
    this.socket.unref();
  }

  /** Calls (getHost + getRoute) waiting for a reply now. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Whether {@link LarsClient.close} was called. */
  get isClosed(): boolean {
    return this.closed;
  }

  /** The agent port serving (modid, cmdid). */
  portFor(modid: number, cmdid: number): number {
    return this.ports[agentPortIndex(modid, cmdid, this.ports.length)] as number;
  }

  /**
   * Asks the agent for a host of (modid, cmdid) (GetHostRequest msgid 4 → GetHostResponse 5).
   * Resolves `{ ok: true, host }` or `{ ok: false, reason: "OVERLOAD" | "NOEXIST" | "SYSTEM_ERROR" }`;
   * rejects with LarsApiTimeoutError, LarsApiClosedError, LarsApiAbortedError, LarsApiPendingFullError,
   * LarsApiSendError or (bad ids) LarsApiInvalidArgumentError.
   */
  getHost(modid: number, cmdid: number, options?: CallOptions): Promise<GetHostResult> {
    try {
      checkId(modid, "modid");
      checkId(cmdid, "cmdid");
      this.checkCanWait(options);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    let seq = this.seq;
    do seq = (seq + 1) >>> 0;
    while (seq === 0 || this.hostCalls.has(seq));
    this.seq = seq;
    const port = this.portFor(modid, cmdid);
    const frame = encodeFrame(MsgId.GetHostRequest, getHostRequestCodec.encode({ seq, modid, cmdid }));
    return new Promise<GetHostResult>((resolve, reject) => {
      const w = new Waiter<GetHostResult>(seq, modid, cmdid, port, resolve, reject);
      this.hostCalls.set(seq, w);
      this.arm(w, "getHost", options);
      this.stats.getHosts++;
      this.socket.send(frame, port, this.host, (err) => {
        if (err !== null && this.hostCalls.get(seq) === w) {
          this.hostCalls.delete(seq);
          this.settle(w);
          this.stats.sendErrors++;
          reject(new LarsApiSendError(err));
        }
      });
    });
  }

  /**
   * Reports the outcome of a call to `host` (ReportRequest msgid 6, no reply): `retcode` 0
   * (RetCode.SUCC) is a success, anything else a failure. Fire and forget: a lost datagram is a lost report.
   * Throws LarsApiClosedError, LarsApiInvalidArgumentError, or InvalidIpError (`@lars/proto`) for a bad ip.
   */
  report(modid: number, cmdid: number, host: ReportHost, retcode: number): void {
    checkId(modid, "modid");
    checkId(cmdid, "cmdid");
    checkId(retcode, "retcode");
    checkPort(host.port, "host.port");
    if (this.closed) throw new LarsApiClosedError();
    const ip = typeof host.ip === "number" ? host.ip : ipToInt32(host.ip);
    checkId(ip, "host.ip");
    const frame = encodeFrame(MsgId.ReportRequest, reportRequestCodec.encode({ modid, cmdid, host: { ip, port: host.port }, retcode }));
    this.stats.reports++;
    this.reportsInFlight++;
    this.socket.send(frame, this.portFor(modid, cmdid), this.host, this.onReportSent);
  }

  /** One callback for every report's send (no closure per call); {@link LarsClient.close} waits for the last. */
  private readonly onReportSent = (err: Error | null): void => {
    if (err !== null) this.stats.sendErrors++;
    if (--this.reportsInFlight === 0 && this.reportsSent !== undefined) this.reportsSent();
  };

  /**
   * Every host of (modid, cmdid) (ApiGetRouteRequest msgid 7 → ApiGetRouteResponse 8); `[]` when
   * the agent does not hold the route (it starts a pull). The reply carries no seq: it goes to the
   * oldest waiting getRoute of the same route, so after a timeout a later call may get the late
   * (slightly older) answer. Rejects as {@link LarsClient.getHost}.
   */
  getRoute(modid: number, cmdid: number, options?: CallOptions): Promise<ApiHost[]> {
    try {
      checkId(modid, "modid");
      checkId(cmdid, "cmdid");
      this.checkCanWait(options);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const port = this.portFor(modid, cmdid);
    const key = `${modid}:${cmdid}`;
    const frame = encodeFrame(MsgId.ApiGetRouteRequest, getRouteRequestCodec.encode({ modid, cmdid }));
    return new Promise<ApiHost[]>((resolve, reject) => {
      const w = new Waiter<ApiHost[]>(0, modid, cmdid, port, resolve, reject);
      const q = this.routeCalls.get(key);
      if (q === undefined) this.routeCalls.set(key, [w]);
      else q.push(w);
      this.arm(w, "getRoute", options);
      this.stats.getRoutes++;
      this.socket.send(frame, port, this.host, (err) => {
        if (err !== null && this.removeRouteWaiter(w)) {
          this.settle(w);
          this.stats.sendErrors++;
          reject(new LarsApiSendError(err));
        }
      });
    });
  }

  /**
   * Warms the route at start-up, as the C++ API's reg_init: getHost until the answer is not NOEXIST
   * (the agent pulls an unknown route from DNS on the first ask), at most `attempts` tries
   * `intervalMs` apart. Resolves with the last answer (still NOEXIST when the route does not exist).
   */
  async regInit(modid: number, cmdid: number, options: RegInitOptions = {}): Promise<GetHostResult> {
    const attempts = options.attempts ?? 3;
    const intervalMs = options.intervalMs ?? 50;
    if (!Number.isInteger(attempts) || attempts < 1) throw new LarsApiInvalidArgumentError(`attempts must be an integer >= 1, got ${String(attempts)}`);
    if (!(Number.isFinite(intervalMs) && intervalMs >= 0)) throw new LarsApiInvalidArgumentError(`intervalMs must be >= 0, got ${String(intervalMs)}`);
    let r = await this.getHost(modid, cmdid, options);
    for (let i = 1; i < attempts && !r.ok && r.reason === "NOEXIST"; i++) {
      try {
        await sleep(intervalMs, undefined, options.signal === undefined ? undefined : { signal: options.signal });
      } catch {
        throw new LarsApiAbortedError(options.signal?.reason);
      }
      r = await this.getHost(modid, cmdid, options);
    }
    return r;
  }

  /** Rejects every waiting call with LarsApiClosedError, lets the reports already given go out (at most 1 s), and closes the socket. Idempotent. */
  close(): Promise<void> {
    if (this.closing !== undefined) return this.closing;
    this.closed = true;
    const err = new LarsApiClosedError();
    for (const w of [...this.hostCalls.values()]) {
      this.hostCalls.delete(w.seq);
      this.settle(w);
      w.reject(err);
    }
    for (const q of [...this.routeCalls.values()]) {
      for (const w of q) {
        this.settle(w);
        w.reject(err);
      }
    }
    this.routeCalls.clear();
    this.closing = (async () => {
      // Reports have no reply: closing the socket under a send still resolving its address would
      // drop them silently. Wait for them (at most 1 s), then close.
      if (this.reportsInFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 1000);
          this.reportsSent = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await new Promise<void>((resolve) => {
        try {
          this.socket.close(() => resolve());
        } catch {
          resolve(); // already closed
        }
      });
    })();
    return this.closing;
  }

  private checkCanWait(options: CallOptions | undefined): void {
    if (this.closed) throw new LarsApiClosedError();
    if (options?.signal?.aborted === true) throw new LarsApiAbortedError(options.signal.reason);
    if (options?.timeoutMs !== undefined) checkPositive(options.timeoutMs, "timeoutMs");
    if (this.pendingCount >= this.maxPending) throw new LarsApiPendingFullError(this.maxPending);
  }

  /** Counts the waiter and starts its timeout and abort listener. */
  private arm<T>(w: Waiter<T>, op: string, options: CallOptions | undefined): void {
    this.pendingCount++;
    const timeoutMs = options?.timeoutMs ?? this.timeoutMs;
    w.timer = setTimeout(() => {
      if (!this.unregister(w)) return;
      this.settle(w);
      this.stats.timeouts++;
      w.reject(new LarsApiTimeoutError(op, w.modid, w.cmdid, timeoutMs));
    }, timeoutMs);
    const signal = options?.signal;
    if (signal !== undefined) {
      w.signal = signal;
      w.onAbort = () => {
        if (!this.unregister(w)) return;
        this.settle(w);
        w.reject(new LarsApiAbortedError(signal.reason));
      };
      signal.addEventListener("abort", w.onAbort, { once: true });
    }
  }

  /** Removes a waiter from its map; false when it was already gone (settled). */
  private unregister<T>(w: Waiter<T>): boolean {
    if (w.seq !== 0) {
      if (this.hostCalls.get(w.seq) !== (w as unknown)) return false;
      this.hostCalls.delete(w.seq);
      return true;
    }
    return this.removeRouteWaiter(w as unknown as Waiter<ApiHost[]>);
  }

  private removeRouteWaiter(w: Waiter<ApiHost[]>): boolean {
    const key = `${w.modid}:${w.cmdid}`;
    const q = this.routeCalls.get(key);
    const i = q === undefined ? -1 : q.indexOf(w);
    if (q === undefined || i < 0) return false;
    q.splice(i, 1);
    if (q.length === 0) this.routeCalls.delete(key);
    return true;
  }

  /** Stops a removed waiter's timer and abort listener and uncounts it. */
  private settle<T>(w: Waiter<T>): void {
    clearTimeout(w.timer);
    if (w.onAbort !== undefined) w.signal?.removeEventListener("abort", w.onAbort);
    this.pendingCount--;
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (msg.length < 8 || msg.readInt32LE(4) !== msg.length - 8) {
      this.stats.invalid++;
      return;
    }
    const msgid = msg.readInt32LE(0);
    const body = msg.subarray(8);
    if (msgid === MsgId.GetHostResponse) {
      let r: GetHostResponse;
      try {
        r = getHostResponseCodec.decode(body);
      } catch {
        this.stats.invalid++;
        return;
      }
      const w = this.hostCalls.get(r.seq);
      if (w === undefined || w.modid !== r.modid || w.cmdid !== r.cmdid || w.port !== rinfo.port || rinfo.address !== this.host) {
        this.stats.stale++;
        return;
      }
      this.hostCalls.delete(r.seq);
      this.settle(w);
      this.stats.getHostReplies++;
      w.resolve(toResult(r));
    } else if (msgid === MsgId.ApiGetRouteResponse) {
      let hosts: ApiHost[];
      let key: string;
      try {
        const r = getRouteResponseCodec.decode(body);
        key = `${r.modid}:${r.cmdid}`;
        hosts = r.host.map((h) => ({ ip: int32ToIp(h.ip), port: h.port }));
      } catch {
        this.stats.invalid++;
        return;
      }
      const q = this.routeCalls.get(key);
      const w = q?.[0];
      if (q === undefined || w === undefined || w.port !== rinfo.port || rinfo.address !== this.host) {
        this.stats.stale++;
        return;
      }
      q.shift();
      if (q.length === 0) this.routeCalls.delete(key);
      this.settle(w);
      this.stats.getRouteReplies++;
      w.resolve(hosts);
    } else {
      this.stats.invalid++;
    }
  }
}
