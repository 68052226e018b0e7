/**
 * One row of `ServerCallStatus`: the latest snapshot of one host
 * (`ip`, `port`) of a route (`modid`, `cmdid`) as seen by one agent
 * (`caller`). The shape of `CallStatusRow` in `@lars/store`; `ip` and
 * `caller` are int32 as on the wire.
 */
export interface CallStatusRow {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  caller: number;
  succCnt: number;
  errCnt: number;
  ts: number;
  overload: boolean;
}

/**
 * One row of the optional call history (`CallHistoryRow` of `@lars/store`):
 * what one host of a route did during the window starting at `windowStart`
 * (unix seconds), summed over the agents that reported it.
 */
export interface CallHistoryRow {
  modid: number;
  cmdid: number;
  ip: number;
  port: number;
  windowStart: number;
  succ: number;
  err: number;
  overload: boolean;
}

/**
 * The part of a `LarsStore` (from `@lars/store`) the reporter writes to. A
 * `LarsStore` fits as is; tests give a fake.
 */
export interface CallStatusStore {
  upsertCallStatus(rows: CallStatusRow[]): Promise<void>;
  insertCallHistory?(rows: CallHistoryRow[]): Promise<void>;
  pruneCallHistory?(olderThan: number): Promise<unknown>;
  close?(): Promise<void>;
}

/** A pino-shaped logger (`logger.warn(obj, msg)`); pino's own fits. */
export interface ReporterLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/**
 * Where a store is (the `StoreOptions` of `@lars/store`, the shape
 * `storeOptionsFromConfig` of `@lars/service` returns).
 */
export type ReporterStoreOptions =
  | { readonly type: "sqlite"; readonly path: string }
  | { readonly type: "mysql"; readonly host: string; readonly port: number; readonly user: string; readonly password: string; readonly database: string }
  | { readonly type: "mysql"; readonly url: string };

/** The store the reporter opens: a `LarsStore` of `@lars/store` fits. */
export interface OpenedCallStatusStore extends CallStatusStore {
  insertCallHistory(rows: CallHistoryRow[]): Promise<void>;
  pruneCallHistory(olderThan: number): Promise<unknown>;
  close(): Promise<void>;
}
