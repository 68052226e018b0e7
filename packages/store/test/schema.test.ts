import { once } from "node:events";
import { createRequire } from "node:module";
import { createServer, type AddressInfo } from "node:net";
import { Worker } from "node:worker_threads";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openStore, StoreSchemaError, StoreUnavailableError } from "../src/index.js";
import { BACKENDS, MYSQL_SKIP_REASON, mysqlBackend, MYSQL_URL, type Backend } from "./backends.js";

/** The tables as the C++ Lars's base/sql/lars_dns.sql creates them (unsigned ids, AUTO_INCREMENT start, its extra tables). */
const CPP_LARS_SCHEMA = `
CREATE TABLE RouteData (id int(10) unsigned NOT NULL AUTO_INCREMENT, modid int(10) unsigned NOT NULL, cmdid int(10) unsigned NOT NULL,
  serverip int(10) unsigned NOT NULL, serverport int(10) unsigned NOT NULL, PRIMARY KEY (id)) ENGINE=InnoDB AUTO_INCREMENT=116064 DEFAULT CHARSET=utf8;
CREATE TABLE RouteVersion (id int(10) unsigned NOT NULL AUTO_INCREMENT, version int(10) unsigned NOT NULL, PRIMARY KEY (id));
INSERT INTO RouteVersion(version) VALUES(0);
CREATE TABLE RouteChange (id int(10) unsigned NOT NULL AUTO_INCREMENT, modid int(10) unsigned NOT NULL, cmdid int(10) unsigned NOT NULL,
  version bigint(20) unsigned NOT NULL, PRIMARY KEY (id));
CREATE TABLE ServerCallStatus (modid int(11) NOT NULL, cmdid int(11) NOT NULL, ip int(11) unsigned NOT NULL, port int(11) unsigned NOT NULL,
  caller int(11) unsigned NOT NULL, succ_cnt int(11) NOT NULL, err_cnt int(11) NOT NULL, ts bigint(20) NOT NULL, overload char(1) NOT NULL,
  PRIMARY KEY (modid,cmdid,ip,port,caller), KEY mlb_index (modid,cmdid,ip,port,caller)) ENGINE=InnoDB DEFAULT CHARSET=utf8;
CREATE TABLE ModIDConfig (id int(10) unsigned NOT NULL AUTO_INCREMENT, modid int(10) unsigned NOT NULL, content char(255) NOT NULL, PRIMARY KEY (id));
INSERT INTO RouteData(modid, cmdid, serverip, serverport) VALUES(1, 1, 3232235953, 7777), (1, 2, 3232235954, 7776), (1, 1, 3232235953, 7777);
UPDATE RouteVersion SET version = 1600000000 WHERE id = 1;
`;

const backends: Backend[] = [];
afterEach(async () => {
  for (const b of backends.splice(0)) await b.cleanup();
});

describe.skipIf(MYSQL_URL === undefined)(`a C++ Lars database on MySQL/MariaDB${MYSQL_URL === undefined ? ` (skipped: ${MYSQL_SKIP_REASON})` : ""}`, () => {
  it("opens unchanged: verified, only our history table added, addresses read as int32 and written back unsigned", async () => {
    const backend = await mysqlBackend();
    backends.push(backend);
    await backend.raw(CPP_LARS_SCHEMA);
    const store = await openStore(backend.options, { now: () => 1_700_000_000 });
    try {
      expect(store.schema.created).toEqual(["ServerCallHistory"]);
      expect(await store.getRouteVersion()).toBe(1600000000);
      const routes = await store.loadRoutes();
      expect(routes.get("1:1")?.hosts).toEqual([{ ip: -1062731343, port: 7777 }]); // 192.168.1.177, the duplicate row served once
      expect(routes.get("1:2")?.hosts).toEqual([{ ip: -1062731342, port: 7776 }]);
      await store.addHost(1, 2, { ip: -1062731341, port: 7000 });
      expect(await store.getRouteVersion()).toBe(1_700_000_000);
      const mysql = await import("mysql2/promise");
      const conn = await mysql.createConnection((backend.options as { url: string }).url);
      try {
        const [rows] = await conn.query("SELECT serverip FROM RouteData WHERE modid = 1 AND cmdid = 2 ORDER BY serverip");
        expect((rows as { serverip: number }[]).map((r) => r.serverip)).toEqual([3232235954, 3232235955]);
        const [changes] = await conn.query("SELECT modid, cmdid, version FROM RouteChange");
        expect(changes).toEqual([{ modid: 1, cmdid: 2, version: 1_700_000_000 }]);
      } finally {
        await conn.end();
      }
    } finally {
      await store.close();
    }
  });
});

