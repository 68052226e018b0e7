import { LarsError } from "@lars/iobuf";

/** A reporter option is out of range (code `LARS_REPORTER_OPTION`). */
export class ReporterOptionError extends LarsError {
  override readonly name = "ReporterOptionError";
  constructor(message: string) {
    super("LARS_REPORTER_OPTION", message);
  }
}

/**
 * A batch could not be written to the store (code `LARS_REPORTER_STORE_WRITE`);
 * `cause` is the store's error. Reported through the logger; the rows go back
 * to the queue (newer snapshots win) and the write is retried with backoff.
 */
export class ReporterStoreWriteError extends LarsError {
  override readonly name = "ReporterStoreWriteError";
  /** Rows in the batch that failed. */
  readonly rows: number;
  constructor(rows: number, cause: unknown) {
    super("LARS_REPORTER_STORE_WRITE", `writing ${rows} call status rows failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.rows = rows;
  }
}
