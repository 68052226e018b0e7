import { LarsError } from "@lars/iobuf";

/** A database error that is not a connection or schema problem (a failed statement). Code `LARS_STORE`. */
export class StoreError extends LarsError {
  override readonly name: string = "StoreError";
  constructor(message: string, options?: { cause?: unknown }, code = "LARS_STORE") {
    super(code, message, options);
  }
}

/**
 * The database cannot be reached (refused, lost, wrong credentials, file
 * cannot be opened). Code `LARS_STORE_UNAVAILABLE`: callers retry with backoff.
 */
export class StoreUnavailableError extends StoreError {
  override readonly name: string = "StoreUnavailableError";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options, "LARS_STORE_UNAVAILABLE");
  }
}

/** The database holds a table of the Lars schema without a column the store needs. Code `LARS_STORE_SCHEMA`. Never fixed silently. */
export class StoreSchemaError extends StoreError {
  override readonly name: string = "StoreSchemaError";
  constructor(message: string) {
    super(message, undefined, "LARS_STORE_SCHEMA");
  }
}

/** Bad arguments to a store method or to `openStore` (ids not int32, port out of range...). Code `LARS_STORE_ARGUMENT`. */
export class StoreArgumentError extends StoreError {
  override readonly name: string = "StoreArgumentError";
  constructor(message: string) {
    super(message, undefined, "LARS_STORE_ARGUMENT");
  }
}

/** The store was used after `close()`. Code `LARS_STORE_CLOSED`. */
export class StoreClosedError extends StoreError {
  override readonly name: string = "StoreClosedError";
  constructor() {
    super("the store is closed", undefined, "LARS_STORE_CLOSED");
  }
}

const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "ENOTFOUND",
  "EHOSTUNREACH",
  "EPIPE",
  "PROTOCOL_CONNECTION_LOST",
  "PROTOCOL_SEQUENCE_TIMEOUT",
  "ER_ACCESS_DENIED_ERROR",
  "ER_BAD_DB_ERROR",
  "ER_CON_COUNT_ERROR",
  "ER_SERVER_SHUTDOWN",
  "ER_DBACCESS_DENIED_ERROR",
  "SQLITE_CANTOPEN",
  "SQLITE_BUSY",
  "SQLITE_READONLY",
  "SQLITE_IOERR",
  "SQLITE_FULL",
]);

/** Wraps a driver error in the store's classes: connection-type failures become {@link StoreUnavailableError}. */
export function wrapDriverError(err: unknown, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = typeof (err as { code?: unknown })?.code === "string" ? (err as { code: string }).code : "";
  const text = err instanceof Error ? err.message : String(err);
  const message = `${doing}: ${code !== "" && !text.includes(code) ? `${code} ` : ""}${text}`;
  const fatal = (err as { fatal?: unknown })?.fatal === true;
  if (UNAVAILABLE_CODES.has(code) || fatal || code.startsWith("SQLITE_IOERR") || code.startsWith("SQLITE_BUSY")) {
    return new StoreUnavailableError(message, { cause: err });
  }
  return new StoreError(message, { cause: err });
}
