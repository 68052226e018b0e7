import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { openStore, type LarsStore, StoreArgumentError, StoreClosedError, type RouteChangeEvent } from "../src/index.js";
import { BACKENDS, MYSQL_SKIP_REASON, type Backend } from "./backends.js";

const A = { ip: -1062731343, port: 7777 }; // 192.168.1.177
const B = { ip: 0x7f000001, port: 9000 }; // 127.0.0.1
const C = { ip: 0x0a000001, port: 80 }; // 10.0.0.1

for (const { name, make, skip } of BACKENDS) {
  if (skip) console.warn(`@lars/store ${name} tests: ${MYSQL_SKIP_REASON}`);
  describe.skipIf(skip)(`LarsStore on ${name}${skip ? ` (skipped: ${MYSQL_SKIP_REASON})` : ""}`, () => {
    let backend: Backend;
    let store: LarsStore;
    let now = 1_700_000_000;

    beforeEach(async () => {
      backend = await make();
      now = 1_700_000_000;
      store = await openStore(backend.options, { now: () => now });
    });
    afterEach(async () => {
      await store.close();
      await backend.cleanup();
    });

    it("creates the schema on a fresh database and starts at version 0 with no routes", async () => {
      expect([...store.schema.created].sort()).toEqual(["RouteChange", "RouteData", "RouteVersion", "ServerCallHistory", "ServerCallStatus"]);
      expect(store.kind).toBe(name);
      expect(await store.getRouteVersion()).toBe(0);
      expect((await store.loadRoutes()).size).toBe(0);
      expect(await store.loadRouteChanges()).toEqual([]);
    });

    it("verifies instead of creating when reopened, and keeps the data", async () => {
      await store.addHost(1, 1, A);
      await store.close();
      store = await openStore(backend.options);
      expect(store.schema.created).toEqual([]);
      expect(store.schema.verified).toHaveLength(5);
      expect((await store.loadRoutes()).get("1:1")?.hosts).toEqual([A]);
    });

    it("adds a host in one change: RouteData row, RouteChange row, RouteVersion bumped; again is unchanged", async () => {
      const first = await store.addHost(1, 2, A);
      expect(first).toEqual({ version: now, changed: true });
      expect(await store.getRouteVersion()).toBe(now);
      const changes = await store.loadRouteChanges();
      expect(changes.map(({ modid, cmdid, version }) => ({ modid, cmdid, version }))).toEqual([{ modid: 1, cmdid: 2, version: now }]);
      expect(Number.isInteger(changes[0]?.id)).toBe(true);
      const again = await store.addHost(1, 2, A);
      expect(again).toEqual({ version: now, changed: false });
      expect(await store.loadRouteChanges()).toHaveLength(1);
      const route = (await store.loadRoutes()).get("1:2");
      expect(route).toEqual({ modid: 1, cmdid: 2, hosts: [A] });
    });

    it("moves the version forward by one when changes share a second (the C++ writers' unix time would repeat)", async () => {
      const v1 = await store.addHost(1, 1, A);
      const v2 = await store.addHost(1, 1, B);
      const v3 = await store.removeHost(1, 1, A);
      expect([v1.version, v2.version, v3.version]).toEqual([now, now + 1, now + 2]);
      now += 100;
      expect((await store.addHost(2, 2, C)).version).toBe(now);
    });

    it("removes hosts, replaces a route's hosts and deletes routes; an emptied route no longer exists", async () => {
      await store.replaceHosts(5, 6, [B, A, B]);
      expect((await store.loadRoutes()).get("5:6")?.hosts).toEqual([B, A]); // sorted by unsigned address: 127.0.0.1 < 192.168.1.177
      expect((await store.replaceHosts(5, 6, [A, B])).changed).toBe(false);
      expect((await store.removeHost(5, 6, C)).changed).toBe(false);
      expect((await store.removeHost(5, 6, A)).changed).toBe(true);
      expect((await store.loadRoutes()).get("5:6")?.hosts).toEqual([B]);
      expect((await store.replaceHosts(5, 6, [C])).changed).toBe(true);
      expect((await store.loadRoutes()).get("5:6")?.hosts).toEqual([C]);
      expect((await store.deleteRoute(5, 6)).changed).toBe(true);
      expect((await store.deleteRoute(5, 6)).changed).toBe(false);
      expect((await store.loadRoutes()).has("5:6")).toBe(false);
      expect((await store.loadRouteChanges()).map((c) => [c.modid, c.cmdid])).toEqual([[5, 6], [5, 6], [5, 6], [5, 6]]);
    });

    it("accepts negative ids and the whole int32 address range", async () => {
      const hosts = [{ ip: -1, port: 1 }, { ip: -2147483648, port: 65535 }, { ip: 0, port: 2 }];
      await store.replaceHosts(-3, -7, hosts);
      expect((await store.listRoutes({ modid: -3 }))[0]?.hosts).toEqual([{ ip: 0, port: 2 }, { ip: -2147483648, port: 65535 }, { ip: -1, port: 1 }]);
    });

    it("lists routes sorted and filtered", async () => {
      await store.addHost(2, 1, A);
      await store.addHost(1, 9, B);
      await store.addHost(1, 3, C);
      expect((await store.listRoutes()).map((r) => `${r.modid}:${r.cmdid}`)).toEqual(["1:3", "1:9", "2:1"]);
      expect((await store.listRoutes({ modid: 1 })).map((r) => r.cmdid)).toEqual([3, 9]);
      expect(await store.listRoutes({ modid: 1, cmdid: 9 })).toEqual([{ modid: 1, cmdid: 9, hosts: [B] }]);
    });

    it("clears RouteChange rows up to an id", async () => {
      await store.addHost(1, 1, A);
      await store.addHost(1, 2, A);
      await store.addHost(1, 3, A);
      const changes = await store.loadRouteChanges();
      await store.clearRouteChanges(changes[1]!.id);
      expect((await store.loadRouteChanges()).map((c) => c.cmdid)).toEqual([3]);
    });

    it("tells onRouteChange listeners after each commit; a throwing listener is reported and the others still hear", async () => {
      await store.close();
      const reports: unknown[] = [];
      const logger = { warn: () => undefined, error: (obj: object) => reports.push(obj) };
      store = await openStore(backend.options, { logger, now: () => now });
      const heard: RouteChangeEvent[] = [];
      store.onRouteChange(() => {
        throw new Error("listener bug");
      });
      const off = store.onRouteChange((c) => heard.push(c));
      await store.addHost(3, 4, A);
      await store.addHost(3, 4, A); // unchanged: no event
      expect(heard).toEqual([{ modid: 3, cmdid: 4, version: now }]);
      expect(reports).toHaveLength(1);
      off();
      await store.deleteRoute(3, 4);
      expect(heard).toHaveLength(1);
    });

    it("serializes concurrent writers on one database (two stores, as two processes): every change lands with its own version", async () => {
      const other = await openStore(backend.options, { now: () => now });
      try {
        const writes = [];
        for (let i = 1; i <= 20; i++) writes.push((i % 2 === 0 ? store : other).addHost(9, 9, { ip: i, port: 1000 + i }));
        const results = await Promise.all(writes);
        expect(new Set(results.map((r) => r.version)).size).toBe(20);
        expect((await store.loadRoutes()).get("9:9")?.hosts).toHaveLength(20);
        expect(await store.loadRouteChanges()).toHaveLength(20);
        expect(await other.getRouteVersion()).toBe(Math.max(...results.map((r) => r.version)));
      } finally {
        await other.close();
      }
    });

    it("upserts call status as snapshots: the later report of a (route, host, caller) overwrites, others are kept", async () => {
      const row = { modid: 1, cmdid: 1, ip: A.ip, port: A.port, caller: B.ip, succCnt: 10, errCnt: 1, ts: 100, overload: false };
      await store.upsertCallStatus([row, { ...row, caller: C.ip, succCnt: 5 }]);
      await store.upsertCallStatus([{ ...row, succCnt: 20, errCnt: 7, ts: 200, overload: true }]);
      const rows = await store.listCallStatus({ modid: 1, cmdid: 1 });
      expect(rows).toHaveLength(2);
      expect(rows.find((r) => r.caller === B.ip)).toEqual({ ...row, succCnt: 20, errCnt: 7, ts: 200, overload: true });
      expect(rows.find((r) => r.caller === C.ip)?.succCnt).toBe(5);
    });

    it("upserts more rows than one statement holds, in one call", async () => {
      // 2537: whole multi-row statements and a remainder written row by row.
      const rows = Array.from({ length: 2537 }, (_, i) => ({ modid: 7, cmdid: i % 5, ip: i, port: 1 + (i % 100), caller: 1, succCnt: i, errCnt: 0, ts: 1, overload: i % 2 === 0 }));
      await store.upsertCallStatus(rows);
      const back = await store.listCallStatus({ modid: 7 });
      expect(back).toHaveLength(2537);
      expect(back.filter((r) => r.overload)).toHaveLength(1269);
      expect(back.reduce((s, r) => s + r.succCnt, 0)).toBe((2536 * 2537) / 2);
    });

    it("the later of two snapshots of one key inside one statement wins", async () => {
      const row = { modid: 8, cmdid: 1, ip: 1, port: 1, caller: 1, succCnt: 1, errCnt: 0, ts: 1, overload: false };
      const rows = Array.from({ length: 60 }, (_, i) => ({ ...row, ip: i }));
      rows[10] = { ...row, ip: 3, succCnt: 99, overload: true }; // a second snapshot of ip 3, in the same 50 rows
      await store.upsertCallStatus(rows);
      const back = await store.listCallStatus({ modid: 8 });
      expect(back).toHaveLength(59);
      expect(back.find((r) => r.ip === 3)).toMatchObject({ succCnt: 99, overload: true });
    });

    it("sums history rows of the same host and window, lists them since a time, prunes old windows", async () => {
      const h = { modid: 1, cmdid: 2, ip: A.ip, port: A.port, succ: 10, err: 1, overload: false };
      await store.insertCallHistory([{ ...h, windowStart: 60 }, { ...h, windowStart: 120 }]);
      await store.insertCallHistory([{ ...h, windowStart: 120, succ: 5, err: 4, overload: true }]);
      expect(await store.listCallHistory({ modid: 1, cmdid: 2, since: 100 })).toEqual([{ ...h, windowStart: 120, succ: 15, err: 5, overload: true }]);
      expect(await store.pruneCallHistory(100)).toBe(1);
      expect(await store.listCallHistory({ modid: 1, cmdid: 2 })).toHaveLength(1);
    });

    it("prints nothing while it works (a library only speaks through its logger)", async () => {
      const spies = (["log", "warn", "error", "info", "debug"] as const).map((m) => vi.spyOn(console, m));
      try {
        await store.addHost(3, 4, A);
        await store.upsertCallStatus([{ modid: 3, cmdid: 4, ip: A.ip, port: A.port, caller: 1, succCnt: 1, errCnt: 0, ts: 1, overload: false }]);
        await store.insertCallHistory([{ modid: 3, cmdid: 4, ip: A.ip, port: A.port, windowStart: 60, succ: 1, err: 0, overload: false }]);
        expect(await store.listCallStatus({ modid: 3 })).toHaveLength(1);
        expect(await store.listCallHistory({ modid: 3, cmdid: 4 })).toHaveLength(1);
        expect(await store.listRoutes()).toHaveLength(1);
        for (const spy of spies) expect(spy).not.toHaveBeenCalled();
      } finally {
        for (const spy of spies) spy.mockRestore();
      }
    });

    it("refuses bad arguments with StoreArgumentError before touching the database", async () => {
      await expect(store.addHost(1.5, 1, A)).rejects.toBeInstanceOf(StoreArgumentError);
      await expect(store.addHost(1, 2 ** 31, A)).rejects.toMatchObject({ code: "LARS_STORE_ARGUMENT" });
      await expect(store.addHost(1, 1, { ip: 1, port: 0 })).rejects.toMatchObject({ code: "LARS_STORE_ARGUMENT" });
      await expect(store.replaceHosts(1, 1, [{ ip: 2 ** 32, port: 1 }])).rejects.toMatchObject({ code: "LARS_STORE_ARGUMENT" });
      expect(await store.getRouteVersion()).toBe(0);
    });

    it("fails with StoreClosedError after close()", async () => {
      await store.close();
      await expect(store.loadRoutes()).rejects.toBeInstanceOf(StoreClosedError);
      await store.close();
      store = await openStore(backend.options);
    });
  });
}
