import { dirname, isAbsolute, resolve } from "node:path";
import { LarsConfig } from "@lars/config";
import { LarsError } from "@lars/iobuf";

/**
 * Where a service's database is: the same shape as `StoreOptions` of
 * `@lars/store`, declared here so that a service without a database (the
 * agent) does not install a database driver.
 */
export type ServiceStoreOptions =
  | { readonly type: "sqlite"; readonly path: string; readonly synchronous?: "normal" | "full" }
  | { readonly type: "mysql"; readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string };

/** A config file read for a service, with the folder its relative paths resolve from. */
export interface ServiceConfig {
  /** The parsed file. */
  readonly config: LarsConfig;
  /** The folder of the file: relative paths inside it (the SQLite `path`) resolve from here. */
  readonly dir: string;
}

/**
 * Reads a Lars config file for a service. `path` resolves from `cwd`
 * (default: where the user ran the command, `INIT_CWD` under npm scripts).
 *
 * @throws {ConfigError} when the file is missing, unreadable or malformed.
 */
export function readServiceConfig(path: string, cwd: string = process.env.INIT_CWD ?? process.cwd()): ServiceConfig {
  const file = isAbsolute(path) ? path : resolve(cwd, path);
  return { config: LarsConfig.loadSync(file), dir: dirname(file) };
}

/** A config with no file behind it (a service started without `--config`). */
export function emptyServiceConfig(cwd: string = process.env.INIT_CWD ?? process.cwd()): ServiceConfig {
  return { config: LarsConfig.parse("", "(defaults)"), dir: cwd };
}

/** Default SQLite file name, relative to the config's folder. */
export const DEFAULT_SQLITE_PATH = "lars.db";

/**
 * The store a service uses, from its config: `[store] type = sqlite` (the
 * default) with `path` (default `lars.db` beside the config file) and
 * `synchronous = normal | full` (default normal: see `@lars/store`), or
 * `type = mysql` with the C++ Lars `[mysql]` keys `db_host` (127.0.0.1),
 * `db_port` (3306), `db_user` (root), `db_passwd` (empty), `db_name` (lars).
 *
 * @throws {ConfigError} on an unknown store type or a malformed port.
 */
export function storeOptionsFromConfig(config: LarsConfig, baseDir: string): ServiceStoreOptions {
  const type = config.getString("store", "type", "sqlite").toLowerCase();
  if (type === "sqlite") {
    const path = config.getString("store", "path", DEFAULT_SQLITE_PATH);
    const resolved = path === ":memory:" || isAbsolute(path) ? path : resolve(baseDir, path);
    if (!config.has("store", "synchronous")) return { type: "sqlite", path: resolved };
    const synchronous = config.getString("store", "synchronous").toLowerCase();
    if (synchronous !== "normal" && synchronous !== "full") throw new StoreSynchronousError(config, synchronous);
    return { type: "sqlite", path: resolved, synchronous };
  }
  if (type === "mysql" || type === "mariadb") {
    return {
      type: "mysql",
      host: config.getString("mysql", "db_host", "127.0.0.1"),
      port: config.getNumber("mysql", "db_port", 3306),
      user: config.getString("mysql", "db_user", "root"),
      password: config.getString("mysql", "db_passwd", ""),
      database: config.getString("mysql", "db_name", "lars"),
    };
  }
  throw new StoreTypeError(config, type);
}


/** `[store] type` is neither `sqlite` nor `mysql`. Code `LARS_CONFIG_BAD_VALUE`. */
export class StoreTypeError extends LarsError {
  override readonly name = "StoreTypeError";
  constructor(config: LarsConfig, type: string) {
    super("LARS_CONFIG_BAD_VALUE", `${config.source}: [store] type = ${type}: expected sqlite or mysql`);
  }
}

/** `[store] synchronous` is neither `normal` nor `full`. Code `LARS_CONFIG_BAD_VALUE`. */
export class StoreSynchronousError extends LarsError {
  override readonly name = "StoreSynchronousError";
  constructor(config: LarsConfig, value: string) {
    super("LARS_CONFIG_BAD_VALUE", `${config.source}: [store] synchronous = ${value}: expected normal or full`);
  }
}
