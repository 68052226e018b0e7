import type { Generated } from "kysely";

/** `RouteData`: one row per host of a route (the C++ Lars table). `serverip` is the IPv4 number, unsigned. */
export interface RouteDataTable {
  id: Generated<number>;
  modid: number;
  cmdid: number;
  serverip: number;
  serverport: number;
}

/** `RouteVersion`: one row, id 1; bumped by every route change. */
export interface RouteVersionTable {
  id: Generated<number>;
  version: number;
}

/** `RouteChange`: which routes changed at which version; cleared by the DNS service once pushed. */
export interface RouteChangeTable {
  id: Generated<number>;
  modid: number;
  cmdid: number;
  version: number;
}

/** `ServerCallStatus`: the last snapshot of one host as seen by one caller (agent). */
export interface ServerCallStatusTable {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  caller: number;
  succ_cnt: number;
  err_cnt: number;
  ts: number;
  overload: string;
}

/** `ServerCallHistory` (not in the C++ schema): per-window sums per host, for the console. */
export interface ServerCallHistoryTable {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  window_start: number;
  succ: number;
  err: number;
  overload: number;
}

/** The Lars database as Kysely sees it. */
export interface LarsDatabase {
  RouteData: RouteDataTable;
  RouteVersion: RouteVersionTable;
  RouteChange: RouteChangeTable;
  ServerCallStatus: ServerCallStatusTable;
  ServerCallHistory: ServerCallHistoryTable;
}

/** The columns each table must have; a present table missing one is a schema error. */
export const REQUIRED_COLUMNS: Readonly<Record<keyof LarsDatabase, readonly string[]>> = {
  RouteData: ["id", "modid", "cmdid", "serverip", "serverport"],
  RouteVersion: ["id", "version"],
  RouteChange: ["id", "modid", "cmdid", "version"],
  ServerCallStatus: ["modid", "cmdid", "ip", "port", "caller", "succ_cnt", "err_cnt", "ts", "overload"],
  ServerCallHistory: ["modid", "cmdid", "ip", "port", "window_start", "succ", "err", "overload"],
};
