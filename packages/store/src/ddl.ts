import type { LarsDatabase } from "./tables.js";

/** Which SQL the store speaks. */
export type StoreKind = "sqlite" | "mysql";

type Ddl = Readonly<Record<keyof LarsDatabase, readonly string[]>>;

/**
 * The C++ Lars schema (base/sql/lars_dns.sql) for MySQL/MariaDB, so a C++
 * deployment's database and ours are interchangeable, plus our history
 * table. Ids are signed as the schema states (the C++ file has
 * unsigned modid/cmdid; such a database still verifies, see schema.ts).
 */
const MYSQL: Ddl = {
  RouteData: [
    "CREATE TABLE IF NOT EXISTS `RouteData` (`id` int(10) unsigned NOT NULL AUTO_INCREMENT, `modid` int(10) NOT NULL, `cmdid` int(10) NOT NULL, " +
      "`serverip` int(10) unsigned NOT NULL, `serverport` int(10) unsigned NOT NULL, PRIMARY KEY (`id`), KEY `route_index` (`modid`, `cmdid`)) " +
      "ENGINE=InnoDB DEFAULT CHARSET=utf8",
  ],
  RouteVersion: [
    "CREATE TABLE IF NOT EXISTS `RouteVersion` (`id` int(10) unsigned NOT NULL AUTO_INCREMENT, `version` int(10) unsigned NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB",
  ],
  RouteChange: [
    "CREATE TABLE IF NOT EXISTS `RouteChange` (`id` int(10) unsigned NOT NULL AUTO_INCREMENT, `modid` int(10) NOT NULL, `cmdid` int(10) NOT NULL, " +
      "`version` bigint(20) unsigned NOT NULL, PRIMARY KEY (`id`)) ENGINE=InnoDB",
  ],
  ServerCallStatus: [
    "CREATE TABLE IF NOT EXISTS `ServerCallStatus` (`modid` int(11) NOT NULL, `cmdid` int(11) NOT NULL, `ip` int(11) unsigned NOT NULL, " +
      "`port` int(11) unsigned NOT NULL, `caller` int(11) unsigned NOT NULL, `succ_cnt` int(11) NOT NULL, `err_cnt` int(11) NOT NULL, " +
      "`ts` bigint(20) NOT NULL, `overload` char(1) NOT NULL, PRIMARY KEY (`modid`, `cmdid`, `ip`, `port`, `caller`)) " +
      "ENGINE=InnoDB DEFAULT CHARSET=utf8",
  ],
  ServerCallHistory: [
    "CREATE TABLE IF NOT EXISTS `ServerCallHistory` (`modid` int(11) NOT NULL, `cmdid` int(11) NOT NULL, `ip` int(11) unsigned NOT NULL, " +
      "`port` int(11) unsigned NOT NULL, `window_start` bigint(20) NOT NULL, `succ` bigint(20) NOT NULL, `err` bigint(20) NOT NULL, " +
      "`overload` int(11) NOT NULL, PRIMARY KEY (`modid`, `cmdid`, `ip`, `port`, `window_start`), KEY `window_index` (`window_start`)) " +
      "ENGINE=InnoDB DEFAULT CHARSET=utf8",
  ],
};

/** The same schema in SQLite's types. */
const SQLITE: Ddl = {
  RouteData: [
    "CREATE TABLE IF NOT EXISTS RouteData (id INTEGER PRIMARY KEY AUTOINCREMENT, modid INTEGER NOT NULL, cmdid INTEGER NOT NULL, " +
      "serverip INTEGER NOT NULL, serverport INTEGER NOT NULL)",
    "CREATE INDEX IF NOT EXISTS route_index ON RouteData (modid, cmdid)",
  ],
  RouteVersion: ["CREATE TABLE IF NOT EXISTS RouteVersion (id INTEGER PRIMARY KEY AUTOINCREMENT, version INTEGER NOT NULL)"],
  RouteChange: [
    "CREATE TABLE IF NOT EXISTS RouteChange (id INTEGER PRIMARY KEY AUTOINCREMENT, modid INTEGER NOT NULL, cmdid INTEGER NOT NULL, version INTEGER NOT NULL)",
  ],
  ServerCallStatus: [
    "CREATE TABLE IF NOT EXISTS ServerCallStatus (modid INTEGER NOT NULL, cmdid INTEGER NOT NULL, ip INTEGER NOT NULL, port INTEGER NOT NULL, " +
      "caller INTEGER NOT NULL, succ_cnt INTEGER NOT NULL, err_cnt INTEGER NOT NULL, ts INTEGER NOT NULL, overload TEXT NOT NULL, " +
      "PRIMARY KEY (modid, cmdid, ip, port, caller))",
  ],
  ServerCallHistory: [
    "CREATE TABLE IF NOT EXISTS ServerCallHistory (modid INTEGER NOT NULL, cmdid INTEGER NOT NULL, ip INTEGER NOT NULL, port INTEGER NOT NULL, " +
      "window_start INTEGER NOT NULL, succ INTEGER NOT NULL, err INTEGER NOT NULL, overload INTEGER NOT NULL, " +
      "PRIMARY KEY (modid, cmdid, ip, port, window_start))",
    "CREATE INDEX IF NOT EXISTS window_index ON ServerCallHistory (window_start)",
  ],
};

/** The statements creating `table` in `kind`'s SQL. */
export function createTableStatements(kind: StoreKind, table: keyof LarsDatabase): readonly string[] {
  return (kind === "mysql" ? MYSQL : SQLITE)[table];
}
