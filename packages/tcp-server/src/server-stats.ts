import type { CloseReason, TcpConn } from "@lars/tcp-conn";

/** Counters of one server (in multi-worker mode, the sum over its workers). */
export interface TcpServerStats {
  /** Connections open now. */
  current: number;
  /** Connections accepted and served since start. */
  total: number;
  /** Connections closed at accept because `maxConn` was reached. */
  refused: number;
  messagesIn: number;
  messagesOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Connections closed for an invalid frame header. */
  decodeErrors: number;
  /** Frames not delivered: unknown msgid, handler threw, payload decode failed. */
  routeErrors: number;
  /** TLS handshakes that failed (plaintext to a TLS port, untrusted certificate, timeout). */
  tlsErrors: number;
  /** Closed connections by reason. */
  closes: Partial<Record<CloseReason, number>>;
}

/** Counters of connections that are gone, plus a way to add the live ones. */
export class StatsAccumulator {
  total = 0;
  refused = 0;
  decodeErrors = 0;
  routeErrors = 0;
  tlsErrors = 0;
  private messagesIn = 0;
  private messagesOut = 0;
  private bytesIn = 0;
  private bytesOut = 0;
  private readonly closes: Partial<Record<CloseReason, number>> = {};

  /** Fold a closing connection's counters in. */
  retire(conn: TcpConn, reason: CloseReason): void {
    this.messagesIn += conn.messagesIn;
    this.messagesOut += conn.messagesOut;
    this.bytesIn += conn.bytesIn;
    this.bytesOut += conn.bytesOut;
    this.closes[reason] = (this.closes[reason] ?? 0) + 1;
    if (reason === "bad-frame") this.decodeErrors++;
  }

  snapshot(live: Iterable<TcpConn>, current: number): TcpServerStats {
    const s: TcpServerStats = {
      current,
      total: this.total,
      refused: this.refused,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      decodeErrors: this.decodeErrors,
      routeErrors: this.routeErrors,
      tlsErrors: this.tlsErrors,
      closes: { ...this.closes },
    };
    for (const c of live) {
      s.messagesIn += c.messagesIn;
      s.messagesOut += c.messagesOut;
      s.bytesIn += c.bytesIn;
      s.bytesOut += c.bytesOut;
    }
    return s;
  }
}

/** Add `b` into `a` (for aggregating workers). */
export function addStats(a: TcpServerStats, b: TcpServerStats): TcpServerStats {
  const closes = { ...a.closes };
  for (const [k, v] of Object.entries(b.closes) as [CloseReason, number][]) closes[k] = (closes[k] ?? 0) + v;
  return {
    current: a.current + b.current,
    total: a.total + b.total,
    refused: a.refused + b.refused,
    messagesIn: a.messagesIn + b.messagesIn,
    messagesOut: a.messagesOut + b.messagesOut,
    bytesIn: a.bytesIn + b.bytesIn,
    bytesOut: a.bytesOut + b.bytesOut,
    decodeErrors: a.decodeErrors + b.decodeErrors,
    routeErrors: a.routeErrors + b.routeErrors,
    tlsErrors: a.tlsErrors + b.tlsErrors,
    closes,
  };
}
