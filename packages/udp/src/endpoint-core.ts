import { HEADER_LENGTH, SendError, encodeFrame, nextConnectionId, runHook } from "@lars/codec";
import type { HookError, MessageBody, NetConnection } from "@lars/codec";
import type { LarsError, Logger } from "@lars/iobuf";
import { datagramDropReason, datagramError, datagramMsgid } from "./datagram.js";
import { UdpSendFailedError, UdpSocketError } from "./errors.js";
import type { DatagramDropReason } from "./errors.js";
import type { ResolvedUdpOptions } from "./options.js";

/** A snapshot returned by `stats()` of a server or client. Counters start at 0 and only grow. */
export interface UdpStats {
  /** Datagrams received, dropped ones included. */
  readonly datagramsIn: number;
  /** Bytes of those datagrams (headers included). */
  readonly bytesIn: number;
  /** Valid frames handed to the router (= datagramsIn − droppedTotal, except while closing). */
  readonly messagesIn: number;
  /** Datagrams accepted by `sendMessage` and handed to the socket. */
  readonly datagramsOut: number;
  /** Bytes of those datagrams (headers included). */
  readonly bytesOut: number;
  /** Dropped datagrams by reason. */
  readonly dropped: Readonly<Record<DatagramDropReason, number>>;
  /** Sum of {@link dropped}. */
  readonly droppedTotal: number;
  /** `sendMessage` calls refused with a thrown error (too long, bad msgid, send queue full, closed). */
  readonly sendsRefused: number;
  /** Accepted datagrams the OS then failed to send (`LARS_UDP_SEND_FAILED`). */
  readonly sendErrors: number;
  /** Frames the router could not deliver (unknown msgid, handler error). */
  readonly routeErrors: number;
  /** Socket errors while serving (`LARS_UDP_SOCKET_ERROR`). */
  readonly socketErrors: number;
  /** Hooks that threw or whose promise rejected (each reported as a `HookError`, never rethrown). */
  readonly hookErrors: number;
  /** Bytes waiting in the socket's send queue now. */
  readonly sendQueueBytes: number;
}

/** Ids shared with every other NetConnection of the process (codec's allocator). */
export function nextUdpId(): number {
  return nextConnectionId();
}

/**
 * Everything a UDP server and client share that needs no socket: counters,
 * checking and routing a received datagram, encoding and admitting a sent
 * one, backpressure, and reporting through hooks or the logger. The server
 * and client files do the socket calls around it.
 */
export class EndpointCore {
  private datagramsIn = 0;
  private bytesIn = 0;
  private messagesIn = 0;
  private datagramsOut = 0;
  private bytesOut = 0;
  private sendsRefused = 0;
  private sendErrors = 0;
  private routeErrors = 0;
  private socketErrors = 0;
  private hookErrors = 0;
  private readonly dropped: Record<DatagramDropReason, number> = {
    short: 0,
    "negative length": 0,
    "too long": 0,
    "length mismatch": 0,
  };
  private aboveHighWater = false;

  constructor(
    readonly options: ResolvedUdpOptions,
    readonly logger: Logger | undefined,
    /** What `onBackpressure`/`onDrain` receive: the client itself; undefined on a server (one socket, many peers). */
    readonly conn?: NetConnection,
  ) {}

  /**
   * Count a received datagram and check it. A bad one is counted, reported
   * and refused (false); the caller then builds a conn and calls {@link dispatch}.
   */
  accept(datagram: Buffer, address: string, port: number): boolean {
    this.datagramsIn++;
    this.bytesIn += datagram.length;
    const max = this.options.maxMessageLength;
    const reason = datagramDropReason(datagram, max);
    if (reason === null) return true;
    this.dropped[reason]++;
    const { onDatagramDropped, onError } = this.options.hooks;
    if (onDatagramDropped === undefined && onError === undefined && this.logger === undefined) return false;
    const err = datagramError(datagram, reason, max, address, port);
    if (onDatagramDropped !== undefined) runHook("onDatagramDropped", onDatagramDropped, this.onHookError, err);
    else if (onError !== undefined) runHook("onError", onError, this.onOnErrorFailed, err, undefined);
    else this.logger?.warn({ err, code: err.code, reason, address, port, length: datagram.length }, err.message);
    return false;
  }

  /** Route an accepted datagram to its handler; `conn` is what the handler sees. */
  dispatch(datagram: Buffer, conn: NetConnection): void {
    this.messagesIn++;
    const err = this.options.router.dispatch(datagramMsgid(datagram), datagram.subarray(HEADER_LENGTH), conn, this.onRouteError);
    if (err !== undefined) this.onRouteError(err, conn);
  }

  /** A frame the router could not deliver, now (returned by dispatch) or later (an async handler rejected). */
  private readonly onRouteError = (err: LarsError, conn: NetConnection): void => {
    this.routeErrors++;
    this.report(err, conn);
  };

