import type { Kysely, Transaction } from "kysely";
import type { AdminResult, HostInfo } from "./route-types.js";
import type { LarsDatabase } from "./tables.js";
import { ipFromColumn, ipToColumn } from "./validate.js";

/** Thrown inside an admin transaction to roll it back when the route is already as asked. */
class Unchanged extends Error {
  constructor() {
    super("unchanged");
  }
}

type Trx = Transaction<LarsDatabase>;

/**
 * Runs one route admin change the way the C++ writers do, in one
 * transaction: `RouteVersion` bumped first (its row lock serializes every
 * writer, on MySQL across hosts; on SQLite it takes the write lock before
 * anything is read, so two processes cannot both read and then collide),
 * then `RouteData` edited by `edit`, then a `RouteChange` row. `edit`
 * returns false when nothing needs changing: the transaction is rolled back
 * and nothing is written.
 *
 * The version is `max(now in unix seconds, previous + 1)`: the C++ web
 * console writes the unix time, which two changes in one second would share
 * and the DNS poller would then miss; this stays a timestamp-like number
 * that always moves forward.
 */
export async function runAdminChange(
  db: Kysely<LarsDatabase>,
  modid: number,
  cmdid: number,
  edit: (trx: Trx, hosts: HostInfo[]) => Promise<boolean>,
  nowSeconds: number,
): Promise<AdminResult> {
  try {
    return await db.transaction().execute(async (trx) => {
      await trx
        .updateTable("RouteVersion")
        .set((eb) => ({
          version: eb.case().when(eb.ref("version"), "<", nowSeconds).then(nowSeconds).else(eb(eb.ref("version"), "+", 1)).end(),
        }))
        .where("id", "=", 1)
        .execute();
      const row = await trx.selectFrom("RouteVersion").select("version").where("id", "=", 1).executeTakeFirstOrThrow();
      const version = Number(row.version);
      const hosts = await hostsOf(trx, modid, cmdid);
      if (!(await edit(trx, hosts))) throw new Unchanged();
      await trx.insertInto("RouteChange").values({ modid, cmdid, version }).execute();
      return { version, changed: true };
    });
  } catch (err) {
    if (!(err instanceof Unchanged)) throw err;
    const row = await db.selectFrom("RouteVersion").select("version").where("id", "=", 1).executeTakeFirst();
    return { version: row === undefined ? 0 : Number(row.version), changed: false };
  }
}

/** The hosts of one route as stored (duplicates kept: the C++ schema has no unique key). */
export async function hostsOf(db: Kysely<LarsDatabase> | Trx, modid: number, cmdid: number): Promise<HostInfo[]> {
  const rows = await db
    .selectFrom("RouteData")
    .select(["serverip", "serverport"])
    .where("modid", "=", modid)
    .where("cmdid", "=", cmdid)
    .execute();
  return rows.map((r) => ({ ip: ipFromColumn(r.serverip), port: Number(r.serverport) }));
}

/** Inserts RouteData rows for `hosts`. */
export async function insertHosts(trx: Trx, modid: number, cmdid: number, hosts: readonly HostInfo[]): Promise<void> {
  const CHUNK = 500;
  for (let i = 0; i < hosts.length; i += CHUNK) {
    const values = hosts.slice(i, i + CHUNK).map((h) => ({ modid, cmdid, serverip: ipToColumn(h.ip), serverport: h.port }));
    await trx.insertInto("RouteData").values(values).execute();
  }
}

/** Deletes the RouteData rows of one host of a route. */
export async function deleteHost(trx: Trx, modid: number, cmdid: number, host: HostInfo): Promise<void> {
  await trx
    .deleteFrom("RouteData")
    .where("modid", "=", modid)
    .where("cmdid", "=", cmdid)
    .where("serverip", "=", ipToColumn(host.ip))
    .where("serverport", "=", host.port)
    .execute();
}

/** Deletes every RouteData row of a route. */
export async function deleteRouteRows(trx: Trx, modid: number, cmdid: number): Promise<void> {
  await trx.deleteFrom("RouteData").where("modid", "=", modid).where("cmdid", "=", cmdid).execute();
}

/** `hosts` without duplicates, sorted by unsigned address then port. */
export function uniqueSortedHosts(hosts: readonly HostInfo[]): HostInfo[] {
  const seen = new Map<string, HostInfo>();
  for (const h of hosts) seen.set(`${h.ip}:${h.port}`, { ip: h.ip, port: h.port });
  return [...seen.values()].sort(compareHosts);
}

/** Orders hosts by unsigned address, then port. */
export function compareHosts(a: HostInfo, b: HostInfo): number {
  return (a.ip >>> 0) - (b.ip >>> 0) || a.port - b.port;
}

/** True when the two host lists hold the same set. */
export function sameHostSet(a: readonly HostInfo[], b: readonly HostInfo[]): boolean {
  const x = uniqueSortedHosts(a);
  const y = uniqueSortedHosts(b);
  return x.length === y.length && x.every((h, i) => h.ip === y[i]!.ip && h.port === y[i]!.port);
}
