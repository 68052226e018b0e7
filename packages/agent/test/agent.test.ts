import { afterEach, describe, expect, it } from "vitest";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";
import {
  MsgId,
  RetCode,
  getHostRequestCodec,
  getHostResponseCodec,
  getRouteRequestCodec,
  getRouteResponseCodec,
  ipToInt32,
  reportRequestCodec,
  reportStatusRequestCodec,
} from "@lars/proto";
import type { GetRouteRequest, HostInfo, ReportStatusRequest } from "@lars/proto";
import { LarsAgent, agentPortIndex } from "../src/index.js";

const HOST_A: HostInfo = { ip: ipToInt32("10.0.0.1"), port: 9000 };

function frame(msgid: number, body: Uint8Array): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32LE(msgid, 0);
  head.writeInt32LE(body.length, 4);
  return Buffer.concat([head, body]);
}

/** A waiter list: resolves the first waiter whose predicate matches a pushed item. */
class Inbox<T> {
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

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface FakeDns {
  port: number;
  pulls: Inbox<GetRouteRequest>;
  server: TcpServer;
  loop: EventLoop;
  /** Pushes an unsolicited GetRouteResponse to every agent connection that has pulled. */
  push(modid: number, cmdid: number, host: HostInfo[]): void;
}

async function fakeDns(routes: Map<string, HostInfo[]>, port = 0): Promise<FakeDns> {
  const loop = new EventLoop();
  const pulls = new Inbox<GetRouteRequest>();
  const server = new TcpServer(loop, { host: "127.0.0.1", port });
  const conns = new Set<{ sendMessage(body: Uint8Array, msgid: number): unknown }>();
  server.addMsgRouter(MsgId.GetRouteRequest, (body, _m, conn) => {
    conns.add(conn);
    const req = getRouteRequestCodec.decode(body);
    pulls.push(req);
    const host = routes.get(`${req.modid}:${req.cmdid}`) ?? [];
    conn.sendMessage(getRouteResponseCodec.encode({ modid: req.modid, cmdid: req.cmdid, host }), MsgId.GetRouteResponse);
  });
  const addr = await server.listen();
  cleanups.push(() => loop.stop());
  const push = (modid: number, cmdid: number, host: HostInfo[]): void => {
    for (const c of conns) c.sendMessage(getRouteResponseCodec.encode({ modid, cmdid, host }), MsgId.GetRouteResponse);
  };
  return { port: addr.port, pulls, server, loop, push };
}

async function fakeReporter(): Promise<{ port: number; reports: Inbox<ReportStatusRequest> }> {
  const loop = new EventLoop();
  const reports = new Inbox<ReportStatusRequest>();
  const server = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
  server.addMsgRouter(MsgId.ReportStatusRequest, (body) => reports.push(reportStatusRequestCodec.decode(body)));
  const addr = await server.listen();
  cleanups.push(() => loop.stop());
  return { port: addr.port, reports };
}

async function udpCaller(): Promise<{ send(port: number, msgid: number, body: Uint8Array): void; inbox: Inbox<{ msgid: number; body: Buffer }> }> {
  const sock = createSocket("udp4");
  const inbox = new Inbox<{ msgid: number; body: Buffer }>();
  sock.on("message", (msg: Buffer) => inbox.push({ msgid: msg.readInt32LE(0), body: msg.subarray(8) }));
  sock.bind(0, "127.0.0.1");
  await once(sock, "listening");
  cleanups.push(() => new Promise((r) => sock.close(() => r())));
  return { send: (port, msgid, body) => sock.send(frame(msgid, body), port, "127.0.0.1"), inbox };
}

async function startAgent(dnsPort: number, reporterPort: number, now?: () => number): Promise<{ agent: LarsAgent; ports: number[] }> {
  const agent = new LarsAgent({
    ...(now === undefined ? {} : { now }),
    port: 0,
    dns: { host: "127.0.0.1", port: dnsPort },
    reporter: { host: "127.0.0.1", port: reporterPort },
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  const addrs = await agent.start();
  cleanups.push(() => agent.stop());
  return { agent, ports: addrs.map((a) => a.port) };
}

describe("LarsAgent over UDP with a fake DNS and reporter", () => {
  it("GetHost: NOEXIST + pull for an unknown route, then the host; reports reach the reporter; GetRoute", async () => {
    const dns = await fakeDns(new Map([["1:2", [HOST_A]]]));
    const rep = await fakeReporter();
    const { ports } = await startAgent(dns.port, rep.port);
    const caller = await udpCaller();
    const port = ports[agentPortIndex(1, 2, 3)] as number;
    let seq = 0;
    const getHost = async () => {
      const s = ++seq;
      caller.send(port, MsgId.GetHostRequest, getHostRequestCodec.encode({ seq: s, modid: 1, cmdid: 2 }));
      const got = await caller.inbox.next((m) => m.msgid === MsgId.GetHostResponse && getHostResponseCodec.decode(m.body).seq === s);
      return getHostResponseCodec.decode(got.body);
    };
    const first = await getHost();
    expect(first).toMatchObject({ seq: 1, modid: 1, cmdid: 2, retcode: RetCode.NOEXIST });
    expect(await dns.pulls.next()).toEqual({ modid: 1, cmdid: 2 });
    let r = await getHost();
    for (let i = 0; i < 200 && r.retcode !== RetCode.SUCC; i++) r = await getHost();
    expect(r.retcode).toBe(RetCode.SUCC);
    expect(r.host).toEqual(HOST_A);

    caller.send(port, MsgId.ReportRequest, reportRequestCodec.encode({ modid: 1, cmdid: 2, host: HOST_A, retcode: 1 }));
    const status = await rep.reports.next();
    expect(status).toMatchObject({ modid: 1, cmdid: 2, caller: ipToInt32("127.0.0.1") });
    expect(status.results).toEqual([{ ip: HOST_A.ip, port: HOST_A.port, succ: 0, err: 1, overload: false }]);

    caller.send(port, MsgId.ApiGetRouteRequest, getRouteRequestCodec.encode({ modid: 1, cmdid: 2 }));
    const route = await caller.inbox.next((m) => m.msgid === MsgId.ApiGetRouteResponse);
    expect(getRouteResponseCodec.decode(route.body)).toEqual({ modid: 1, cmdid: 2, host: [HOST_A] });
  });

  it("a pull sent while DNS is down is sent again once DNS comes up", async () => {
    const rep = await fakeReporter();
    // find a free port for DNS, then close it so the agent starts disconnected
    const probe = await fakeDns(new Map());
    const dnsPort = probe.port;
    await probe.loop.stop();
    const { agent, ports } = await startAgent(dnsPort, rep.port);
    const caller = await udpCaller();
    const port = ports[agentPortIndex(5, -7, 3)] as number;
    caller.send(port, MsgId.GetHostRequest, getHostRequestCodec.encode({ seq: 9, modid: 5, cmdid: -7 }));
    const got = await caller.inbox.next((m) => m.msgid === MsgId.GetHostResponse);
    expect(getHostResponseCodec.decode(got.body)).toMatchObject({ seq: 9, retcode: RetCode.NOEXIST });
    expect(agent.balancers[agentPortIndex(5, -7, 3)]?.route(5, -7)?.state).toBe("PULLING");
    const dns = await fakeDns(new Map([["5:-7", [HOST_A]]]), dnsPort);
    expect(await dns.pulls.next((p) => p.modid === 5)).toEqual({ modid: 5, cmdid: -7 });
  });
});

describe("LarsAgent routes: pushes, update_timeout, snapshot", () => {
  async function setup(routes: Map<string, HostInfo[]>, now?: () => number) {
    const dns = await fakeDns(routes);
    const rep = await fakeReporter();
    const { agent, ports } = await startAgent(dns.port, rep.port, now);
    const caller = await udpCaller();
    let seq = 0;
    const getHost = async (modid: number, cmdid: number) => {
      const s = ++seq;
      caller.send(ports[agentPortIndex(modid, cmdid, 3)] as number, MsgId.GetHostRequest, getHostRequestCodec.encode({ seq: s, modid, cmdid }));
      const got = await caller.inbox.next((m) => m.msgid === MsgId.GetHostResponse && getHostResponseCodec.decode(m.body).seq === s);
      return getHostResponseCodec.decode(got.body);
    };
    /** GetHost until the route is loaded (the first answers NOEXIST while the pull is out). */
    const warm = async (modid: number, cmdid: number) => {
      let r = await getHost(modid, cmdid);
      while (r.retcode === RetCode.NOEXIST) {
        await dns.pulls.next((p) => p.modid === modid && p.cmdid === cmdid);
        r = await getHost(modid, cmdid);
      }
      return r;
    };
    return { dns, agent, caller, ports, getHost, warm };
  }

  it("a pushed route replaces the hosts: new ones join, missing ones leave", async () => {
    const HOST_B: HostInfo = { ip: ipToInt32("10.0.0.2"), port: 9001 };
    const { dns, agent, warm } = await setup(new Map([["3:4", [HOST_A]]]));
    expect((await warm(3, 4)).host).toEqual(HOST_A);
    const updated = new Promise<void>((resolve) => {
      const check = (): void => {
        const hosts = agent.snapshot().find((r) => r.modid === 3)?.hosts.map((h) => h.ip);
        if (hosts?.length === 1 && hosts[0] === "10.0.0.2") resolve();
        else setImmediate(check);
      };
      check();
    });
    dns.push(3, 4, [HOST_B]);
    await updated;
    const route = agent.balancers[agentPortIndex(3, 4, 3)]?.route(3, 4);
    expect(route?.host(HOST_A.ip, HOST_A.port)).toBeUndefined();
    expect(route?.idleHosts()).toEqual([HOST_B]);
  });

  it("a route older than update_timeout is pulled again after a GetHost answer", async () => {
    let clock = 1_000_000;
    const { dns, warm, getHost } = await setup(new Map([["6:7", [HOST_A]]]), () => clock);
    await warm(6, 7);
    const before = dns.pulls.items.filter((p) => p.modid === 6).length;
    clock += 15_000; // not older than update_timeout (15 s) yet
    expect((await getHost(6, 7)).retcode).toBe(RetCode.SUCC);
    clock += 1;
    const repull = dns.pulls.next((p) => p.modid === 6 && dns.pulls.items.filter((q) => q.modid === 6).length > before);
    expect((await getHost(6, 7)).retcode).toBe(RetCode.SUCC);
    await repull;
    expect(dns.pulls.items.filter((p) => p.modid === 6).length).toBe(before + 1);
  });

  it("snapshot() shows each host's state and counters; 15 failures put it in overload", async () => {
    const HOST_B: HostInfo = { ip: ipToInt32("10.0.0.2"), port: 9001 };
    const { agent, caller, ports, warm, getHost } = await setup(new Map([["8:9", [HOST_A, HOST_B]]]));
    await warm(8, 9);
    await getHost(8, 9);
    const port = ports[agentPortIndex(8, 9, 3)] as number;
    for (let i = 0; i < 15; i++) caller.send(port, MsgId.ReportRequest, reportRequestCodec.encode({ modid: 8, cmdid: 9, host: HOST_A, retcode: 2 }));
    // a GetHost answer on the same socket comes after the 15 reports (one UDP server, in order)
    await getHost(8, 9);
    const snap = agent.snapshot();
    expect(snap).toHaveLength(1);
    const [route] = snap;
    expect(route).toMatchObject({ modid: 8, cmdid: 9, state: "NEW" });
    const a = route?.hosts.find((h) => h.ip === "10.0.0.1");
    const b = route?.hosts.find((h) => h.ip === "10.0.0.2");
    expect(a).toMatchObject({ state: "overload", verr: 5, vsucc: 0, port: 9000, overloads: 1 });
    expect(b).toMatchObject({ state: "idle", vsucc: 180, verr: 0 });
    expect((a?.picks ?? 0) + (b?.picks ?? 0)).toBe(3);
    expect(agent.stats.reports).toBe(15);
    expect(agent.stats.getHosts).toBeGreaterThanOrEqual(4);
    expect(agent.snapshot(0)).toEqual([]);
  });

  it("after a DNS restart the agent pulls every route again (re-subscribing), so pushes of the new DNS reach it", async () => {
    const HOST_B: HostInfo = { ip: ipToInt32("10.0.0.2"), port: 9001 };
    const { dns, agent, warm } = await setup(new Map([["11:12", [HOST_A]]]));
    await warm(11, 12);
    const port = dns.port;
    await dns.loop.stop();
    // the new DNS serves the same port; it knows nothing of the old one's subscribers
    const dns2 = await fakeDns(new Map([["11:12", [HOST_A]]]), port);
    expect(await dns2.pulls.next((p) => p.modid === 11)).toEqual({ modid: 11, cmdid: 12 });
    dns2.push(11, 12, [HOST_A, HOST_B]);
    const route = agent.balancers[agentPortIndex(11, 12, 3)]?.route(11, 12);
    await new Promise<void>((resolve) => {
      const check = (): void => (route?.size === 2 ? resolve() : void setImmediate(check));
      check();
    });
    expect(route?.idleHosts()).toEqual([HOST_A, HOST_B]);
  });
});
