import type Database from "better-sqlite3";
import type { CallStatusRow } from "./call-status.js";
import { ipToColumn } from "./validate.js";

/**
 * The SQLite path of `upsertCallStatus`: one prepared single-row upsert run
 * for every row inside one synchronous transaction. SQLite has no network
 * round trip to amortise, so a multi-row statement only adds the cost of
 * building it; this runs about 5x faster than the Kysely-built one (measured
 * by the reporter bench) and is the same SQL Kysely would send for one row.
 */
export class SqliteCallStatusUpsert {
  readonly #run: (rows: readonly CallStatusRow[]) => void;

  constructor(db: Database.Database) {
    const stmt = db.prepare(
      "INSERT INTO ServerCallStatus (modid, cmdid, ip, port, caller, succ_cnt, err_cnt, ts, overload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) " +
        "ON CONFLICT (modid, cmdid, ip, port, caller) DO UPDATE SET succ_cnt = excluded.succ_cnt, err_cnt = excluded.err_cnt, " +
        "ts = excluded.ts, overload = excluded.overload",
    );
    this.#run = db.transaction((rows: readonly CallStatusRow[]) => {
      for (const r of rows) {
        stmt.run(r.modid, r.cmdid, ipToColumn(r.ip), r.port, ipToColumn(r.caller), r.succCnt, r.errCnt, r.ts, r.overload ? "1" : "0");
      }
    });
  }

  /** Writes `rows` in one transaction (synchronously: call it off the I/O thread). */
  write(rows: readonly CallStatusRow[]): void {
    this.#run(rows);
  }
}
