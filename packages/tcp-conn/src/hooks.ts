import type { LarsError } from "@lars/iobuf";
import type { MessageRouter, NetConnection } from "@lars/codec";
import type { EventLoop } from "@lars/event-loop";

/**
 * Why a connection closed, as given to `onConnClose`:
 * - `"peer-closed"`: the peer ended or reset the connection;
 * - `"bad-frame"`: the peer sent an invalid frame header (the error says which);
 * - `"shutdown"`: the local server or client is closing (`close()` / `loop.stop()`);
 * - `"local"`: `conn.close()` was called;
 * - `"error"`: a socket error (the error is given);
 * - `"idle"`: nothing received for `idleTimeoutMs`;
 * - `"frame-timeout"`: a started frame was not completed within `frameTimeoutMs`;
 * - `"output-full"`: the peer did not read and `closeOnOutputFull` is set.
 */
export type CloseReason = "peer-closed" | "bad-frame" | "shutdown" | "local" | "error" | "idle" | "frame-timeout" | "output-full";

/**
 * What a {@link TcpConn} tells its owner (a server or a client). All calls
 * happen on the owner's loop; none is made after `onClosed`.
 */
export interface TcpConnOwner {
  readonly loop: EventLoop;
  readonly router: MessageRouter<NetConnection>;
  /** A frame the router could not deliver (unknown msgid, handler error). The connection stays open. */
  onRouteError(conn: TcpConn, err: LarsError): void;
  /** Output passed the high-water mark (once per crossing). */
  onBackpressure(conn: TcpConn): void;
  /** Output fell back to the low-water mark after {@link onBackpressure}. */
  onDrain(conn: TcpConn): void;
  /** Exactly once per connection, before its buffers and attributes go. */
  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void;
}

import type { TcpConn } from "./tcp-conn.js";