  /** Count an accepted datagram that was consumed without the router (a `request()` reply). */
  delivered(): void {
    this.messagesIn++;
  }

  /** Count a received datagram that is ignored because the socket is closing. */
  ignore(datagram: Buffer): void {
    this.datagramsIn++;
    this.bytesIn += datagram.length;
  }

  /** Count a send refused before encoding (not connected, closed) and return the error to throw. */
  refuse(err: LarsError): LarsError {
    this.sendsRefused++;
    return err;
  }

  /**
   * Encode one datagram for the socket, or throw why it is refused (nothing
   * is sent then): `LARS_FRAME_TOO_LONG`, `LARS_INVALID_MSGID`, or
   * `LARS_OUTPUT_FULL` when the send queue (`queuedBytes` now) would pass its cap.
   */
  encode(data: MessageBody, msgid: number, queuedBytes: number): Buffer {
    let frame: Buffer;
    try {
      frame = encodeFrame(msgid, data, this.options.maxMessageLength);
    } catch (err) {
      this.sendsRefused++;
      throw err;
    }
    if (queuedBytes + frame.length > this.options.sendQueueCap) {
      this.sendsRefused++;
      throw new SendError(
        "LARS_OUTPUT_FULL",
        `udp send queue full (${queuedBytes} of ${this.options.sendQueueCap} bytes waiting), message msgid ${msgid} refused`,
      );
    }
    this.datagramsOut++;
    this.bytesOut += frame.length;
    return frame;
  }

  /** After handing a datagram to the socket: false (and `onBackpressure` once) past the high-water mark. */
  afterSend(queuedBytes: number): boolean {
    if (queuedBytes <= this.options.highWaterMark) return true;
    if (!this.aboveHighWater) {
      this.aboveHighWater = true;
      const { onBackpressure } = this.options.hooks;
      if (onBackpressure !== undefined) runHook("onBackpressure", onBackpressure, this.onHookError, this.conn);
    }
    return false;
  }

  /** A send completed (`err` set when the OS failed it); `queuedBytes` is what still waits. */
  sent(err: Error | null | undefined, queuedBytes: number): void {
    if (err) {
      this.sendErrors++;
      this.report(new UdpSendFailedError(err), undefined);
    }
    if (this.aboveHighWater && queuedBytes <= this.options.lowWaterMark) {
      this.aboveHighWater = false;
      const { onDrain } = this.options.hooks;
      if (onDrain !== undefined) runHook("onDrain", onDrain, this.onHookError, this.conn);
    }
  }

  /** A socket error while serving. */
  socketError(err: Error): void {
    this.socketErrors++;
    this.report(new UdpSocketError("receive", err), undefined);
  }

  stats(sendQueueBytes: number): UdpStats {
    const dropped = { ...this.dropped };
    return {
      datagramsIn: this.datagramsIn,
      bytesIn: this.bytesIn,
      messagesIn: this.messagesIn,
      datagramsOut: this.datagramsOut,
      bytesOut: this.bytesOut,
      dropped,
      droppedTotal: dropped.short + dropped["negative length"] + dropped["too long"] + dropped["length mismatch"],
      sendsRefused: this.sendsRefused,
      sendErrors: this.sendErrors,
      routeErrors: this.routeErrors,
      socketErrors: this.socketErrors,
      hookErrors: this.hookErrors,
      sendQueueBytes,
    };
  }

  /** `onError`, else the logger (warn for an unknown msgid, error otherwise), else nothing. */
  report(err: LarsError, conn: NetConnection | undefined): void {
    const { onError } = this.options.hooks;
    if (onError !== undefined) {
      runHook("onError", onError, this.onOnErrorFailed, err, conn);
      return;
    }
    const logger = this.logger;
    if (logger === undefined) return;
    const meta = { err, code: err.code, remoteAddress: conn?.remoteAddress, remotePort: conn?.remotePort };
    if (err.code === "LARS_ROUTE_UNKNOWN") logger.warn(meta, err.message);
    else logger.error(meta, err.message);
  }

  /**
   * The one hook-failure policy (codec's `runHook`): a hook other than
   * `onError` that threw or rejected is counted and reported like any other
   * error (`onError`, else the logger). Never rethrown, never crashes.
   */
  private readonly onHookError = (err: HookError): void => {
    this.hookErrors++;
    this.report(err, undefined);
  };

  /** `onError` itself failed: counted and logged (reporting it to `onError` again could loop). */
  private readonly onOnErrorFailed = (err: HookError): void => {
    this.hookErrors++;
    this.logger?.error({ err: err.cause, code: err.code, hook: err.hook, kind: err.kind }, `udp: ${err.message}`);
  };
}
