import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { DnsServer } from "../src/index.js";
import type { BinStore } from "../src/bin/open-store.js";
import { Agent, until } from "./helpers.js";
import { openStore } from "./store-available.js";

const dir = mkdtempSync(join(tmpdir(), "lars-dns-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const mysqlUrl = process.env.LARS_TEST_MYSQL_URL;
let n = 0;
const backends: Array<{ name: string; skip: boolean; options: () => unknown }> = [
  { name: "SQLite file", skip: false, options: () => ({ type: "sqlite", path: join(dir, `t${++n}.db`) }) },
  { name: "MariaDB (LARS_TEST_MYSQL_URL)", skip: mysqlUrl === undefined, options: () => ({ type: "mysql", url: mysqlUrl }) },
];

for (const backend of backends) {
  describe.skipIf(openStore === undefined || backend.skip)(
    `DnsServer on ${backend.name} (skipped without @lars/store's openStore, or MariaDB without LARS_TEST_MYSQL_URL)`,
    () => {
      // modids unlikely to collide with other packages' tests on a shared database
      const MOD = 770_000 + Math.floor(Math.random() * 10_000) * 10;

      async function open(options: unknown): Promise<BinStore> {
        const store = await openStore!(options);
        cleanups.push(() => store.close());
        return store;
      }

      it("queries, then pushes admin changes at once and another writer's by poll", async () => {
        const options = backend.options();
        const store = await open(options);
        await store.replaceHosts(MOD, 1, []);
        await store.addHost(MOD, 1, { ip: 167772161, port: 80 });
        const dns = new DnsServer({ store, port: 0, pollIntervalMs: 2000 });
        const { port } = await dns.start();
        cleanups.push(() => dns.close());
        const agent = new Agent(port);
        cleanups.push(() => agent.close());
        await agent.connected;
        agent.query(MOD, 1);
        agent.query(MOD, 2);
        expect((await agent.next((r) => r.modid === MOD && r.cmdid === 1)).host).toEqual([{ ip: 167772161, port: 80 }]);
        expect((await agent.next((r) => r.modid === MOD && r.cmdid === 2)).host).toEqual([]);

        let from = agent.received.length;
        const t0 = Date.now();
        await store.addHost(MOD, 2, { ip: -1062731343, port: 9000 });
        const pushed = await agent.next((r) => r.cmdid === 2 && r.host.length === 1, from);
        expect(pushed.host).toEqual([{ ip: -1062731343, port: 9000 }]);
        expect(Date.now() - t0).toBeLessThan(500); // well under the 2 s poll: the admin path

        from = agent.received.length;
        const other = await open(options); // another writer: no in-process event
        await other.removeHost(MOD, 1, { ip: 167772161, port: 80 });
        const gone = await agent.next((r) => r.cmdid === 1 && r.host.length === 0, from);
        expect(gone).toEqual({ modid: MOD, cmdid: 1, host: [] });
        expect(dns.stats().reloads).toBeGreaterThanOrEqual(2);

        await agent.close();
        await until(() => dns.stats().subscriptions === 0);
        expect(dns.stats().connections).toBe(0);
        await store.deleteRoute(MOD, 2);
      });
    },
  );
}
