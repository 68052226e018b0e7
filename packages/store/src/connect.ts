import Database from "better-sqlite3";
import { Kysely, MysqlDialect, SqliteDialect, sql } from "kysely";
import { createPool } from "mysql2";
import type { StoreKind } from "./ddl.js";
import { StoreUnavailableError, wrapDriverError } from "./errors.js";
import { mysqlConnection, type StoreOptions } from "./options.js";
import type { LarsDatabase } from "./tables.js";

/** An open connection (pool) and what it speaks. */
export interface Connected {
  readonly db: Kysely<LarsDatabase>;
  readonly kind: StoreKind;
  /** Where it is, safe to log (no password). */
  readonly where: string;
  /** The SQLite handle under Kysely, for the prepared-statement fast paths. */
  readonly sqlite?: Database.Database;
}

/** Opens SQLite or a MySQL pool and checks it answers; failures are {@link StoreUnavailableError}. */
export async function connect(options: StoreOptions): Promise<Connected> {
  return options.type === "sqlite" ? connectSqlite(options.path, options.busyTimeoutMs ?? 5000, options.synchronous ?? "normal") : connectMysql(options);
}

function connectSqlite(path: string, busyTimeoutMs: number, synchronous: "normal" | "full"): Connected {
  let database: Database.Database;
  try {
    database = new Database(path, { timeout: busyTimeoutMs });
    // WAL lets the DNS poll while another process (lars-route, a reporter) writes;
    // NORMAL keeps commits durable across a process crash at a fraction of FULL's fsyncs (FULL: across power loss too).
    database.pragma("journal_mode = WAL");
    database.pragma(synchronous === "full" ? "synchronous = FULL" : "synchronous = NORMAL");
  } catch (err) {
    throw new StoreUnavailableError(`cannot open SQLite database ${path}: ${(err as Error).message}`, { cause: err });
  }
  return { db: new Kysely<LarsDatabase>({ dialect: new SqliteDialect({ database }) }), kind: "sqlite", where: `sqlite:${path}`, sqlite: database };
}

async function connectMysql(options: Extract<StoreOptions, { type: "mysql" }>): Promise<Connected> {
  const c = mysqlConnection(options);
  const where = `mysql://${c.user}@${c.host}:${c.port}/${c.database}`;
  const pool = createPool({
    host: c.host,
    port: c.port,
    user: c.user,
    password: c.password,
    database: c.database,
    connectionLimit: c.connectionLimit,
    connectTimeout: c.connectTimeoutMs,
    supportBigNumbers: true,
    // Queued requests while every connection is busy are bounded: past this, mysql2 fails fast.
    queueLimit: 10_000,
    enableKeepAlive: true,
  });
  const db = new Kysely<LarsDatabase>({ dialect: new MysqlDialect({ pool }) });
  try {
    await sql`SELECT 1`.execute(db);
  } catch (err) {
    await db.destroy().catch(() => undefined);
    const wrapped = wrapDriverError(err, `cannot reach ${where}`);
    throw wrapped instanceof StoreUnavailableError ? wrapped : new StoreUnavailableError(wrapped.message, { cause: err });
  }
  return { db, kind: "mysql", where };
}
