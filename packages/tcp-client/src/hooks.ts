import type { HandlerReturn, MessageBody } from "@lars/codec";
import type { CloseReason } from "@lars/tcp-conn";
import type { TcpClient } from "./tcp-client.js";

/**
 * Where a client is, as a tagged union on `state` (read `client.status`, be
 * told through `onStatusChange`, await `client.ready()`):
 *
 * - `"connecting"`: the first connect attempt is in flight;
 * - `"connected"`: a connection is up and `sendMessage` writes to it;
 * - `"reconnecting"`: the connection was lost or a connect attempt failed;
 *   attempt number `attempt` (1, 2, ...) starts `delayMs` after this status
 *   was set (the status stays the same while that attempt connects);
 *   `lastError` says what failed;
 * - `"closed"`: terminal. `reason: "closed"` after `close()` / `loop.stop()`;
 *   `reason: "gave-up"` once reconnect attempts ran out (`error` is a
 *   `GaveUpError` whose `cause` is the last failure).
 */
export type ClientStatus =
  | { readonly state: "connecting" }
  | { readonly state: "connected" }
  | { readonly state: "reconnecting"; readonly attempt: number; readonly delayMs: number; readonly lastError: Error }
  | { readonly state: "closed"; readonly reason: "closed" | "gave-up"; readonly error: Error };

/** A message that was queued while disconnected (its body is the client's own copy). */
export interface QueuedMessage {
  readonly msgid: number;
  readonly body: MessageBody;
}

/**
 * Every callback a {@link TcpClient} makes, as `on*` fields of its options.
 * All run on the client's loop, one at a time. Calling the client from a
 * hook is allowed (`sendMessage`, `request`, `close`, attributes). A hook
 * may be `async`. A hook that throws, or whose promise rejects, does not
 * break the client and never crashes the process: the error is reported as
 * a `HookError` through `onError` (or the logger; with neither, it is
 * counted in `stats().unreportedErrors`).
 */
export interface TcpClientHooks {
  /**
   * A connection is up (the first one and after each reconnect), status
   * `"connected"`. Runs before messages queued while disconnected are sent,
   * so a hello/login sent here goes first.
   */
  onConnStart?: (client: TcpClient) => HandlerReturn;
  /**
   * An established connection closed: exactly once per connection, with the
   * close reason of `@lars/tcp-conn` (`"peer-closed"`, `"bad-frame"`,
   * `"shutdown"` for `close()`/`loop.stop()`, `"error"`, ...) and the error
   * if any. Requests pending on it were rejected just before. A failed
   * connect attempt is not a close: it goes to `onError` and the status.
   */
  onConnClose?: (client: TcpClient, reason: CloseReason, error: Error | undefined) => HandlerReturn;
  /** Every status change, after `client.status` was updated. */
  onStatusChange?: (client: TcpClient, status: ClientStatus) => HandlerReturn;
  /**
   * Terminal: reconnect attempts ran out (or reconnecting is disabled and the
   * connection was lost or the first connect failed). `lastError` is the
   * last failure; `attempts` the reconnect attempts made. Status is then
   * `"closed"` with reason `"gave-up"`. Not called for `close()`.
   */
  onGiveUp?: (client: TcpClient, lastError: Error, attempts: number) => HandlerReturn;
  /** Unsent output passed `highWaterMark` (once per crossing): `sendMessage` now returns false. */
  onBackpressure?: (client: TcpClient) => HandlerReturn;
  /** Unsent output fell back to `lowWaterMark` after `onBackpressure`. Not called if the connection closes first. */
  onDrain?: (client: TcpClient) => HandlerReturn;
  /**
   * Messages queued while disconnected that will never be sent, oldest
   * first: the client closed, gave up, or the new connection refused them.
   * `error` says why. Without this hook they are reported as a
   * `QueueDroppedError` through `onError`.
   */
  onQueuedDropped?: (client: TcpClient, messages: readonly QueuedMessage[], error: Error) => HandlerReturn;
  /**
   * Failures the client may not throw: a connect attempt failed
   * (`ConnectError`), a frame had no route or its handler threw
   * (`LARS_ROUTE_UNKNOWN`, `LARS_HANDLER_ERROR`), a hook threw (`HookError`),
   * queued messages dropped without `onQueuedDropped`. Default: the
   * `logger` option's `warn`, else the loop's logger, else nothing.
   */
  onError?: (client: TcpClient, err: Error) => HandlerReturn;
}
