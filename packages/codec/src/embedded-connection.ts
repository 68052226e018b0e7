import { BufferFullError, OutputBuf } from "@lars/iobuf";
import type { BufPool, LarsError } from "@lars/iobuf";
import { ConnectionAttributes } from "./connection-attributes.js";
import { nextConnectionId } from "./connection-id.js";
import { SendError } from "./errors.js";
import { HEADER_LENGTH, resolveMaxMessageLength, writeFrame } from "./frame.js";
import type { Frame, MessageBody } from "./frame.js";
import { FrameDecoder } from "./frame-decoder.js";
import { MessageRouter } from "./message-router.js";
import type { NetConnection } from "./net-connection.js";

export interface EmbeddedConnectionOptions {
  /** Routes for frames this connection receives. Default: a new empty router. */
  router?: MessageRouter<NetConnection>;
  maxMessageLength?: number;
  /** Output cap, bytes (default 4 MiB, as on TCP). */
  outputCap?: number;
  pool?: BufPool;
}



/**
 * An in-memory {@link NetConnection} (like Netty's EmbeddedChannel) for
 * unit-testing route handlers without sockets. Inbound bytes go through a
 * real {@link FrameDecoder} and the router; what handlers send is encoded
 * with the real encoder and kept for {@link readOutbound}.
 *
 * Errors the router reports (unknown msgid, handler errors) are collected in
 * {@link errors} rather than thrown, as a transport would report them.
 */
export class EmbeddedConnection extends ConnectionAttributes implements NetConnection {
  readonly id = nextConnectionId();
  readonly transport = "memory";
  readonly remoteAddress = "memory";
  readonly remotePort = undefined;
  readonly router: MessageRouter<NetConnection>;
  readonly maxMessageLength: number;
  /** Errors reported while receiving, in order. */
  readonly errors: LarsError[] = [];
  /** Set by {@link createConnectionPair}: where sent bytes go. */
  peer: EmbeddedConnection | undefined;
  private readonly out: OutputBuf;
  private readonly decoder: FrameDecoder;
  private isClosed = false;
  /** Async handler failures land in `errors`, like sync ones. */
  private readonly reportAsync = (err: LarsError): void => {
    this.errors.push(err);
  };

  constructor(options: EmbeddedConnectionOptions = {}) {
    super();
    this.router = options.router ?? new MessageRouter();
    this.maxMessageLength = resolveMaxMessageLength(options.maxMessageLength);
    this.out = new OutputBuf({ pool: options.pool, cap: options.outputCap ?? 4 * 1024 * 1024 });
    this.decoder = new FrameDecoder({
      maxMessageLength: this.maxMessageLength,
      pool: options.pool,
      onFrame: (msgid, body) => {
        const err = this.router.dispatch(msgid, body, this, this.reportAsync);
        if (err !== undefined) this.errors.push(err);
      },
    });
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** Bytes sent and not yet read or delivered. */
  get pendingOutput(): number {
    return this.out.length;
  }

  sendMessage(data: MessageBody, msgid: number): boolean {
    if (this.isClosed) throw new SendError("LARS_CONN_CLOSED", `connection ${this.id} is closed`);
    try {
      writeFrame(this.out, msgid, data, this.maxMessageLength);
    } catch (err) {
      // The NetConnection contract: a full output is LARS_OUTPUT_FULL, as on TCP.
      if (err instanceof BufferFullError) {
        throw new SendError("LARS_OUTPUT_FULL", `connection ${this.id}: output cap of ${err.cap} bytes reached`, { cause: err });
      }
      throw err;
    }
    return true;
  }

  /** Deliver one frame to this connection's router, through the real decoder. */
  receive(msgid: number, body: MessageBody): void {
    const out = new OutputBuf({ pool: this.out.pool, cap: HEADER_LENGTH + this.maxMessageLength });
    try {
      writeFrame(out, msgid, body, this.maxMessageLength);
      this.receiveBytes(out.view());
    } finally {
      out.clear();
    }
  }

  /**
   * Feed raw bytes, cut anywhere. A bad header is recorded in {@link errors}
   * and closes the connection, as on TCP.
   */
  receiveBytes(chunk: Buffer): void {
    if (this.isClosed) throw new SendError("LARS_CONN_CLOSED", `connection ${this.id} is closed`);
    const err = this.decoder.feed(chunk);
    if (err !== null) {
      this.errors.push(err);
      this.close();
    }
  }

  /** Take every frame sent so far (copies), oldest first. */
  readOutbound(): Frame[] {
    const frames: Frame[] = [];
    const bytes = this.takeOutboundBytes();
    const decoder = new FrameDecoder({
      maxMessageLength: this.maxMessageLength,
      onFrame: (msgid, body) => frames.push({ msgid, body: Buffer.from(body) }),
    });
    decoder.feed(bytes);
    decoder.close();
    return frames;
  }

  /** Take the raw bytes sent so far (a copy). */
  takeOutboundBytes(): Buffer {
    const bytes = Buffer.from(this.out.view());
    this.out.clear();
    return bytes;
  }

  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.decoder.close();
    this.clearAttrs();
  }

  /** Release pooled memory (pending output included). */
  destroy(): void {
    this.close();
    this.out.clear();
  }
}

/** Two {@link EmbeddedConnection}s whose sends reach each other on {@link flush}. */
export interface ConnectionPair {
  readonly a: EmbeddedConnection;
  readonly b: EmbeddedConnection;
  /**
   * Deliver what each side sent to the other, repeatedly, until neither has
   * anything left to deliver or `maxRounds` (default 1000) is reached (a
   * guard against endless ping-pong). Bytes sent to a closed side are
   * dropped, as TCP would. Returns the rounds it took.
   */
  flush(maxRounds?: number): number;
  destroy(): void;
}

/** Move what `from` sent to `to`; dropped when `to` is closed (else it would be retried every round). */
function deliver(from: EmbeddedConnection, to: EmbeddedConnection): void {
  const bytes = from.takeOutboundBytes();
  if (!to.closed) to.receiveBytes(bytes);
}

/** Make a connected in-memory pair, e.g. a client router on `a` and a server router on `b`. */
export function createConnectionPair(a: EmbeddedConnectionOptions = {}, b: EmbeddedConnectionOptions = {}): ConnectionPair {
  const left = new EmbeddedConnection(a);
  const right = new EmbeddedConnection(b);
  left.peer = right;
  right.peer = left;
  return {
    a: left,
    b: right,
    flush(maxRounds = 1000) {
      let rounds = 0;
      while (rounds < maxRounds && (left.pendingOutput > 0 || right.pendingOutput > 0)) {
        rounds++;
        if (left.pendingOutput > 0) deliver(left, right);
        if (right.pendingOutput > 0) deliver(right, left);
        if (left.closed && right.closed) break;
      }
      return rounds;
    },
    destroy() {
      left.destroy();
      right.destroy();
    },
  };
}
