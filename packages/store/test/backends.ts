import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { createConnection } from "mysql2/promise";
import { parseMysqlUrl, type StoreOptions } from "../src/index.js";

/** The MariaDB the tests may use, from LARS_TEST_MYSQL_URL (`.ci/run` sets it). */
export const MYSQL_URL = process.env["LARS_TEST_MYSQL_URL"];

/** Why the MySQL tests skip, printed once by each file that has them. */
export const MYSQL_SKIP_REASON = "LARS_TEST_MYSQL_URL is not set: MySQL/MariaDB tests skip (set it, e.g. mysql://root@127.0.0.1:3306/test)";

/** A backend to run a test against, and how to throw it away. */
export interface Backend {
  readonly name: string;
  readonly options: StoreOptions;
  cleanup(): Promise<void>;
  /** Runs raw SQL on the backend's database outside the store (to play another process, or a C++ writer). */
  raw(statement: string): Promise<void>;
}

let counter = 0;

/** A fresh SQLite file in a temporary folder. */
export function sqliteBackend(): Promise<Backend> {
  const dir = mkdtempSync(join(tmpdir(), "lars-store-"));
  const path = join(dir, "lars.db");
  return Promise.resolve({
    name: "sqlite",
    options: { type: "sqlite", path },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
    raw(statement: string) {
      const db = new Database(path, { timeout: 5000 });
      try {
        db.exec(statement);
      } finally {
        db.close();
      }
      return Promise.resolve();
    },
  });
}

/** A fresh database on the test MariaDB, dropped by cleanup(). */
export async function mysqlBackend(): Promise<Backend> {
  if (MYSQL_URL === undefined) throw new Error(MYSQL_SKIP_REASON);
  const base = parseMysqlUrl(MYSQL_URL);
  const database = `lars_store_t${process.pid}_${Date.now() % 100000}_${counter++}`;
  const admin = await createConnection({ host: base.host, port: base.port, user: base.user, password: base.password, multipleStatements: true });
  await admin.query(`CREATE DATABASE \`${database}\``);
  const url = new URL(MYSQL_URL);
  url.pathname = `/${database}`;
  return {
    name: "mysql",
    options: { type: "mysql", url: url.toString() },
    async cleanup() {
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    },
    async raw(statement: string) {
      await admin.query(`USE \`${database}\`; ${statement}`);
    },
  };
}

/** The backends available here: SQLite always, MySQL when configured. */
export const BACKENDS: readonly { name: string; make: () => Promise<Backend>; skip: boolean }[] = [
  { name: "sqlite", make: sqliteBackend, skip: false },
  { name: "mysql", make: mysqlBackend, skip: MYSQL_URL === undefined },
];
