import { LarsError } from "@lars/iobuf";

/** A getHost/getRoute got no reply within its timeout (code `LARS_API_TIMEOUT`). */
export class LarsApiTimeoutError extends LarsError {
  override readonly name = "LarsApiTimeoutError";
  constructor(
    /** What was asked: `"getHost"` or `"getRoute"`. */
    readonly op: string,
    readonly modid: number,
    readonly cmdid: number,
    readonly timeoutMs: number,
  ) {
    super("LARS_API_TIMEOUT", `${op}(${modid}, ${cmdid}): no reply from the agent in ${timeoutMs} ms (agent down, or a datagram lost)`);
  }
}

/** The client was closed: before the call, or while it waited (code `LARS_API_CLOSED`). */
export class LarsApiClosedError extends LarsError {
  override readonly name = "LarsApiClosedError";
  constructor() {
    super("LARS_API_CLOSED", "the LarsClient is closed");
  }
}

/** A call's AbortSignal fired (code `LARS_API_ABORTED`); `cause` is the signal's reason. */
export class LarsApiAbortedError extends LarsError {
  override readonly name = "LarsApiAbortedError";
  constructor(reason?: unknown) {
    super("LARS_API_ABORTED", "the call was aborted", reason === undefined ? undefined : { cause: reason });
  }
}

/** `maxPending` calls already wait for replies; nothing was sent (code `LARS_API_PENDING_FULL`). */
export class LarsApiPendingFullError extends LarsError {
  override readonly name = "LarsApiPendingFullError";
  constructor(readonly limit: number) {
    super("LARS_API_PENDING_FULL", `${limit} calls already wait for the agent's replies (maxPending)`);
  }
}

/** A bad argument or option: an id that is not an int32, a port out of range, ... (code `LARS_API_INVALID_ARGUMENT`). */
export class LarsApiInvalidArgumentError extends LarsError {
  override readonly name = "LarsApiInvalidArgumentError";
  constructor(message: string) {
    super("LARS_API_INVALID_ARGUMENT", message);
  }
}

/** The UDP socket refused to send a request (code `LARS_API_SEND`); `cause` is the socket error. */
export class LarsApiSendError extends LarsError {
  override readonly name = "LarsApiSendError";
  constructor(cause: unknown) {
    super("LARS_API_SEND", `sending to the agent failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
