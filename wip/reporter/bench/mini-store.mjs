// A stand-in for @lars/store's openStore, used by reporter-bench.mjs only when
// @lars/store is not built yet: the ServerCallStatus upsert of the contract
// (one multi-row INSERT ... ON CONFLICT DO UPDATE per call, one transaction)
// on better-sqlite3, SQLite only. The table says which store was used.
import Database from "better-sqlite3";

export async function openStore(options) {
  if (options.type !== "sqlite") throw new Error("mini-store: sqlite only");
  const db = new Database(options.path);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.exec(`CREATE TABLE IF NOT EXISTS ServerCallStatus (
    modid INTEGER NOT NULL, cmdid INTEGER NOT NULL, ip INTEGER NOT NULL, port INTEGER NOT NULL, caller INTEGER NOT NULL,
    succ_cnt INTEGER NOT NULL, err_cnt INTEGER NOT NULL, ts INTEGER NOT NULL, overload INTEGER NOT NULL,
    PRIMARY KEY (modid, cmdid, ip, port, caller))`);
  const stmts = new Map();
  const stmt = (n) => {
    let s = stmts.get(n);
    if (!s) {
      s = db.prepare(
        `INSERT INTO ServerCallStatus (modid, cmdid, ip, port, caller, succ_cnt, err_cnt, ts, overload) VALUES ${Array(n).fill("(?,?,?,?,?,?,?,?,?)").join(",")}
         ON CONFLICT (modid, cmdid, ip, port, caller) DO UPDATE SET succ_cnt = excluded.succ_cnt, err_cnt = excluded.err_cnt, ts = excluded.ts, overload = excluded.overload`,
      );
      stmts.set(n, s);
    }
    return s;
  };
  const upsert = db.transaction((rows) => {
    const args = [];
    for (const r of rows) args.push(r.modid, r.cmdid, r.ip >>> 0, r.port, r.caller >>> 0, r.succCnt, r.errCnt, r.ts, r.overload ? 1 : 0);
    stmt(rows.length).run(args);
  });
  return {
    kind: "sqlite",
    async upsertCallStatus(rows) {
      if (rows.length > 0) upsert(rows);
    },
    async listCallStatus(filter = {}) {
      const rows = db
        .prepare("SELECT * FROM ServerCallStatus WHERE (? IS NULL OR modid = ?) ORDER BY modid, cmdid, ip, port, caller")
        .all(filter.modid ?? null, filter.modid ?? null);
      return rows.map((r) => ({ modid: r.modid, cmdid: r.cmdid, ip: r.ip | 0, port: r.port, caller: r.caller | 0, succCnt: r.succ_cnt, errCnt: r.err_cnt, ts: r.ts, overload: r.overload === 1 }));
    },
    async insertCallHistory() {},
    async pruneCallHistory() {},
    async close() {
      db.close();
    },
  };
}
