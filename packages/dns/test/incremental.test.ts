// A sync whose new RouteChange rows are all there re-reads only their routes; one that finds rows missing
// (another instance cleared them) reloads the whole table and diffs it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DnsServer, WorkerTableLoader } from "../src/index.js";
import type { BinStore } from "../src/bin/open-store.js";
import { Agent } from "./helpers.js";
import { openStore } from "./store-available.js";

const dir = mkdtempSync(join(tmpdir(), "lars-dns-incr-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function open(path: string): Promise<BinStore> {
  const store = await openStore!({ type: "sqlite", path });
  cleanups.push(() => store.close());
  return store;
}

describe.skipIf(openStore === undefined)("incremental syncs (SQLite)", () => {
  it("patches the changed routes only while RouteChange rows are complete, reloads whole after a gap", async () => {
    const path = join(dir, "incr.db");
    const store = await open(path);
    for (let m = 1; m <= 50; m++) await store.replaceHosts(m, 1, [{ ip: m, port: 80 }]);
    const dns = new DnsServer({ store, port: 0, pollIntervalMs: 3_600_000, fullReloadMs: 3_600_000 });
    const { port } = await dns.start();
    cleanups.push(() => dns.close());
    expect(dns.stats().routes).toBe(50);
    const agent = new Agent(port);
    cleanups.push(() => agent.close());
    await agent.connected;
    agent.query(3, 1);
    agent.query(4, 1);
    await agent.next((r) => r.modid === 4);

    // Admin changes in this process, rows complete: only their routes are re-read.
    let from = agent.received.length;
    await store.addHost(3, 1, { ip: 33, port: 81 });
    await dns.requestReload();
    expect(await agent.next((r) => r.modid === 3 && r.host.length === 2, from)).toEqual({
      modid: 3,
      cmdid: 1,
      host: [
        { ip: 3, port: 80 },
        { ip: 33, port: 81 },
      ],
    });
    await store.deleteRoute(4, 1);
    await dns.requestReload();
    expect(await agent.next((r) => r.modid === 4 && r.host.length === 0, from)).toEqual({ modid: 4, cmdid: 1, host: [] });
    expect(dns.stats()).toMatchObject({ reloads: 2, incrementalReloads: 2, routes: 49, version: await store.getRouteVersion() });
    expect(dns.lookup(4, 1)).toEqual([]);
    expect(agent.received.slice(from)).toHaveLength(2); // route 3, then route 4: nothing else pushed

    // Another instance processes and clears the next rows before this one polls: a gap, so a whole reload.
    from = agent.received.length;
    const other = await open(path);
    await other.replaceHosts(3, 1, [{ ip: 34, port: 82 }]);
    await other.replaceHosts(60, 1, [{ ip: 60, port: 80 }]);
    const rows = await other.loadRouteChanges();
    await other.clearRouteChanges(rows.at(-1)!.id);
    await dns.requestReload(); // what the poll does
    expect((await agent.next((r) => r.modid === 3 && r.host[0]?.ip === 34, from)).host).toEqual([{ ip: 34, port: 82 }]);
    expect(dns.stats()).toMatchObject({ reloads: 3, incrementalReloads: 2, routes: 50 });
    expect(dns.lookup(60, 1)).toEqual([{ ip: 60, port: 80 }]);

    // The next row still follows the cleared ones (a gap, a whole reload); from then on the ids are known again.
    await store.removeHost(60, 1, { ip: 60, port: 80 });
    await dns.requestReload();
    expect(dns.stats()).toMatchObject({ reloads: 4, incrementalReloads: 2, routes: 49 });
    await store.addHost(61, 1, { ip: 61, port: 80 });
    await dns.requestReload();
    expect(dns.stats()).toMatchObject({ reloads: 5, incrementalReloads: 3, routes: 50 });
    expect(dns.lookup(61, 1)).toEqual([{ ip: 61, port: 80 }]);
  });
});

describe.skipIf(openStore === undefined)("whole reloads on a worker thread (WorkerTableLoader, SQLite)", () => {
  it("starts from the worker's table, applies only its deltas, and keeps its mirror equal to the served table", async () => {
    const path = join(dir, "worker.db");
    const store = await open(path);
    for (let m = 1; m <= 50; m++) await store.replaceHosts(m, 1, [{ ip: m, port: 80 }]);
    const loader = new WorkerTableLoader({ type: "sqlite", path });
    cleanups.push(() => loader.close());
    const dns = new DnsServer({ store, port: 0, pollIntervalMs: 3_600_000, fullReloadMs: 3_600_000, tableLoader: loader });
    const { port } = await dns.start();
    cleanups.push(() => dns.close());
    expect(dns.stats().routes).toBe(50);
    expect(dns.lookup(7, 1)).toEqual([{ ip: 7, port: 80 }]);
    const agent = new Agent(port);
    cleanups.push(() => agent.close());
    await agent.connected;
    agent.query(3, 1);
    agent.query(4, 1);
    await agent.next((r) => r.modid === 4);

    // A gap (another instance cleared the rows): a whole reload, in the worker; only route 3 pushed.
    let from = agent.received.length;
    const other = await open(path);
    await other.replaceHosts(3, 1, [{ ip: 34, port: 82 }]);
    await other.replaceHosts(70, 1, [{ ip: 70, port: 80 }]);
    await other.clearRouteChanges((await other.loadRouteChanges()).at(-1)!.id);
    await dns.requestReload();
    expect((await agent.next((r) => r.modid === 3, from)).host).toEqual([{ ip: 34, port: 82 }]);
    expect(dns.stats()).toMatchObject({ reloads: 1, incrementalReloads: 0, routes: 51, pushes: 1 });
    expect(dns.lookup(70, 1)).toEqual([{ ip: 70, port: 80 }]);

    // Gap again, then an incremental change the worker is told of.
    await store.addHost(4, 1, { ip: 41, port: 80 });
    await dns.requestReload();
    await store.addHost(4, 1, { ip: 42, port: 80 });
    await dns.requestReload();
    expect(dns.stats()).toMatchObject({ reloads: 3, incrementalReloads: 1, pushes: 3 });
    await agent.next((r) => r.modid === 4 && r.host.length === 3, from);
    expect(dns.lookup(4, 1)).toHaveLength(3);

    // A forced whole reload finds nothing new: the worker's mirror had the incremental patch.
    await dns.requestReload(true);
    expect(dns.stats()).toMatchObject({ reloads: 4, pushes: 3 });
    from = agent.received.length;
    agent.query(9, 1); // answers come in order: a push sent before this answer would arrive before it
    await agent.next((r) => r.modid === 9, from);
    expect(agent.received.slice(from).map((r) => r.modid)).toEqual([9]);
    expect(dns.lookup(4, 1)).toHaveLength(3);
  });
});
