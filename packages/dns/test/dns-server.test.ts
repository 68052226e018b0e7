import { afterEach, describe, expect, it } from "vitest";
import { DnsServer, DnsStoreUnavailableError, type DnsLogger } from "../src/index.js";
import { MsgId } from "@lars/proto";
import { Agent, until } from "./helpers.js";
import { MemoryStore } from "./memory-store.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function recordingLogger(): DnsLogger & { warns: Array<{ obj: Record<string, unknown>; msg?: string }> } {
  const warns: Array<{ obj: Record<string, unknown>; msg?: string }> = [];
  return { warns, warn: (obj, msg) => warns.push({ obj: obj as Record<string, unknown>, msg }), error: () => {} };
}

async function setup(store: MemoryStore, opts: { pollIntervalMs?: number; logger?: DnsLogger } = {}) {
  const dns = new DnsServer({ store, port: 0, pollIntervalMs: opts.pollIntervalMs ?? 50, ...(opts.logger ? { logger: opts.logger } : {}) });
  const { port } = await dns.start();
  cleanups.push(() => dns.close());
  const agent = new Agent(port);
  cleanups.push(() => agent.close());
  await agent.connected;
  return { dns, agent, port };
}

describe("DnsServer (memory store, real sockets)", () => {
  it("answers a query with the full host list, and an unknown route with none", async () => {
    const store = new MemoryStore();
    store.setHosts(1, 1, [{ ip: 2, port: 80 }, { ip: 1, port: 80 }]);
    const { dns, agent } = await setup(store);
    agent.query(1, 1);
    agent.query(9, 9);
    const known = await agent.next((r) => r.modid === 1);
    expect(known.host).toEqual([{ ip: 1, port: 80 }, { ip: 2, port: 80 }]);
    const unknown = await agent.next((r) => r.modid === 9);
    expect(unknown).toEqual({ modid: 9, cmdid: 9, host: [] });
    expect(dns.stats()).toMatchObject({ queries: 2, routes: 1, subscriptions: 2, connections: 1 });
  });

  it("pushes a change written by another process (poll) and by the admin API (at once)", async () => {
    const store = new MemoryStore();
    store.setHosts(2, 1, [{ ip: 5, port: 1 }]);
    const { dns, agent } = await setup(store, { pollIntervalMs: 1000 });
    agent.query(2, 1);
    await agent.next((r) => r.modid === 2);
    let from = agent.received.length;
    store.setHosts(2, 1, [{ ip: 5, port: 1 }, { ip: 6, port: 2 }]); // another writer: no event
    const pushed = await agent.next((r) => r.host.length === 2, from);
    expect(pushed.host).toEqual([{ ip: 5, port: 1 }, { ip: 6, port: 2 }]);
    expect(store.changes).toEqual([]); // processed rows cleared
    from = agent.received.length;
    const t0 = Date.now();
    store.setHosts(2, 1, [], true); // admin delete: event
    const gone = await agent.next((r) => r.host.length === 0, from);
    expect(gone).toEqual({ modid: 2, cmdid: 1, host: [] });
    expect(Date.now() - t0).toBeLessThan(100); // under the poll interval
    expect(dns.stats().pushes).toBe(2);
    expect(dns.lookup(2, 1)).toEqual([]);
  });

  it("drops a closed connection's subscriptions", async () => {
    const store = new MemoryStore();
    const { dns, agent } = await setup(store);
    agent.query(3, 1);
    agent.query(3, 2);
    await agent.next((r) => r.cmdid === 2);
    expect(dns.stats().subscriptions).toBe(2);
    await agent.close();
    await until(() => dns.stats().connections === 0);
    expect(dns.stats().subscriptions).toBe(0);
  });

  it("reports an undecodable body with its code, sends nothing, keeps the connection", async () => {
    const store = new MemoryStore();
    store.setHosts(4, 1, [{ ip: 1, port: 1 }]);
    const logger = recordingLogger();
    const { dns, agent } = await setup(store, { logger });
    agent.client.sendMessage(Buffer.from([0xff, 0xff, 0xff]), MsgId.GetRouteRequest);
    agent.query(4, 1);
    const r = await agent.next((x) => x.modid === 4);
    expect(r.host).toHaveLength(1);
    expect(agent.received).toHaveLength(1); // no reply to the bad one
    expect(dns.stats()).toMatchObject({ badRequests: 1, queries: 1, connections: 1 });
    expect(logger.warns.some((w) => w.obj.code === "LARS_PAYLOAD_DECODE")).toBe(true);
  });

  it("answers an empty-body GetRouteRequest (proto3 for modid 0, cmdid 0), which the C++ server aborts on", async () => {
    const store = new MemoryStore();
    store.setHosts(0, 0, [{ ip: 7, port: 7 }]);
    const { dns, agent } = await setup(store);
    agent.client.sendMessage(new Uint8Array(0), MsgId.GetRouteRequest);
    expect(await agent.next((r) => r.modid === 0 && r.cmdid === 0)).toEqual({ modid: 0, cmdid: 0, host: [{ ip: 7, port: 7 }] });
    expect(dns.stats()).toMatchObject({ queries: 1, badRequests: 0, subscriptions: 1, connections: 1 });
  });

  it("keeps serving the last good table when a reload fails, then recovers", async () => {
    const store = new MemoryStore();
    store.setHosts(5, 1, [{ ip: 1, port: 1 }]);
    const logger = recordingLogger();
    const { dns, agent } = await setup(store, { logger, pollIntervalMs: 20 });
    agent.query(5, 1);
    await agent.next((r) => r.modid === 5);
    store.failing = true;
    await until(() => dns.stats().reloadFailures >= 2);
    expect(logger.warns.some((w) => w.obj.code === "LARS_DNS_RELOAD_FAILED")).toBe(true);
    const from = agent.received.length;
    agent.query(5, 1);
    expect((await agent.next((r) => r.modid === 5, from)).host).toEqual([{ ip: 1, port: 1 }]);
    store.setHosts(5, 1, [{ ip: 9, port: 9 }]);
    store.failing = false;
    const pushed = await agent.next((r) => r.host[0]?.ip === 9, from);
    expect(pushed.host).toEqual([{ ip: 9, port: 9 }]);
    expect(dns.stats().version).toBe(store.version);
  });

  it("a full reload finds a change that did not bump RouteVersion, and every subscriber gets the push", async () => {
    const store = new MemoryStore();
    store.setHosts(6, 1, [{ ip: 1, port: 1 }]);
    const dns = new DnsServer({ store, port: 0, pollIntervalMs: 20, fullReloadMs: 60 });
    const { port } = await dns.start();
    cleanups.push(() => dns.close());
    const agents = [new Agent(port), new Agent(port), new Agent(port)];
    for (const a of agents) cleanups.push(() => a.close());
    for (const a of agents) {
      await a.connected;
      a.query(6, 1);
      await a.next((r) => r.modid === 6);
    }
    store.routes.set("6:1", { modid: 6, cmdid: 1, hosts: [{ ip: 2, port: 2 }] }); // no version bump, no RouteChange row
    for (const a of agents) expect((await a.next((r) => r.host[0]?.ip === 2, 1)).host).toEqual([{ ip: 2, port: 2 }]);
    expect(dns.stats().pushes).toBe(3);
  });

  it("rejects start() with a typed error when the store is down", async () => {
    const store = new MemoryStore();
    store.failing = true;
    const dns = new DnsServer({ store, port: 0 });
    cleanups.push(() => dns.close());
    const err = await dns.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DnsStoreUnavailableError);
    expect((err as DnsStoreUnavailableError).code).toBe("LARS_DNS_STORE_UNAVAILABLE");
    expect(dns.address()).toBeUndefined();
  });
});
