import type { Kysely } from "kysely";
import { type CallHistoryRow, type CallStatusRow, callHistoryFromRow, callStatusFromRow, insertCallHistoryRows, upsertCallStatusRows } from "./call-status.js";
import { connect } from "./connect.js";
import type { StoreKind } from "./ddl.js";
import { StoreClosedError, wrapDriverError } from "./errors.js";
import type { StoreOptions } from "./options.js";
import { compareHosts, deleteHost, deleteRouteRows, insertHosts, runAdminChange, sameHostSet, uniqueSortedHosts } from "./route-admin.js";
import { routeKey, type AdminResult, type HostInfo, type Route, type RouteChange, type RouteChangeEvent, type RouteFilter, type RouteTable } from "./route-types.js";
import { SqliteCallStatusUpsert } from "./sqlite-upsert.js";
import { withFileLock } from "./file-lock.js";
import { ensureSchema, type SchemaReport } from "./schema.js";
import type { LarsDatabase } from "./tables.js";
import { checkHost, checkInt32, ipFromColumn } from "./validate.js";

/** A pino-shaped logger (`logger.warn(obj, msg)`); pino's own fits. */
export interface StoreLogger {
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  info?(obj: object, msg?: string): void;
}

/** Hooks of {@link openStore}. */
export interface StoreHooks {
  /** Where a throwing `onRouteChange` listener is reported. */
  readonly logger?: StoreLogger;
  /** Unix seconds (tests). */
  readonly now?: () => number;
}

/**
 * Opens the Lars database: connects, creates the tables that are absent,
 * verifies the ones present (never alters them). Fails with
 * `StoreUnavailableError` when the database cannot be reached and
 * `StoreSchemaError` when a table lacks a column.
 */
export function openStore(options: StoreOptions, hooks: StoreHooks = {}): Promise<LarsStore> {
  return LarsStore.open(options, hooks);
}

/**
 * The Lars route and call-status database (the C++ Lars schema), on SQLite
 * or MySQL/MariaDB through one Kysely query layer. Every method is async and
 * fails with a `StoreError` subclass (`StoreUnavailableError` when the
 * connection is lost: retry with backoff).
 */
export class LarsStore {
  readonly kind: StoreKind;
  /** Where the database is, without a password: `sqlite:PATH` or `mysql://user@host:port/db`. */
  readonly where: string;
  /** Which tables `openStore` created and which it found. */
  readonly schema: SchemaReport;
  readonly #db: Kysely<LarsDatabase>;
  readonly #listeners = new Set<(change: RouteChangeEvent) => void>();
  readonly #logger: StoreLogger | undefined;
  readonly #now: () => number;
  readonly #sqlitePath: string | undefined;
  readonly #sqliteUpsert: SqliteCallStatusUpsert | undefined;
  #closed = false;

  /** The same as {@link openStore}. */
  static async open(options: StoreOptions, hooks: StoreHooks = {}): Promise<LarsStore> {
    const { db, kind, where, sqlite } = await connect(options);
    let schema: SchemaReport;
    try {
      schema = await ensureSchema(db, kind);
    } catch (err) {
      await db.destroy().catch(() => undefined);
      throw wrapDriverError(err, `cannot prepare the schema of ${where}`);
    }
    return new LarsStore(db, kind, where, schema, hooks, sqlite === undefined ? undefined : new SqliteCallStatusUpsert(sqlite));
  }

  private constructor(db: Kysely<LarsDatabase>, kind: StoreKind, where: string, schema: SchemaReport, hooks: StoreHooks, sqliteUpsert?: SqliteCallStatusUpsert) {
    this.#db = db;
    this.#sqliteUpsert = sqliteUpsert;
    this.#sqlitePath = kind === "sqlite" ? where.slice("sqlite:".length) : undefined;
    this.kind = kind;
    this.where = where;
    this.schema = schema;
    this.#logger = hooks.logger;
    this.#now = hooks.now ?? (() => Math.floor(Date.now() / 1000));
  }

