/**
 * @packageDocumentation Lars route and call-status database: the C++ Lars
 * schema on SQLite (embedded default) or MySQL/MariaDB, one Kysely query layer.
 */
export const PACKAGE_NAME = "@lars/store";
export { openStore, LarsStore } from "./lars-store.js";
export type { StoreHooks, StoreLogger } from "./lars-store.js";
export { StoreError, StoreUnavailableError, StoreSchemaError, StoreArgumentError, StoreClosedError } from "./errors.js";
export { parseMysqlUrl, redactUrl } from "./options.js";
export type { StoreOptions, SqliteStoreOptions, MysqlFieldsStoreOptions, MysqlUrlStoreOptions, MysqlConnection } from "./options.js";
export { routeKey } from "./route-types.js";
export type { HostInfo, Route, RouteTable, RouteChange, RouteChangeEvent, AdminResult, RouteFilter } from "./route-types.js";
export type { CallStatusRow, CallHistoryRow } from "./call-status.js";
export type { SchemaReport } from "./schema.js";
export type { StoreKind } from "./ddl.js";