for (const { name, make, skip } of BACKENDS) {
  describe.skipIf(skip)(`schema checks on ${name}${skip ? ` (skipped: ${MYSQL_SKIP_REASON})` : ""}`, () => {
    it("refuses a table that lacks a column with StoreSchemaError, and does not alter it", async () => {
      const backend = await make();
      backends.push(backend);
      await backend.raw("CREATE TABLE RouteData (id INTEGER PRIMARY KEY, modid INTEGER, cmdid INTEGER, serverip INTEGER)");
      const err = await openStore(backend.options).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreSchemaError);
      expect((err as StoreSchemaError).code).toBe("LARS_STORE_SCHEMA");
      expect((err as Error).message).toMatch(/RouteData lacks column serverport/);
      await backend.raw("INSERT INTO RouteData (id, modid, cmdid, serverip) VALUES (1, 1, 1, 1)"); // still the four-column table
    });
  });
}

for (const { name, make, skip } of BACKENDS) {
  describe.skipIf(skip)(`first opens racing on an empty ${name} database${skip ? ` (skipped: ${MYSQL_SKIP_REASON})` : ""}`, () => {
    // Found by the DNS tests: two services starting at once on an empty MySQL database both saw the tables absent,
    // and the second CREATE TABLE failed with ER_TABLE_EXISTS_ERROR (and the RouteVersion row could be inserted twice).
    it("six concurrent openStore calls all succeed, and there is one RouteVersion row", async () => {
      const backend = await make();
      backends.push(backend);
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => openStore(backend.options)));
      const failures = results.filter((r) => r.status === "rejected").map((r) => String((r).reason));
      const stores = results.filter((r) => r.status === "fulfilled").map((r) => (r).value);
      try {
        expect(failures).toEqual([]);
        expect(await stores[0]!.getRouteVersion()).toBe(0);
        await stores[1]!.addHost(1, 1, { ip: 1, port: 1 });
        expect((await stores[2]!.listRoutes({ modid: 1, cmdid: 1 }))[0]?.hosts).toEqual([{ ip: 1, port: 1 }]);
      } finally {
        for (const s of stores) await s.close();
      }
      await backend.raw("INSERT INTO RouteChange (modid, cmdid, version) VALUES (9, 9, 9)"); // the tables are usable by others too
    });
  });
}

describe("unreachable databases", () => {
  it("a MySQL port nobody listens on is StoreUnavailableError, with no password in the message", async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const err = await openStore({ type: "mysql", url: `mysql://root:s3cret@127.0.0.1:${port}/test` }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect((err as StoreUnavailableError).code).toBe("LARS_STORE_UNAVAILABLE");
    expect((err as Error).message).not.toContain("s3cret");
  });

  it("an SQLite file in a folder that does not exist is StoreUnavailableError", async () => {
    const err = await openStore({ type: "sqlite", path: "/nonexistent-dir-lars/x/lars.db" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
  });

  it("an SQLite writer in another thread holding the lock is waited for (busy timeout), not failed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lars-store-lock-"));
    const path = join(dir, "lars.db");
    try {
      const store = await openStore({ type: "sqlite", path });
      // Another thread takes the write lock, says so, holds it 300 ms, then commits a row of its own.
      const worker = new Worker(
        `const { parentPort, workerData } = require("node:worker_threads");
         const Database = require(workerData.driver);
         const db = new Database(workerData.path);
         db.exec("BEGIN IMMEDIATE");
         db.exec("INSERT INTO RouteData (modid, cmdid, serverip, serverport) VALUES (2, 2, 2, 2)");
         parentPort.postMessage("locked");
         Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
         db.exec("COMMIT");
         db.close();`,
        { eval: true, workerData: { path, driver: createRequire(import.meta.url).resolve("better-sqlite3") } },
      );
      await once(worker, "message");
      const started = Date.now();
      expect((await store.addHost(1, 1, { ip: 1, port: 1 })).changed).toBe(true);
      expect(Date.now() - started).toBeGreaterThanOrEqual(100); // it did wait for the other writer
      expect([...(await store.loadRoutes()).keys()].sort()).toEqual(["1:1", "2:2"]);
      await once(worker, "exit");
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
