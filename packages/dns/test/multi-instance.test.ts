// Several DnsServer instances on one database, each with its own store handle (as separate processes would
// have): a change through one instance's admin API, or written by another process, reaches the subscribers
// of every instance, although the first instance to see it clears the RouteChange rows.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DnsServer } from "../src/index.js";
import type { BinStore } from "../src/bin/open-store.js";
import { Agent } from "./helpers.js";
import { openStore } from "./store-available.js";

const dir = mkdtempSync(join(tmpdir(), "lars-dns-multi-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mysqlUrl = process.env.LARS_TEST_MYSQL_URL;
let n = 0;
const backends: Array<{ name: string; skip: boolean; options: () => Record<string, unknown> }> = [
  { name: "one SQLite file", skip: false, options: () => ({ type: "sqlite", path: join(dir, `m${++n}.db`) }) },
  { name: "one MariaDB (LARS_TEST_MYSQL_URL)", skip: mysqlUrl === undefined, options: () => ({ type: "mysql", url: mysqlUrl }) },
];

async function open(options: unknown): Promise<BinStore> {
  const store = await openStore!(options);
  cleanups.push(() => store.close());
  return store;
}

async function startDns(store: BinStore, pollIntervalMs: number): Promise<{ dns: DnsServer; agent: Agent }> {
  const dns = new DnsServer({ store, port: 0, pollIntervalMs, fullReloadMs: 3_600_000 });
  const { port } = await dns.start();
  cleanups.push(() => dns.close());
  const agent = new Agent(port);
  cleanups.push(() => agent.close());
  await agent.connected;
  return { dns, agent };
}

for (const backend of backends) {
  describe.skipIf(openStore === undefined || backend.skip)(
    `two DnsServers on ${backend.name} (MariaDB skipped without LARS_TEST_MYSQL_URL)`,
    () => {
      const MOD = 780_000 + Math.floor(Math.random() * 10_000) * 10;
      const H1 = { ip: 167772161, port: 80 }; // 10.0.0.1
      const H2 = { ip: -1062731343, port: 9000 }; // 192.168.1.177

      it("A's admin change reaches B's subscribers by B's poll after A cleared the RouteChange rows", async () => {
        const options = backend.options();
        const storeA = await open(options);
        await storeA.replaceHosts(MOD, 1, [H1]);
        const storeB = await open(options); // its own handle: A's in-process event does not reach it
        const a = await startDns(storeA, 3_600_000); // A pushes its own admin changes at once, never polls here
        const b = await startDns(storeB, 3_600_000); // B's poll is run by hand below: requestReload() is what a tick does
        a.agent.query(MOD, 1);
        b.agent.query(MOD, 1);
        await a.agent.next((r) => r.modid === MOD);
        expect((await b.agent.next((r) => r.modid === MOD)).host).toEqual([H1]);

        const fromA = a.agent.received.length;
        const fromB = b.agent.received.length;
        const { version } = await storeA.addHost(MOD, 1, H2);
        expect((await a.agent.next((r) => r.host.length === 2, fromA)).host).toEqual([H1, H2] /* the store sorts by the unsigned ip */);
        await a.dns.requestReload(); // settles A's reload, which cleared the rows
        expect(await storeB.loadRouteChanges()).toEqual([]); // nothing left for B to read
        expect(b.dns.lookup(MOD, 1)).toEqual([H1]); // B has not polled yet

        await b.dns.requestReload(); // B's poll: RouteVersion moved, reload, diff
        const pushed = await b.agent.next((r) => r.host.length === 2, fromB);
        expect(pushed).toEqual({ modid: MOD, cmdid: 1, host: [H1, H2] /* the store sorts by the unsigned ip */ });
        expect(b.dns.stats()).toMatchObject({ version, pushes: 1 });
        expect(b.agent.received.slice(fromB)).toHaveLength(1); // one push, not one per source of the change
        await storeA.deleteRoute(MOD, 1);
      });

      it("a change by another writer reaches both instances by their polls, whichever clears the rows first", async () => {
        const options = backend.options();
        const writer = await open(options); // another process
        await writer.replaceHosts(MOD, 2, [H1]);
        await writer.replaceHosts(MOD, 3, [H1, H2]);
        const a = await startDns(await open(options), 20);
        const b = await startDns(await open(options), 20);
        for (const x of [a, b]) {
          x.agent.query(MOD, 2);
          x.agent.query(MOD, 3);
          await x.agent.next((r) => r.modid === MOD && r.cmdid === 3);
        }
        const from = [a.agent.received.length, b.agent.received.length];
        await writer.removeHost(MOD, 2, H1);
        await writer.replaceHosts(MOD, 3, [H2]);
        for (const [i, x] of [a, b].entries()) {
          expect(await x.agent.next((r) => r.cmdid === 2 && r.host.length === 0, from[i])).toEqual({ modid: MOD, cmdid: 2, host: [] });
          expect((await x.agent.next((r) => r.cmdid === 3 && r.host.length === 1, from[i])).host).toEqual([H2]);
        }
        await writer.deleteRoute(MOD, 3);
      });
    },
  );
}

describe.skipIf(openStore === undefined)("two DnsServers and lars-route in another process, one SQLite file", () => {
  it("lars-route's change reaches the subscribers of both", async () => {
    const db = join(dir, "proc.db");
    const conf = join(dir, "proc.conf");
    writeFileSync(conf, "[store]\ntype = sqlite\npath = proc.db\n");
    const seed = await open({ type: "sqlite", path: db });
    await seed.replaceHosts(5, 1, [{ ip: 167772161, port: 80 }]);
    const a = await startDns(await open({ type: "sqlite", path: db }), 20);
    const b = await startDns(await open({ type: "sqlite", path: db }), 20);
    for (const x of [a, b]) {
      x.agent.query(5, 1);
      await x.agent.next((r) => r.modid === 5);
    }
    const from = [a.agent.received.length, b.agent.received.length];
    const bin = fileURLToPath(new URL("../bin/lars-route.mjs", import.meta.url));
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, [bin, "add", "5", "1", "10.0.0.2", "81", "--config", conf], { stdio: "ignore" });
      child.on("close", resolve);
    });
    expect(code).toBe(0);
    for (const [i, x] of [a, b].entries()) {
      const pushed = await x.agent.next((r) => r.host.length === 2, from[i]);
      expect(pushed.host).toEqual([
        { ip: 167772161, port: 80 },
        { ip: 167772162, port: 81 },
      ]);
    }
  });
});
