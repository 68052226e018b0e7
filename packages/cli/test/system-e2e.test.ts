// The whole system in one test process, on SQLite: real lars-dns, lars-reporter, lars-agent
// and an @lars/api caller over real sockets.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LarsAgent } from "@lars/agent";
import { LarsClient } from "@lars/api";
import { DnsServer } from "@lars/dns";
import { EventLoop } from "@lars/event-loop";
import { ipToInt32 } from "@lars/proto";
import { ReporterServer, createStoreWriter } from "@lars/reporter";
import { openStore } from "@lars/store";
import type { LarsStore } from "@lars/store";

const root = mkdtempSync(join(tmpdir(), "lars-cli-e2e-"));
const DB = join(root, "lars.db");
const A = { ip: ipToInt32("10.9.0.1"), port: 7001 };
const B = { ip: ipToInt32("10.9.0.2"), port: 7002 };
const C = { ip: ipToInt32("10.9.0.3"), port: 7003 };
const MODID = 10;
const CMDID = 1;

let store: LarsStore;
let dns: DnsServer;
let dnsPort: number;
let reporter: ReporterServer;
let reporterLoop: EventLoop;
let agent: LarsAgent;
let client: LarsClient;

beforeAll(async () => {
  store = await openStore({ type: "sqlite", path: DB });
  await store.replaceHosts(MODID, CMDID, [A, B]);
  dns = new DnsServer({ store, port: 0, pollIntervalMs: 100 });
  dnsPort = (await dns.start()).port;
  reporterLoop = new EventLoop();
  const writer = createStoreWriter({ type: "sqlite", path: DB });
  await writer.open();
  reporter = new ReporterServer(reporterLoop, { writer, port: 0, flushIntervalMs: 20 });
  const reporterPort = (await reporter.listen()).port;
  agent = new LarsAgent({
    port: 0,
    dns: { host: "127.0.0.1", port: dnsPort },
    reporter: { host: "127.0.0.1", port: reporterPort },
    reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
  });
  const ports = (await agent.start()).map((a) => a.port);
  client = new LarsClient({ ports, timeoutMs: 2000 });
  const warm = await client.regInit(MODID, CMDID, { attempts: 50, intervalMs: 20 });
  expect(warm.ok).toBe(true);
});

afterAll(async () => {
  await client?.close();
  await agent?.stop();
  await reporter?.close();
  await reporterLoop?.stop();
  await dns?.close();
  await store?.close();
  rmSync(root, { recursive: true, force: true });
});

const hostState = (ip: string): string | undefined =>
  agent.snapshot().find((r) => r.modid === MODID && r.cmdid === CMDID)?.hosts.find((h) => h.ip === ip)?.state;

/** One caller round: getHost, "call" it (failing when `fails(ip)`), report. Returns the ip chosen. */
async function call(fails: (ip: string) => boolean): Promise<string | undefined> {
  const r = await client.getHost(MODID, CMDID);
  if (!r.ok) return undefined;
  client.report(MODID, CMDID, r.host, fails(r.host.ip) ? 1 : 0);
  return r.host.ip;
}

async function getRouteUntil(pred: (ips: string[]) => boolean): Promise<string[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ips = (await client.getRoute(MODID, CMDID)).map((h) => h.ip).sort();
    if (pred(ips) || Date.now() > deadline) return ips;
    await new Promise((r) => setImmediate(r));
  }
}

/** Reads ServerCallStatus until `pred` holds (the agent reports at most once a second per route). */
async function storedUntil(pred: (rows: Awaited<ReturnType<LarsStore["listCallStatus"]>>) => boolean): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (pred(await store.listCallStatus({ modid: MODID, cmdid: CMDID }))) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return false;
}

describe("dns + reporter + agent + api on SQLite", () => {
  it("traffic leaves a failing host, probes reach it, and a probe streak brings it back", async () => {
    const failing = new Set(["10.9.0.2"]);
    const fails = (ip: string): boolean => failing.has(ip);
    let calls = 0;
    while (hostState("10.9.0.2") !== "overload" && calls < 1000) {
      await call(fails);
      calls++;
    }
    expect(hostState("10.9.0.2")).toBe("overload");
    // 15 failures in a row (contin_err_limit) with round robin over two hosts: about 30 calls
    expect(calls).toBeLessThanOrEqual(40);

    // while overloaded it gets only probes: one call in probe_num + 1 = 11
    const picks = new Map<string, number>();
    for (let i = 0; i < 110; i++) {
      const ip = await call(fails);
      if (ip !== undefined) picks.set(ip, (picks.get(ip) ?? 0) + 1);
    }
    expect(picks.get("10.9.0.2")).toBe(10);
    expect(picks.get("10.9.0.1")).toBe(100);
    // the reporter stored the agent's view: B overloaded, with its failures in the window
    expect(await storedUntil((rows) => rows.some((r) => r.ip === B.ip && r.overload))).toBe(true);

    // the backend recovers: 15 successful probes in a row (contin_succ_limit) bring it back
    failing.clear();
    calls = 0;
    while (hostState("10.9.0.2") !== "idle" && calls < 1000) {
      await call(fails);
      calls++;
    }
    expect(hostState("10.9.0.2")).toBe("idle");
    expect(calls).toBeGreaterThanOrEqual(14 * 11);
    expect(calls).toBeLessThanOrEqual(16 * 11);

    // the reporter stores the agent's view (one snapshot per route per second): B back to normal
    expect(await storedUntil((rows) => rows.find((r) => r.ip === B.ip)?.overload === false)).toBe(true);
  });

  it("a route change made through the store is pushed to the live agent at once", async () => {
    await store.addHost(MODID, CMDID, C);
    expect(await getRouteUntil((ips) => ips.includes("10.9.0.3"))).toEqual(["10.9.0.1", "10.9.0.2", "10.9.0.3"]);
  });

  it("survives a DNS restart: the agent reconnects, re-subscribes, and gets the next change", async () => {
    await dns.close();
    // while DNS is down the agent keeps answering from what it holds
    expect((await client.getHost(MODID, CMDID)).ok).toBe(true);
    dns = new DnsServer({ store, port: dnsPort, pollIntervalMs: 100 });
    await dns.start();
    await store.replaceHosts(MODID, CMDID, [A]);
    expect(await getRouteUntil((ips) => ips.length === 1)).toEqual(["10.9.0.1"]);
    const r = await client.getHost(MODID, CMDID);
    expect(r).toMatchObject({ ok: true, host: { ip: "10.9.0.1", port: 7001 } });
  });
});
