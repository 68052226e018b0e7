import { LarsError } from "@lars/iobuf";

/** A getHost/getRoute got no reply within its timeout (code `LARS_TIMEOUT`). */
export class LarsTimeoutError extends LarsError {
  override readonly name = "LarsTimeoutError";
  constructor(message: string) {
    super("LARS_TIMEOUT", message);
  }
}

/** A call was aborted by its AbortSignal or by `close()` (code `LARS_ABORTED`). */
export class LarsAbortedError extends LarsError {
  override readonly name = "LarsAbortedError";
  constructor(message: string) {
    super("LARS_ABORTED", message);
  }
}

/** Too many calls are waiting for replies (code `LARS_PENDING_FULL`). */
export class LarsPendingFullError extends LarsError {
  override readonly name = "LarsPendingFullError";
  constructor(limit: number) {
    super("LARS_PENDING_FULL", `more than ${limit} calls pending`);
  }
}
