import type { TcpConn } from "@lars/tcp-conn";
import type { Connector } from "./connector.js";
import type { RequestMatcher } from "./request-matcher.js";
import type { SendQueue } from "./send-queue.js";

/** A snapshot of `client.stats()`. Totals cover every connection the client had. */
export interface TcpClientStats {
  /** Connect attempts started (first connect and reconnects). */
  readonly connectAttempts: number;
  /** Connections established. */
  readonly connections: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  /** Bytes accepted and not yet written to the kernel, current connection. */
  readonly pendingBytes: number;
  /** Bytes of a started frame held while waiting for the rest of it, current connection. */
  readonly partialFrameBytes: number;
  /** Messages and frame bytes waiting in the disconnected queue. */
  readonly queuedMessages: number;
  readonly queuedBytes: number;
  /** Requests waiting for a reply. */
  readonly pendingRequests: number;
  /** Reply slots held: waiting requests plus aborted FIFO requests whose reply has not come. */
  readonly requestSlots: number;
  /** Replies that arrived for an aborted FIFO request and were discarded. */
  readonly discardedReplies: number;
  /** Times an uncorrelated request timed out and the client reset the connection to restore the reply order. */
  readonly requestResets: number;
  /** Errors that had neither an `onError` hook nor a logger to go to. */
  readonly unreportedErrors: number;
}

/** Counters of a client's finished connections, plus the live view in {@link snapshot}. */
export class ClientCounters {
  connections = 0;
  private messagesIn = 0;
  private messagesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;

  /** Fold in a connection that closed. */
  add(conn: TcpConn): void {
    this.messagesIn += conn.messagesIn;
    this.messagesOut += conn.messagesOut;
    this.bytesIn += conn.bytesIn;
    this.bytesOut += conn.bytesOut;
  }

  snapshot(conn: TcpConn | undefined, connector: Connector, queue: SendQueue | null, matcher: RequestMatcher, unreported: number): TcpClientStats {
    return {
      connectAttempts: connector.attemptsStarted,
      connections: this.connections,
      messagesIn: this.messagesIn + (conn?.messagesIn ?? 0),
      messagesOut: this.messagesOut + (conn?.messagesOut ?? 0),
      bytesIn: this.bytesIn + (conn?.bytesIn ?? 0),
      bytesOut: this.bytesOut + (conn?.bytesOut ?? 0),
      pendingBytes: conn?.pendingBytes ?? 0,
      partialFrameBytes: conn?.partialFrameBytes ?? 0,
      queuedMessages: queue?.length ?? 0,
      queuedBytes: queue?.bytes ?? 0,
      pendingRequests: matcher.pending,
      requestSlots: matcher.slotCount,
      discardedReplies: matcher.discardedReplies,
      requestResets: matcher.resets,
      unreportedErrors: unreported,
    };
  }
}
