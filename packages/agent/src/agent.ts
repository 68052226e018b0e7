import { EventLoop } from "@lars/event-loop";
import {
  MsgId,
  getHostRequestCodec,
  getHostResponseCodec,
  getRouteRequestCodec,
  getRouteResponseCodec,
  ipToInt32,
  reportRequestCodec,
  reportStatusRequestCodec,
} from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { UdpServer } from "@lars/udp";
import type { AddressInfo } from "node:net";
import { Balancer } from "./balancer.js";
import type { LoadBalanceConfig } from "./config.js";
import { resolveLoadBalanceConfig } from "./config.js";
import { agentPortIndex } from "./port-index.js";
import { snapshotRoutes } from "./snapshot.js";
import type { AgentRouteSnapshot } from "./snapshot.js";

/** Messages queued per TCP client while disconnected. */
export const AGENT_QUEUE_MAX_MESSAGES = 10_000;

/** A pino-shaped logger: `warn(obj, msg)`. */
export interface AgentLogger {
  /** Something went wrong but the agent goes on. */
  warn(obj: object, msg?: string): void;
}

/** Options of {@link LarsAgent}. */
export interface LarsAgentOptions {
  /** UDP host, default 127.0.0.1. */
  readonly ip?: string;
  /** First UDP port, default 8888 (0: each server takes any free port). */
  readonly port?: number;
  /** Number of UDP ports, default 3. */
  readonly count?: number;
  /** DNS service, default 127.0.0.1:7778. */
  readonly dns?: { readonly host: string; readonly port: number };
  /** Reporter service, default 127.0.0.1:7779. */
  readonly reporter?: { readonly host: string; readonly port: number };
  /** `[loadbalance]` settings. */
  readonly loadBalance?: Partial<LoadBalanceConfig>;
  /** This agent's IPv4 (the `caller` of ReportStatusRequests), default the UDP host or 127.0.0.1. */
  readonly callerIp?: string;
  /** Logger (pino-shaped). */
  readonly logger?: AgentLogger;
  /** Clock in ms, default Date.now. */
  readonly now?: () => number;
  /** Reconnect delays of both TCP clients. */
  readonly reconnect?: { readonly initialDelayMs?: number; readonly maxDelayMs?: number };
}

/** Counters of a {@link LarsAgent}. */
export interface LarsAgentStats {
  /** GetRouteRequests sent or queued. */
  pullsSent: number;
  /** Messages to DNS or reporter refused (not connected past the queue, or output full). */
  sendsFailed: number;
  /** Undecodable datagrams or frames. */
  decodeErrors: number;
  /** ReportStatusRequests sent or queued. */
  reportsSent: number;
  /** GetHostRequests answered. */
  getHosts: number;
  /** ReportRequests received (known and unknown hosts). */
  reports: number;
  /** GetRouteRequests (msgid 7) answered. */
  getRoutes: number;
}

/**
 * The load-balance agent: `count` UDP servers for callers (route (modid, cmdid) held by the
 * server at index {@link agentPortIndex}), a DNS client pulling and receiving routes, and a
 * reporter client receiving coalesced ReportStatusRequests.
 */
export class LarsAgent {
  /** The event loop owning every socket. */
  readonly loop: EventLoop;
  /** Counters. */
  readonly stats: LarsAgentStats = { pullsSent: 0, sendsFailed: 0, decodeErrors: 0, reportsSent: 0, getHosts: 0, reports: 0, getRoutes: 0 };
  /** One balancer per UDP port. */
  readonly balancers: Balancer[];
  private readonly servers: UdpServer[] = [];
  private readonly opts: LarsAgentOptions;
  private readonly count: number;
  private readonly now: () => number;
  private readonly caller: number;
  private dns: TcpClient | undefined;
  private reporter: TcpClient | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  /** Nothing opens until {@link LarsAgent.start}. */
  constructor(options: LarsAgentOptions = {}) {
    this.opts = options;
    this.count = options.count ?? 3;
    this.now = options.now ?? Date.now;
    const lb = resolveLoadBalanceConfig(options.loadBalance);
    this.balancers = Array.from({ length: this.count }, () => new Balancer(lb));
    this.caller = ipToInt32(options.callerIp ?? options.ip ?? "127.0.0.1");
    this.loop = new EventLoop();
  }

