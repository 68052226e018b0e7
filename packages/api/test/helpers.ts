import { createSocket } from "node:dgram";
import type { RemoteInfo, Socket } from "node:dgram";
import { once } from "node:events";
import { afterEach } from "vitest";
import { LarsAgent } from "@lars/agent";
import { EventLoop } from "@lars/event-loop";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec, ipToInt32 } from "@lars/proto";
import type { GetRouteRequest, HostInfo } from "@lars/proto";
import { TcpServer } from "@lars/tcp-server";

/** A waiter list: resolves the first waiter whose predicate matches a pushed item. */
export class Inbox<T> {
  readonly items: T[] = [];
  private waiters: { pred: (t: T) => boolean; resolve: (t: T) => void }[] = [];
  push(t: T): void {
    this.items.push(t);
    this.waiters = this.waiters.filter((w) => (w.pred(t) ? (w.resolve(t), false) : true));
  }
  next(pred: (t: T) => boolean = () => true): Promise<T> {
    const found = this.items.find(pred);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ pred, resolve }));
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
/** Runs `fn` after the current test (last registered first). */
export function onCleanup(fn: () => Promise<void> | void): void {
  cleanups.push(fn);
}

export const host = (ip: string, port: number): HostInfo => ({ ip: ipToInt32(ip), port });

export interface FakeDns {
  port: number;
  pulls: Inbox<GetRouteRequest>;
  /** Routes the DNS knows (`modid:cmdid` → hosts); unknown routes are answered with no host. */
  routes: Map<string, HostInfo[]>;
  /** While set, pulls are held (not answered) until {@link FakeDns.release}. */
  hold: boolean;
  /** Answers every held pull now and stops holding. */
  release(): void;
}

/** A DNS service (TcpServer) answering GetRouteRequest (1) with GetRouteResponse (2). */
export async function fakeDns(routes: Map<string, HostInfo[]> = new Map(), port = 0): Promise<FakeDns> {
  const loop = new EventLoop();
  const pulls = new Inbox<GetRouteRequest>();
  const server = new TcpServer(loop, { host: "127.0.0.1", port });
  const held: (() => void)[] = [];
  const dns: FakeDns = {
    port: 0,
    pulls,
    routes,
    hold: false,
    release() {
      dns.hold = false;
      for (const answer of held.splice(0)) answer();
    },
  };
  server.addMsgRouter(MsgId.GetRouteRequest, (body, _m, conn) => {
    const req = getRouteRequestCodec.decode(body);
    const answer = (): void => {
      const hosts = routes.get(`${req.modid}:${req.cmdid}`) ?? [];
      conn.sendMessage(getRouteResponseCodec.encode({ modid: req.modid, cmdid: req.cmdid, host: hosts }), MsgId.GetRouteResponse);
    };
    if (dns.hold) held.push(answer);
    else answer();
    pulls.push(req);
  });
  dns.port = (await server.listen()).port;
  onCleanup(() => loop.stop());
  return dns;
}

/** A reporter that accepts and ignores ReportStatusRequests (so the agent's client stays connected). */
export async function sinkReporter(): Promise<number> {
  const loop = new EventLoop();
  const server = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
  server.addMsgRouter(MsgId.ReportStatusRequest, () => undefined);
  const addr = await server.listen();
  onCleanup(() => loop.stop());
  return addr.port;
}

/** A real LarsAgent on port 0 (three free ports, not consecutive) with the given DNS. */
export async function startAgent(dnsPort: number, port = 0): Promise<{ agent: LarsAgent; ports: number[] }> {
  const agent = new LarsAgent({
    port,
    dns: { host: "127.0.0.1", port: dnsPort },
    reporter: { host: "127.0.0.1", port: await sinkReporter() },
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  try {
    const addrs = await agent.start();
    onCleanup(() => agent.stop());
    return { agent, ports: addrs.map((a) => a.port) };
  } catch (err) {
    await agent.stop();
    throw err;
  }
}

/** A DNS with `routes` plus an agent using it. */
export async function system(routes: Map<string, HostInfo[]> = new Map()): Promise<{ dns: FakeDns; agent: LarsAgent; ports: number[] }> {
  const dns = await fakeDns(routes);
  const { agent, ports } = await startAgent(dns.port);
  return { dns, agent, ports };
}

/** A bound UDP socket on 127.0.0.1, closed after the test. */
export async function udpSocket(): Promise<Socket> {
  const sock = createSocket("udp4");
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  onCleanup(() => new Promise<void>((r) => sock.close(() => r())));
  return sock;
}

/** A port on which nothing listens (bound, then closed). */
export async function deadPort(): Promise<number> {
  const sock = createSocket("udp4");
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  const { port } = sock.address();
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

export function frame(msgid: number, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32LE(msgid, 0);
  head.writeInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** A raw dgram "agent" that records requests and answers only when told. */
export async function rawAgent(): Promise<{ sock: Socket; port: number; requests: Inbox<{ msgid: number; body: Buffer; from: RemoteInfo }> }> {
  const sock = await udpSocket();
  const requests = new Inbox<{ msgid: number; body: Buffer; from: RemoteInfo }>();
  sock.on("message", (msg: Buffer, from: RemoteInfo) => requests.push({ msgid: msg.readInt32LE(0), body: msg.subarray(8), from }));
  return { sock, port: sock.address().port, requests };
}
