import { LarsError } from "@lars/iobuf";

export { LarsError, isLarsError } from "@lars/iobuf";
export { SendError, HookError } from "@lars/codec";
export { InvalidArgumentError } from "@lars/iobuf";

/**
 * Why a connect attempt failed: refused/unreachable (`LARS_CONNECT_FAILED`),
 * too slow (`LARS_CONNECT_TIMEOUT`, TLS handshake included), or, with the
 * `tls` option, the TCP connection was made but the TLS handshake failed
 * (`LARS_TLS_HANDSHAKE`: untrusted or mismatched server certificate, the
 * server refused us during the handshake; `cause` is the TLS error).
 */
export type ConnectErrorCode = "LARS_CONNECT_FAILED" | "LARS_CONNECT_TIMEOUT" | "LARS_TLS_HANDSHAKE";

/**
 * One failed connect attempt, reported through `onError` and the
 * `"reconnecting"` status; `cause` is the socket error when there was one.
 */
export class ConnectError extends LarsError {
  override readonly name = "ConnectError";
  declare readonly code: ConnectErrorCode;
  constructor(
    code: ConnectErrorCode,
    readonly target: string,
    /** 0 for the first connect, then 1, 2, ... for reconnect attempts since the last success. */
    readonly attempt: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${target}: ${message}`, options);
  }
}

/**
 * An established connection went away (`LARS_CONN_LOST`). The `lastError`
 * given to the backoff `delay` function and to `onGiveUp` after a loss;
 * `reason` is the connection's close reason, `cause` its error if any.
 */
export class ConnectionLostError extends LarsError {
  override readonly name = "ConnectionLostError";
  constructor(
    readonly target: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super("LARS_CONN_LOST", `${target}: connection lost (${reason})`, options);
  }
}

/** The client was closed by `close()` or `loop.stop()` (`LARS_CLIENT_CLOSED`): `ready()` rejects with it, queued messages are dropped with it. */
export class ClientClosedError extends LarsError {
  override readonly name = "ClientClosedError";
  constructor(readonly target: string) {
    super("LARS_CLIENT_CLOSED", `${target}: client closed`);
  }
}

/**
 * The client stopped reconnecting on its own (`LARS_CLIENT_GAVE_UP`):
 * `maxAttempts` reconnect attempts failed, or reconnecting is disabled.
 * `cause` is the last connect or connection error.
 */
export class GaveUpError extends LarsError {
  override readonly name = "GaveUpError";
  constructor(
    readonly target: string,
    /** Reconnect attempts made since the last successful connect. */
    readonly attempts: number,
    lastError: Error,
  ) {
    super("LARS_CLIENT_GAVE_UP", `${target}: gave up after ${attempts} reconnect attempt(s): ${lastError.message}`, {
      cause: lastError,
    });
  }
}

/** Codes of {@link RequestError}. */
export type RequestErrorCode = "LARS_REQUEST_TIMEOUT" | "LARS_REQUEST_ABORTED" | "LARS_CONN_LOST" | "LARS_REQUEST_RESET";

/**
 * A `request()` that got no reply: timed out, aborted through its signal,
 * its connection went away (or the client closed) while it waited, or
 * (`LARS_REQUEST_RESET`) another uncorrelated request on the connection timed
 * out, so the FIFO reply order could no longer be trusted and the client
 * reset the connection rather than risk handing it another caller's reply.
 */
export class RequestError extends LarsError {
  override readonly name = "RequestError";
  declare readonly code: RequestErrorCode;
  constructor(
    code: RequestErrorCode,
    readonly msgid: number,
    readonly replyMsgid: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `request msgid ${msgid} (reply msgid ${replyMsgid}): ${message}`, options);
  }
}

/**
 * Messages queued while disconnected that will never be sent (the client
 * closed or gave up), reported through `onError` when no `onQueuedDropped`
 * hook is given. `cause` says why.
 */
export class QueueDroppedError extends LarsError {
  override readonly name = "QueueDroppedError";
  constructor(
    readonly target: string,
    readonly count: number,
    cause: Error,
  ) {
    super("LARS_QUEUE_DROPPED", `${target}: ${count} queued message(s) dropped unsent: ${cause.message}`, { cause });
  }
}

/**
 * A `request()` refused before it was sent because `maxPendingRequests`
 * requests (reply slots) are already outstanding (`LARS_REQUEST_QUEUE_FULL`).
 */
export class RequestQueueFullError extends LarsError {
  override readonly name = "RequestQueueFullError";
  constructor(
    readonly target: string,
    readonly msgid: number,
    /** The `maxPendingRequests` bound. */
    readonly max: number,
  ) {
    super("LARS_REQUEST_QUEUE_FULL", `${target}: request msgid ${msgid} refused: ${max} requests already pending`);
  }
}

/** Codes of {@link ReadyError}. */
export type ReadyErrorCode = "LARS_READY_TIMEOUT" | "LARS_READY_ABORTED";

/**
 * `ready({ timeoutMs, signal })` gave up waiting: no connection within
 * `timeoutMs` (`cause`: the last connect error, if any), or the signal
 * aborted (`cause`: its reason). The client keeps reconnecting.
 */
export class ReadyError extends LarsError {
  override readonly name = "ReadyError";
  declare readonly code: ReadyErrorCode;
  constructor(code: ReadyErrorCode, readonly target: string, message: string, options?: { cause?: unknown }) {
    super(code, `${target}: ${message}`, options);
  }
}