  /** Binds the UDP servers and starts the TCP clients; resolves with the bound addresses. */
  async start(): Promise<AddressInfo[]> {
    const o = this.opts;
    const reconnect = { initialDelayMs: o.reconnect?.initialDelayMs ?? 200, maxDelayMs: o.reconnect?.maxDelayMs ?? 5000 };
    const queue = { maxMessages: AGENT_QUEUE_MAX_MESSAGES, maxBytes: 4 * 1024 * 1024 };
    const dns = o.dns ?? { host: "127.0.0.1", port: 7778 };
    const rep = o.reporter ?? { host: "127.0.0.1", port: 7779 };
    this.dns = new TcpClient(this.loop, {
      host: dns.host, port: dns.port, name: "dns", reconnect, queueWhileDisconnected: queue,
      onConnStart: () => this.pullAll(),
      onError: (_c, err) => this.opts.logger?.warn({ err }, "agent: dns client"),
    });
    this.dns.addMsgRouter(MsgId.GetRouteResponse, (body) => this.onRoute(body));
    this.reporter = new TcpClient(this.loop, {
      host: rep.host, port: rep.port, name: "reporter", reconnect, queueWhileDisconnected: queue,
      onError: (_c, err) => this.opts.logger?.warn({ err }, "agent: reporter client"),
    });
    const base = o.port ?? 8888;
    const out: AddressInfo[] = [];
    for (let i = 0; i < this.count; i++) {
      const server = new UdpServer(this.loop, { host: o.ip ?? "127.0.0.1", port: base === 0 ? 0 : base + i });
      const b = this.balancers[i] as Balancer;
      server.addMsgRouter(MsgId.GetHostRequest, (body, _m, conn) => {
        const req = this.decode(() => getHostRequestCodec.decode(body));
        if (req === undefined) return;
        this.stats.getHosts++;
        const r = b.getHost(req.modid, req.cmdid, this.now());
        conn.sendMessage(getHostResponseCodec.encode({ seq: req.seq, modid: req.modid, cmdid: req.cmdid, retcode: r.retcode, ...(r.host === undefined ? {} : { host: r.host }) }), MsgId.GetHostResponse);
        if (r.pull) this.pull(req.modid, req.cmdid);
      });
      server.addMsgRouter(MsgId.ReportRequest, (body) => {
        const req = this.decode(() => reportRequestCodec.decode(body));
        if (req?.host === undefined) return;
        this.stats.reports++;
        b.report(req.modid, req.cmdid, req.host, req.retcode, this.now());
      });
      server.addMsgRouter(MsgId.ApiGetRouteRequest, (body, _m, conn) => {
        const req = this.decode(() => getRouteRequestCodec.decode(body));
        if (req === undefined) return;
        this.stats.getRoutes++;
        const r = b.getRoute(req.modid, req.cmdid, this.now());
        conn.sendMessage(getRouteResponseCodec.encode({ modid: req.modid, cmdid: req.cmdid, host: r.hosts }), MsgId.ApiGetRouteResponse);
        if (r.pull) this.pull(req.modid, req.cmdid);
      });
      this.servers.push(server);
      out.push(await server.bind());
    }
    this.timer = setInterval(() => this.flushReports(), 200);
    return out;
  }

  /** Sends the ReportStatusRequests that are due (also run every 200 ms). */
  flushReports(): void {
    const now = this.now();
    for (const b of this.balancers) {
      for (const req of b.takeReports(this.caller, now)) {
        if (this.send(this.reporter, reportStatusRequestCodec.encode(req), MsgId.ReportStatusRequest)) this.stats.reportsSent++;
      }
    }
  }

  /**
   * Every route held, with each host's state and counters (plain JSON, sorted by modid, cmdid),
   * at most `maxRoutes` (default 1000).
   */
  snapshot(maxRoutes = 1000): AgentRouteSnapshot[] {
    return snapshotRoutes(this.balancers, maxRoutes);
  }

  /** Whether the DNS and reporter clients are connected now. */
  connections(): { dns: boolean; reporter: boolean } {
    return { dns: this.dns?.connected ?? false, reporter: this.reporter?.connected ?? false };
  }

  /** Routes held, over every port. */
  get routeCount(): number {
    let n = 0;
    for (const b of this.balancers) n += b.routeCount;
    return n;
  }

  /** Stops every socket. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.loop.stop();
  }

  private balancerOf(modid: number, cmdid: number): Balancer {
    return this.balancers[agentPortIndex(modid, cmdid, this.count)] as Balancer;
  }

  private onRoute(body: Uint8Array): void {
    const rsp = this.decode(() => getRouteResponseCodec.decode(body));
    if (rsp === undefined) return;
    this.balancerOf(rsp.modid, rsp.cmdid).updateRoute(rsp.modid, rsp.cmdid, rsp.host, this.now());
  }

  /**
   * On every (re)connection to DNS: pull every route held, not only those stuck PULLING. A DNS
   * service that restarted has no subscription of ours; a pull is what subscribes, so without
   * it no push would reach us until update_timeout. Routes keep serving their hosts meanwhile.
   */
  private pullAll(): void {
    for (const b of this.balancers) {
      for (const r of b.allRoutes()) {
        r.markPulling();
        this.pull(r.modid, r.cmdid);
      }
    }
  }

  private pull(modid: number, cmdid: number): void {
    if (this.send(this.dns, getRouteRequestCodec.encode({ modid, cmdid }), MsgId.GetRouteRequest)) this.stats.pullsSent++;
  }

  private send(client: TcpClient | undefined, body: Uint8Array, msgid: number): boolean {
    if (client === undefined) return false;
    try {
      client.sendMessage(body, msgid);
      return true;
    } catch (err) {
      this.stats.sendsFailed++;
      this.opts.logger?.warn({ err, msgid }, "agent: send failed");
      return false;
    }
  }

  private decode<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      this.stats.decodeErrors++;
      this.opts.logger?.warn({ err }, "agent: undecodable message");
      return undefined;
    }
  }
}
