import * as dgram from "node:dgram";
import {
  MsgId,
  RetCode,
  getHostRequestCodec,
  getHostResponseCodec,
  getRouteRequestCodec,
  getRouteResponseCodec,
  int32ToIp,
  reportRequestCodec,
} from "@lars/proto";
import type { HostInfo } from "@lars/proto";
import { LarsAbortedError, LarsPendingFullError, LarsTimeoutError } from "./errors.js";
import { agentPortIndex } from "./port.js";

/** Options of {@link LarsClient}. */
export interface LarsClientOptions {
  /** Agent host (default 127.0.0.1). */
  host?: string;
  /** First agent port (default 8888). */
  basePort?: number;
  /** Number of agent ports (default 3). */
  count?: number;
  /** Default reply timeout in ms (default 1000). */
  timeoutMs?: number;
  /** Most calls waiting for a reply at once (default 65536). */
  maxPending?: number;
}

/** Per-call options. */
export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

/** A host was chosen. */
export interface GetHostOk {
  ok: true;
  ip: string;
  port: number;
  host: HostInfo;
}

/** The agent had no host to give. */
export interface GetHostFail {
  ok: false;
  retcode: number;
}

/** Result of {@link LarsClient.getHost}. */
export type GetHostResult = GetHostOk | GetHostFail;

interface Pending {
  resolve(body: Uint8Array): void;
  reject(err: Error): void;
}

function frame(msgid: number, body: Uint8Array): Buffer {
  const buf = Buffer.allocUnsafe(8 + body.length);
  buf.writeInt32LE(msgid, 0);
  buf.writeInt32LE(body.length, 4);
  buf.set(body, 8);
  return buf;
}

/** Client of the local Lars agent: one UDP socket per agent port, replies matched by seq. */
export class LarsClient {
  readonly host: string;
  readonly basePort: number;
  readonly count: number;
  readonly timeoutMs: number;
  readonly maxPending: number;
  private readonly sockets: (dgram.Socket | undefined)[] = [];
  private readonly pendingHost = new Map<number, Pending>();
  private readonly pendingRoute = new Map<string, Pending[]>();
  private pendingCount = 0;
  private seq = 0;
  private closedFlag = false;

  constructor(options: LarsClientOptions = {}) {
    this.host = options.host ?? "127.0.0.1";
    this.basePort = options.basePort ?? 8888;
    this.count = options.count ?? 3;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxPending = options.maxPending ?? 65536;
  }

  /** Calls waiting for a reply. */
  get pending(): number {
    return this.pendingCount;
  }

  /** Agent port serving (modid, cmdid). */
  portFor(modid: number, cmdid: number): number {
    return this.basePort + agentPortIndex(modid, cmdid, this.count);
  }

  private socketFor(modid: number, cmdid: number): dgram.Socket {
    const idx = agentPortIndex(modid, cmdid, this.count);
    let s = this.sockets[idx];
    if (!s) {
      s = dgram.createSocket("udp4");
      s.on("message", (msg) => this.onMessage(msg));
      s.on("error", () => {
        /* ICMP unreachable etc.: callers time out */
      });
      s.unref();
      this.sockets[idx] = s;
    }
    return s;
  }

  private onMessage(msg: Buffer): void {
    if (msg.length < 8) return;
    const msgid = msg.readInt32LE(0);
    const len = msg.readInt32LE(4);
    if (len !== msg.length - 8) return;
    const body = msg.subarray(8);
    try {
      if (msgid === MsgId.GetHostResponse) {
        const r = getHostResponseCodec.decode(body);
        const p = this.pendingHost.get(r.seq >>> 0);
        if (p) p.resolve(body);
      } else if (msgid === MsgId.ApiGetRouteResponse) {
        const r = getRouteResponseCodec.decode(body);
        const q = this.pendingRoute.get(`${r.modid}:${r.cmdid}`);
        q?.[0]?.resolve(body);
      }
    } catch {
      /* undecodable datagram: ignored */
    }
  }

