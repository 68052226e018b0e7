import { sql, type Kysely } from "kysely";
import type { StoreKind } from "./ddl.js";
import type { LarsDatabase } from "./tables.js";
import { ipFromColumn, ipToColumn } from "./validate.js";

/** One `ServerCallStatus` row: the last snapshot of host (ip, port) of a route as seen by `caller`. `ip`, `caller` are int32 IPv4 numbers. */
export interface CallStatusRow {
  readonly modid: number;
  readonly cmdid: number;
  readonly ip: number;
  readonly port: number;
  readonly caller: number;
  readonly succCnt: number;
  readonly errCnt: number;
  /** Unix seconds, as the agent reported it. */
  readonly ts: number;
  readonly overload: boolean;
}

/** One `ServerCallHistory` row: what every agent reported for a host during the window starting at `windowStart` (unix s). */
export interface CallHistoryRow {
  readonly modid: number;
  readonly cmdid: number;
  readonly ip: number;
  readonly port: number;
  readonly windowStart: number;
  readonly succ: number;
  readonly err: number;
  readonly overload: boolean;
}

/** Rows per statement: 9 columns × 1000 stays far under SQLite's 32766 bound variables and MySQL's packet size. */
export const UPSERT_CHUNK = 1000;

/**
 * Multi-row upsert into `ServerCallStatus`: succ_cnt, err_cnt, ts and
 * overload overwritten (the C++ semantics: a snapshot per caller). The
 * overload column holds '1' or '0', as the C++ reporter writes it.
 */
export async function upsertCallStatusRows(db: Kysely<LarsDatabase>, kind: StoreKind, rows: readonly CallStatusRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const values = rows.slice(i, i + UPSERT_CHUNK).map((r) => ({
      modid: r.modid,
      cmdid: r.cmdid,
      ip: ipToColumn(r.ip),
      port: r.port,
      caller: ipToColumn(r.caller),
      succ_cnt: r.succCnt,
      err_cnt: r.errCnt,
      ts: r.ts,
      overload: r.overload ? "1" : "0",
    }));
    const insert = db.insertInto("ServerCallStatus").values(values);
    if (kind === "mysql") {
      await insert
        .onDuplicateKeyUpdate({
          succ_cnt: sql`VALUES(succ_cnt)`,
          err_cnt: sql`VALUES(err_cnt)`,
          ts: sql`VALUES(ts)`,
          overload: sql`VALUES(overload)`,
        })
        .execute();
    } else {
      await insert
        .onConflict((oc) =>
          oc.columns(["modid", "cmdid", "ip", "port", "caller"]).doUpdateSet((eb) => ({
            succ_cnt: eb.ref("excluded.succ_cnt"),
            err_cnt: eb.ref("excluded.err_cnt"),
            ts: eb.ref("excluded.ts"),
            overload: eb.ref("excluded.overload"),
          })),
        )
        .execute();
    }
  }
}

/**
 * Adds history rows: a row already present for the same host and window is
 * summed into (two reporters sharing a database each write their part).
 */
export async function insertCallHistoryRows(db: Kysely<LarsDatabase>, kind: StoreKind, rows: readonly CallHistoryRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += UPSERT_CHUNK) {
    const values = rows.slice(i, i + UPSERT_CHUNK).map((r) => ({
      modid: r.modid,
      cmdid: r.cmdid,
      ip: ipToColumn(r.ip),
      port: r.port,
      window_start: r.windowStart,
      succ: r.succ,
      err: r.err,
      overload: r.overload ? 1 : 0,
    }));
    const insert = db.insertInto("ServerCallHistory").values(values);
    if (kind === "mysql") {
      await insert
        .onDuplicateKeyUpdate({
          succ: sql`succ + VALUES(succ)`,
          err: sql`err + VALUES(err)`,
          overload: sql`GREATEST(overload, VALUES(overload))`,
        })
        .execute();
    } else {
      await insert
        .onConflict((oc) =>
          oc.columns(["modid", "cmdid", "ip", "port", "window_start"]).doUpdateSet({
            succ: sql`succ + excluded.succ`,
            err: sql`err + excluded.err`,
            overload: sql`max(overload, excluded.overload)`,
          }),
        )
        .execute();
    }
  }
}

/** Maps a `ServerCallStatus` row read back. */
export function callStatusFromRow(r: LarsDatabase["ServerCallStatus"]): CallStatusRow {
  return {
    modid: Number(r.modid),
    cmdid: Number(r.cmdid),
    ip: ipFromColumn(r.ip),
    port: Number(r.port),
    caller: ipFromColumn(r.caller),
    succCnt: Number(r.succ_cnt),
    errCnt: Number(r.err_cnt),
    ts: Number(r.ts),
    overload: r.overload === "1" || r.overload === "Y" || r.overload === "y",
  };
}

/** Maps a `ServerCallHistory` row read back. */
export function callHistoryFromRow(r: LarsDatabase["ServerCallHistory"]): CallHistoryRow {
  return {
    modid: Number(r.modid),
    cmdid: Number(r.cmdid),
    ip: ipFromColumn(r.ip),
    port: Number(r.port),
    windowStart: Number(r.window_start),
    succ: Number(r.succ),
    err: Number(r.err),
    overload: Number(r.overload) !== 0,
  };
}
