import type { LarsError } from "@lars/iobuf";
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
 * What a {@link TcpConn} tells its owner (a server or a client), given to
 * its constructor. One object per owner, shared by all its connections:
 * the connection calls it with itself as `conn`, so neither a connection
 * nor a frame costs a closure. All calls happen on `loop`; none is made
 * after `onClosed`.
 */
export interface TcpConnEvents {
  /** Runs the flush task and the close timer. */
  readonly loop: EventLoop;
  /**
   * True when the owner checks `lastReceiveAt` (an idle timeout): its
   * connections then read the clock on every chunk they receive. Left
   * unset, they do not (a clock read per chunk is a cost worth saving on
   * the hot path), and `lastReceiveAt` stays the time the connection was made.
   */
  readonly tracksIdle?: boolean;
  /**
   * One whole frame, in order (`body` is valid during the call only). The
   * owner routes it and reports what its router could not deliver; a throw
   * here closes the connection (`"error"`).
   */
  onFrame(msgid: number, body: Buffer, conn: TcpConn): void;
  /** Output passed the high-water mark (once per crossing). */
  onBackpressure(conn: TcpConn): void;
  /** Output fell back to the low-water mark after {@link onBackpressure}. */
  onDrain(conn: TcpConn): void;
  /** Exactly once per connection, before its buffers and attributes go. */
  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void;
}

import type { TcpConn } from "./tcp-conn.js";
