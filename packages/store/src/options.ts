import { StoreArgumentError } from "./errors.js";

/** An embedded SQLite file, created on first open. */
export interface SqliteStoreOptions {
  readonly type: "sqlite";
  /** The database file (`:memory:` for a private in-memory database). */
  readonly path: string;
  /** How long a write waits for another process's lock, ms. Default 5000. */
  readonly busyTimeoutMs?: number;
  /**
   * SQLite's `synchronous` in WAL mode. `"normal"` (default): a commit survives a crash of the process, and
   * the last commits may be lost if the machine loses power (fsync at checkpoints only). `"full"`: every
   * commit is fsynced, durable as an InnoDB commit; costly for many small commits, nearly free for the
   * reporter's batches (one fsync per batch).
   */
  readonly synchronous?: "normal" | "full";
}

/** A MySQL / MariaDB server, given as fields. */
export interface MysqlFieldsStoreOptions {
  readonly type: "mysql";
  readonly host: string;
  readonly port?: number;
  readonly user: string;
  readonly password?: string;
  readonly database: string;
  /** Pooled connections. Default 4. */
  readonly connectionLimit?: number;
  /** Connect timeout, ms. Default 5000. */
  readonly connectTimeoutMs?: number;
}

/** A MySQL / MariaDB server, given as `mysql://user:password@host:port/database`. */
export interface MysqlUrlStoreOptions {
  readonly type: "mysql";
  readonly url: string;
  readonly connectionLimit?: number;
  readonly connectTimeoutMs?: number;
}

/** Where the store lives. */
export type StoreOptions = SqliteStoreOptions | MysqlFieldsStoreOptions | MysqlUrlStoreOptions;

/** MySQL connection settings after defaults and URL parsing. */
export interface MysqlConnection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  readonly database: string;
  readonly connectionLimit: number;
  readonly connectTimeoutMs: number;
}

/** Parses `mysql://user:password@host:port/database` (port 3306 and empty password by default). */
export function parseMysqlUrl(url: string): Omit<MysqlConnection, "connectionLimit" | "connectTimeoutMs"> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new StoreArgumentError(`not a mysql URL: ${JSON.stringify(redactUrl(url))}`);
  }
  if (parsed.protocol !== "mysql:" && parsed.protocol !== "mariadb:") {
    throw new StoreArgumentError(`a mysql URL starts with mysql://, got ${parsed.protocol}//`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ""));
  if (database === "") throw new StoreArgumentError("the mysql URL names no database (mysql://user@host:port/DATABASE)");
  return {
    host: parsed.hostname === "" ? "127.0.0.1" : parsed.hostname,
    port: parsed.port === "" ? 3306 : Number(parsed.port),
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    database,
  };
}

/** The URL with its password replaced by `***`, safe to log. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
}

/** Settles defaults of MySQL options. */
export function mysqlConnection(options: MysqlFieldsStoreOptions | MysqlUrlStoreOptions): MysqlConnection {
  const base = "url" in options
    ? parseMysqlUrl(options.url)
    : {
        host: options.host,
        port: options.port ?? 3306,
        user: options.user,
        password: options.password ?? "",
        database: options.database,
      };
  const connectionLimit = options.connectionLimit ?? 4;
  if (!Number.isInteger(connectionLimit) || connectionLimit < 1) {
    throw new StoreArgumentError(`connectionLimit must be a positive integer, got ${connectionLimit}`);
  }
  if (!Number.isInteger(base.port) || base.port < 1 || base.port > 65535) {
    throw new StoreArgumentError(`mysql port must be 1..65535, got ${base.port}`);
  }
  return { ...base, connectionLimit, connectTimeoutMs: options.connectTimeoutMs ?? 5000 };
}