  /** The current `RouteVersion` (0 for a fresh database). */
  async getRouteVersion(): Promise<number> {
    return this.#run("read RouteVersion", async (db) => {
      const row = await db.selectFrom("RouteVersion").select("version").where("id", "=", 1).executeTakeFirst();
      return row === undefined ? 0 : Number(row.version);
    });
  }

  /** Every route, hosts deduplicated and sorted (the DNS service's table). */
  async loadRoutes(): Promise<RouteTable> {
    return this.#run("load RouteData", async (db) => {
      const rows = await db.selectFrom("RouteData").select(["modid", "cmdid", "serverip", "serverport"]).execute();
      return tableOf(rows);
    });
  }

  /** Routes matching `filter`, sorted by modid then cmdid. */
  async listRoutes(filter: RouteFilter = {}): Promise<Route[]> {
    if (filter.modid !== undefined) checkInt32("modid", filter.modid);
    if (filter.cmdid !== undefined) checkInt32("cmdid", filter.cmdid);
    return this.#run("list routes", async (db) => {
      let q = db.selectFrom("RouteData").select(["modid", "cmdid", "serverip", "serverport"]);
      if (filter.modid !== undefined) q = q.where("modid", "=", filter.modid);
      if (filter.cmdid !== undefined) q = q.where("cmdid", "=", filter.cmdid);
      const routes = [...tableOf(await q.execute()).values()];
      return routes.sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
    });
  }

  /** Pending `RouteChange` rows, by id. */
  async loadRouteChanges(): Promise<RouteChange[]> {
    return this.#run("load RouteChange", async (db) => {
      const rows = await db.selectFrom("RouteChange").select(["id", "modid", "cmdid", "version"]).orderBy("id").execute();
      return rows.map((r) => ({ id: Number(r.id), modid: Number(r.modid), cmdid: Number(r.cmdid), version: Number(r.version) }));
    });
  }

  /** Deletes `RouteChange` rows with id ≤ `upToId` (the ones a DNS service has pushed). */
  async clearRouteChanges(upToId: number): Promise<void> {
    return this.#write("clear RouteChange", async (db) => {
      await db.deleteFrom("RouteChange").where("id", "<=", upToId).execute();
    });
  }

  /** Adds a host to a route (creating the route). Unchanged when it is there already. */
  async addHost(modid: number, cmdid: number, host: HostInfo): Promise<AdminResult> {
    checkRoute(modid, cmdid);
    checkHost(host);
    return this.#admin("add host", modid, cmdid, async (trx, hosts) => {
      if (hosts.some((h) => h.ip === host.ip && h.port === host.port)) return false;
      await insertHosts(trx, modid, cmdid, [host]);
      return true;
    });
  }

  /** Removes a host from a route (an empty route no longer exists). Unchanged when it was not there. */
  async removeHost(modid: number, cmdid: number, host: HostInfo): Promise<AdminResult> {
    checkRoute(modid, cmdid);
    checkHost(host);
    return this.#admin("remove host", modid, cmdid, async (trx, hosts) => {
      if (!hosts.some((h) => h.ip === host.ip && h.port === host.port)) return false;
      await deleteHost(trx, modid, cmdid, host);
      return true;
    });
  }

  /** Sets the hosts of a route to exactly `hosts` (an empty list deletes it). */
  async replaceHosts(modid: number, cmdid: number, hosts: readonly HostInfo[]): Promise<AdminResult> {
    checkRoute(modid, cmdid);
    for (const h of hosts) checkHost(h);
    const wanted = uniqueSortedHosts(hosts);
    return this.#admin("replace hosts", modid, cmdid, async (trx, current) => {
      // Duplicated rows (possible in a C++ database) are rewritten too.
      if (sameHostSet(current, wanted) && current.length === wanted.length) return false;
      await deleteRouteRows(trx, modid, cmdid);
      await insertHosts(trx, modid, cmdid, wanted);
      return true;
    });
  }

  /** Deletes every host of a route (what the C++ writers cannot do). Unchanged when it has none. */
  async deleteRoute(modid: number, cmdid: number): Promise<AdminResult> {
    checkRoute(modid, cmdid);
    return this.#admin("delete route", modid, cmdid, async (trx, hosts) => {
      if (hosts.length === 0) return false;
      await deleteRouteRows(trx, modid, cmdid);
      return true;
    });
  }

  /**
   * Calls `listener` after each admin change committed through this store
   * (not for changes by other processes: the DNS poller sees those). Returns
   * the unsubscribe function. A throwing listener is reported to the logger.
   */
  onRouteChange(listener: (change: RouteChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Upserts call-status snapshots: one multi-row statement per 1000 rows, all in one transaction. */
  async upsertCallStatus(rows: readonly CallStatusRow[]): Promise<void> {
    if (rows.length === 0) return;
    const fast = this.#sqliteUpsert;
    if (fast !== undefined) {
      return this.#write("upsert ServerCallStatus", () => {
        fast.write(rows);
        return Promise.resolve();
      });
    }
    return this.#write("upsert ServerCallStatus", (db) => db.transaction().execute((trx) => upsertCallStatusRows(trx, this.kind, rows)));
  }

  /** Call-status rows matching `filter`, by route, host, caller. */
  async listCallStatus(filter: RouteFilter = {}): Promise<CallStatusRow[]> {
    return this.#run("list ServerCallStatus", async (db) => {
      let q = db.selectFrom("ServerCallStatus").selectAll();
      if (filter.modid !== undefined) q = q.where("modid", "=", filter.modid);
      if (filter.cmdid !== undefined) q = q.where("cmdid", "=", filter.cmdid);
      const rows = (await q.orderBy("modid").orderBy("cmdid").orderBy("ip").orderBy("port").orderBy("caller").execute()).map(callStatusFromRow);
      return rows;
    });
  }

  /** Adds per-window history rows (summed into a row already there for the same host and window). */
  async insertCallHistory(rows: readonly CallHistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    return this.#write("insert ServerCallHistory", (db) => db.transaction().execute((trx) => insertCallHistoryRows(trx, this.kind, rows)));
  }

  /** History rows of a route since `since` (unix s, inclusive), oldest first. */
  async listCallHistory(filter: { readonly modid: number; readonly cmdid: number; readonly since?: number }): Promise<CallHistoryRow[]> {
    checkRoute(filter.modid, filter.cmdid);
    return this.#run("list ServerCallHistory", async (db) => {
      let q = db.selectFrom("ServerCallHistory").selectAll().where("modid", "=", filter.modid).where("cmdid", "=", filter.cmdid);
      if (filter.since !== undefined) q = q.where("window_start", ">=", filter.since);
      return (await q.orderBy("window_start").orderBy("ip").orderBy("port").execute()).map(callHistoryFromRow);
    });
  }

  /** Deletes history rows whose window started before `olderThan` (unix s); returns how many. */
  async pruneCallHistory(olderThan: number): Promise<number> {
    return this.#write("prune ServerCallHistory", async (db) => {
      const result = await db.deleteFrom("ServerCallHistory").where("window_start", "<", olderThan).executeTakeFirst();
      return Number(result.numDeletedRows);
    });
  }

  /** Closes the connection (pool). Idempotent; later calls fail with `StoreClosedError`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#listeners.clear();
    await this.#db.destroy();
  }

  async #admin(doing: string, modid: number, cmdid: number, edit: Parameters<typeof runAdminChange>[3]): Promise<AdminResult> {
    const result = await this.#write(doing, (db) => runAdminChange(db, modid, cmdid, edit, this.#now()));
    if (result.changed) this.#emit({ modid, cmdid, version: result.version });
    return result;
  }

  #emit(change: RouteChangeEvent): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch (err) {
        this.#logger?.error({ err, change }, "@lars/store: an onRouteChange listener threw");
      }
    }
  }

  /** A write transaction: one at a time per SQLite file in this thread (see withFileLock). */
  #write<T>(doing: string, fn: (db: Kysely<LarsDatabase>) => Promise<T>): Promise<T> {
    const path = this.#sqlitePath;
    return path === undefined ? this.#run(doing, fn) : withFileLock(path, () => this.#run(doing, fn));
  }

  async #run<T>(doing: string, fn: (db: Kysely<LarsDatabase>) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreClosedError();
    try {
      return await fn(this.#db);
    } catch (err) {
      throw wrapDriverError(err, `${doing} (${this.where})`);
    }
  }
}

function checkRoute(modid: number, cmdid: number): void {
  checkInt32("modid", modid);
  checkInt32("cmdid", cmdid);
}

function tableOf(rows: readonly { modid: number; cmdid: number; serverip: number; serverport: number }[]): RouteTable {
  const table: RouteTable = new Map();
  for (const r of rows) {
    const modid = Number(r.modid);
    const cmdid = Number(r.cmdid);
    const key = routeKey(modid, cmdid);
    let route = table.get(key);
    if (route === undefined) {
      route = { modid, cmdid, hosts: [] };
      table.set(key, route);
    }
    route.hosts.push({ ip: ipFromColumn(r.serverip), port: Number(r.serverport) });
  }
  for (const route of table.values()) {
    route.hosts.sort(compareHosts);
    // The C++ table has no unique key: the DNS service (a std::set there) serves each host once.
    let w = 0;
    for (let i = 0; i < route.hosts.length; i++) {
      const h = route.hosts[i]!;
      const prev = w > 0 ? route.hosts[w - 1]! : undefined;
      if (prev === undefined || prev.ip !== h.ip || prev.port !== h.port) route.hosts[w++] = h;
    }
    route.hosts.length = w;
  }
  return table;
}