  private wait(
    register: (p: Pending) => void,
    unregister: (p: Pending) => void,
    send: () => void,
    opts: CallOptions,
  ): Promise<Uint8Array> {
    if (this.closedFlag) return Promise.reject(new LarsAbortedError("client closed"));
    if (opts.signal?.aborted) return Promise.reject(new LarsAbortedError("aborted"));
    if (this.pendingCount >= this.maxPending) return Promise.reject(new LarsPendingFullError(this.maxPending));
    return new Promise<Uint8Array>((resolve, reject) => {
      const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
      const done = (): void => {
        clearTimeout(timer);
        opts.signal?.removeEventListener("abort", onAbort);
        unregister(p);
        this.pendingCount--;
      };
      const p: Pending = {
        resolve: (b) => {
          done();
          resolve(b);
        },
        reject: (e) => {
          done();
          reject(e);
        },
      };
      const onAbort = (): void => p.reject(new LarsAbortedError("aborted"));
      const timer = setTimeout(() => p.reject(new LarsTimeoutError(`no reply in ${timeoutMs} ms`)), timeoutMs);
      opts.signal?.addEventListener("abort", onAbort, { once: true });
      register(p);
      this.pendingCount++;
      try {
        send();
      } catch (err) {
        p.reject(err as Error);
      }
    });
  }

  /** Ask the agent for a host of (modid, cmdid). Rejects with LARS_TIMEOUT / LARS_ABORTED. */
  async getHost(modid: number, cmdid: number, opts: CallOptions = {}): Promise<GetHostResult> {
    let seq = (this.seq = (this.seq + 1) >>> 0);
    while (this.pendingHost.has(seq)) seq = this.seq = (this.seq + 1) >>> 0;
    const sock = this.socketFor(modid, cmdid);
    const port = this.portFor(modid, cmdid);
    const body = await this.wait(
      (p) => this.pendingHost.set(seq, p),
      () => this.pendingHost.delete(seq),
      () => sock.send(frame(MsgId.GetHostRequest, getHostRequestCodec.encode({ seq, modid, cmdid })), port, this.host),
      opts,
    );
    const r = getHostResponseCodec.decode(body);
    if (r.retcode !== RetCode.SUCC || !r.host) return { ok: false, retcode: r.retcode === RetCode.SUCC ? RetCode.SYSTEM_ERROR : r.retcode };
    return { ok: true, ip: int32ToIp(r.host.ip), port: r.host.port, host: { ip: r.host.ip, port: r.host.port } };
  }

  /** Report a call's outcome (fire-and-forget, msgid 6); retcode 0 = success. */
  report(modid: number, cmdid: number, host: HostInfo, retcode: number): void {
    if (this.closedFlag) return;
    const sock = this.socketFor(modid, cmdid);
    sock.send(frame(MsgId.ReportRequest, reportRequestCodec.encode({ modid, cmdid, host, retcode })), this.portFor(modid, cmdid), this.host);
  }

  /** Every host of (modid, cmdid) (msgid 7 → 8). */
  async getRoute(modid: number, cmdid: number, opts: CallOptions = {}): Promise<HostInfo[]> {
    const key = `${modid}:${cmdid}`;
    const sock = this.socketFor(modid, cmdid);
    const body = await this.wait(
      (p) => {
        const q = this.pendingRoute.get(key);
        if (q) q.push(p);
        else this.pendingRoute.set(key, [p]);
      },
      (p) => {
        const q = this.pendingRoute.get(key);
        if (!q) return;
        const i = q.indexOf(p);
        if (i >= 0) q.splice(i, 1);
        if (q.length === 0) this.pendingRoute.delete(key);
      },
      () => sock.send(frame(MsgId.ApiGetRouteRequest, getRouteRequestCodec.encode({ modid, cmdid })), this.portFor(modid, cmdid), this.host),
      opts,
    );
    return getRouteResponseCodec.decode(body).host.map((h) => ({ ip: h.ip, port: h.port }));
  }

  /** Warm the route: up to 3 getHost tries 50 ms apart until the answer is not NOEXIST. */
  async regInit(modid: number, cmdid: number, opts: CallOptions = {}): Promise<GetHostResult> {
    let r: GetHostResult = { ok: false, retcode: RetCode.NOEXIST };
    for (let i = 0; i < 3; i++) {
      if (i > 0) await new Promise((res) => setTimeout(res, 50));
      r = await this.getHost(modid, cmdid, opts);
      if (r.ok || r.retcode !== RetCode.NOEXIST) return r;
    }
    return r;
  }

  /** Reject every pending call (LARS_ABORTED) and close the sockets. */
  close(): void {
    if (this.closedFlag) return;
    this.closedFlag = true;
    for (const p of [...this.pendingHost.values()]) p.reject(new LarsAbortedError("client closed"));
    for (const q of [...this.pendingRoute.values()]) for (const p of [...q]) p.reject(new LarsAbortedError("client closed"));
    for (const s of this.sockets) s?.close();
  }
}
