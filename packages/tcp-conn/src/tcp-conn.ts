import type { Socket } from "node:net";
import { ConnectionAttributes, FrameDecoder, FrameTooLongError, nextConnectionId, HEADER_LENGTH, SendError, bodyLength, writeFrame } from "@lars/codec";
import type { MessageBody, NetConnection } from "@lars/codec";
import { BufPool, OutputBuf } from "@lars/iobuf";
import type { IoBuf, LarsError } from "@lars/iobuf";
import type { TimerHandle } from "@lars/event-loop";
import type { CloseReason, TcpConnOwner } from "./hooks.js";
import type { ResolvedTcpConnOptions } from "./options.js";



/** Runs once at the end of the callback that sent: one socket write for all its frames. */
function flushTask(conn: TcpConn): void {
  conn.flush();
}

/** Flushes up to this size are copied and written without a completion callback. */
const SMALL_WRITE_BYTES = 2048;

/** The socket's back-reference to its connection: lets shared listeners replace per-connection closures. */
const kConn = Symbol("lars.tcpConn");
type TaggedSocket = Socket & { [kConn]: TcpConn };

/**
 * One framed Lars connection over a connected socket (C++ `tcp_conn`): the
 * only code that touches a TCP socket.
 *
 * Reading: each chunk goes through a {@link FrameDecoder} and every frame to
 * the owner's router; handlers get body views valid during the call. A bad
 * header closes this connection only (`"bad-frame"`).
 *
 * Writing: {@link sendMessage} encodes into the connection's {@link OutputBuf};
 * everything sent by one callback (or in reply to one received chunk) goes
 * to the socket in one write (write coalescing), flushed when that callback
 * or chunk is done. Unsent bytes (OutputBuf + socket queue) are bounded by
 * `outputCap`; past `highWaterMark` the owner is told (backpressure).
 */
export class TcpConn extends ConnectionAttributes implements NetConnection {
  readonly id = nextConnectionId();
  readonly transport = "tcp";
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** Frames and bytes received and sent (accepted for sending). */
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** `performance.now()` of the last bytes received (for idle checks). */
  lastReceiveAt: number;
  /** `performance.now()` when the frame now being gathered began; 0 when none is partial. */
  partialSince = 0;
  /**
   * The object handed to route handlers as `conn`: this connection, or the
   * client that owns it (a TcpClient is itself the NetConnection users see).
   */
  facade: NetConnection = this;

  private readonly socket: Socket;
  private readonly owner: TcpConnOwner;
  private readonly options: ResolvedTcpConnOptions;
  private readonly pool: BufPool;
  // Made on first use, so an idle connection holds only this object and its socket.
  private out: OutputBuf | null = null;
  private decoder: FrameDecoder<TcpConn> | null = null;
  /** Buffers handed to socket.write, oldest first; reverted as each write completes. */
  private inflight: IoBuf[] | null = null;
  private onWritten: (() => void) | null = null;
  private flushQueued = false;
  /** True while this connection's own frames are being dispatched: their replies flush once the chunk is done. */
  private dispatching = false;
  private aboveHighWater = false;
  private closeReason: CloseReason | undefined;
  private closeError: LarsError | Error | undefined;
  private ending = false;
  private finished = false;
  private closeTimer: TimerHandle | undefined;
  // Made only when someone awaits: most connections never pay for them.
  private closedWaiters: (() => void)[] | null = null;
  private drainWaiters: { resolve: () => void; reject: (err: Error) => void }[] | null = null;

  constructor(socket: Socket, owner: TcpConnOwner, options: ResolvedTcpConnOptions) {
    super();
    this.socket = socket;
    this.owner = owner;
    this.options = options;
    this.pool = options.pool ?? BufPool.shared;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.lastReceiveAt = performance.now();
    socket.setNoDelay(true);
    // Half-close: a peer may send its last requests and its FIN together. Node's
    // default (allowHalfOpen false) ends our side as soon as the FIN is read,
    // failing replies not yet written (EPIPE). Stay half-open, and on the FIN
    // close gracefully: flush what was accepted, then end.
    socket.allowHalfOpen = true;
    (socket as TaggedSocket)[kConn] = this;
    /* eslint-disable @typescript-eslint/unbound-method -- shared listeners: EventEmitter calls them with `this` = the socket, as they declare */
    socket.on("data", TcpConn.onSocketData);
    socket.on("end", TcpConn.onSocketEnd);
    socket.on("error", TcpConn.onSocketError);
    socket.on("close", TcpConn.onSocketClose);
    /* eslint-enable @typescript-eslint/unbound-method */
  }

  private static onSocketData(this: TaggedSocket, chunk: Buffer): void {
    this[kConn].onData(chunk);
  }

  private static onSocketEnd(this: TaggedSocket): void {
    this[kConn].closeWith("peer-closed");
  }

  private static onSocketError(this: TaggedSocket, err: NodeJS.ErrnoException): void {
    this[kConn].noteClose(err.code === "ECONNRESET" || err.code === "EPIPE" ? "peer-closed" : "error", err);
  }

  private static onSocketClose(this: TaggedSocket): void {
    this[kConn].finish();
  }

  private static deliver(this: void, msgid: number, body: Buffer, conn: TcpConn): void {
    conn.messagesIn++;
    const err = conn.owner.router.dispatch(msgid, body, conn.facade, conn.reportAsyncRouteError);
    if (err !== undefined) conn.owner.onRouteError(conn, err);
  }

  /**
   * Where the router sends the failure of an async handler (its promise
   * rejected): the owner, exactly like a sync throw. One closure per
   * connection, made once; nothing is allocated per message.
   */
  private readonly reportAsyncRouteError = (err: LarsError): void => {
    // The connection may have closed while the handler awaited: the owner is told all the same.
    this.owner.onRouteError(this, err);
  };

  get closed(): boolean {
    return this.ending || this.finished;
  }

  /** Resolves once the socket is closed and the owner was told (at once when it already is). */
  whenClosed(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => (this.closedWaiters ??= []).push(resolve));
  }

  /**
   * Resolves when what is queued has gone down to the low-water mark (at once when the
   * connection is not past its high-water mark): the awaitable form of `onDrain`. Rejects with
   * `LARS_CONN_CLOSED` when the connection closes first.
   */
  drained(): Promise<void> {
    if (this.finished || this.ending) return Promise.reject(new SendError("LARS_CONN_CLOSED", `connection ${this.id} is closed`));
    if (!this.aboveHighWater) return Promise.resolve();
    return new Promise((resolve, reject) => (this.drainWaiters ??= []).push({ resolve, reject }));
  }

  /** Bytes accepted but not yet written to the kernel. */
  get pendingBytes(): number {
    return (this.out?.length ?? 0) + this.socket.writableLength;
  }

  /** Bytes of a started frame held while waiting for the rest of it. */
  get partialFrameBytes(): number {
    return this.decoder?.buffered ?? 0;
  }

  /**
   * Queue one frame. See {@link NetConnection.sendMessage}: true = accepted,
   * false = accepted past the high-water mark; throws when refused and then
   * nothing was queued: `LARS_CONN_CLOSED`, `LARS_FRAME_TOO_LONG`
   * ({@link FrameTooLongError}: body over `maxMessageLength`; never closes
   * the connection, even with `closeOnOutputFull`) or `LARS_OUTPUT_FULL`.
   */
  sendMessage(data: MessageBody, msgid: number): boolean {
    if (this.ending || this.finished) throw new SendError("LARS_CONN_CLOSED", `connection ${this.id} is closed`);
    const length = bodyLength(data);
    // A body no frame can carry is the caller's mistake, not the peer's: refuse it as such,
    // before the output check, and never close the connection for it.
    if (length > this.options.maxMessageLength) throw new FrameTooLongError(msgid, length, this.options.maxMessageLength);
    const frameBytes = HEADER_LENGTH + length;
    const out = (this.out ??= new OutputBuf({ pool: this.pool, cap: Math.min(this.options.outputCap, BufPool.largest) }));
    const pending = out.length + this.socket.writableLength;
    if (pending + frameBytes > this.options.outputCap) {
      const err = new SendError(
        "LARS_OUTPUT_FULL",
        `connection ${this.id}: output full (${pending} of ${this.options.outputCap} bytes unsent), message msgid ${msgid} refused`,
      );
      if (this.options.closeOnOutputFull) this.closeWith("output-full", err);
      throw err;
    }
    // One pooled buffer holds at most 8 MiB: past that, hand this turn's bytes to the socket now.
    if (out.length + frameBytes > out.cap) this.flush();
    writeFrame(out, msgid, data, this.options.maxMessageLength);
    this.messagesOut++;
    this.bytesOut += frameBytes;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // Replies to this connection's own frames are flushed when the chunk is
      // done (onData). Anything else flushes at the end of the current
      // callback, not a later loop phase: still one write for all it sent,
      // without the extra hop's latency.
      if (!this.dispatching) process.nextTick(flushTask, this);
    }
    if (pending + frameBytes > this.options.highWaterMark) {
      if (!this.aboveHighWater) {
        this.aboveHighWater = true;
        this.owner.onBackpressure(this);
      }
      return false;
    }
    return true;
  }

  /** Write everything queued now, in one socket write. Normally run once at the end of the sending callback. */
  flush(): void {
    this.flushQueued = false;
    const out = this.out;
    if (out === null || out.length === 0) return;
    if (this.finished || this.socket.destroyed) {
      out.clear();
      return;
    }
    if (out.length <= SMALL_WRITE_BYTES && !this.aboveHighWater) {
      // Small writes (ping-pong) go out as a copy with no completion callback:
      // cheaper than tracking the pooled buffer until libuv is done with it.
      const copy = Buffer.allocUnsafe(out.length);
      out.view().copy(copy);
      out.clear();
      this.socket.write(copy);
      return;
    }
    const buf = out.detach()!;
    (this.inflight ??= []).push(buf);
    this.socket.write(buf.view(), (this.onWritten ??= () => this.written()));
  }

  /** Graceful close: flush what was accepted, then end. Idempotent; allowed inside handlers. */
  close(): void {
    this.closeWith("local");
  }

  /**
   * Close with `reason` (the first reason given wins). Output already
   * accepted is flushed; the socket is destroyed if it has not closed within
   * `closeTimeoutMs`. With `immediate`, the socket is destroyed at once.
   */
  closeWith(reason: CloseReason, error?: LarsError | Error, immediate = false): void {
    this.noteClose(reason, error);
    if (this.finished) return;
    if (immediate) {
      this.ending = true;
      this.decoder?.close();
      this.socket.destroy();
      return;
    }
    if (this.ending) return;
    this.ending = true;
    this.decoder?.close();
    this.flush();
    this.socket.end();
    if (this.options.closeTimeoutMs > 0) {
      this.closeTimer = this.owner.loop.runAfter(this.options.closeTimeoutMs, () => this.socket.destroy());
    } else {
      this.socket.destroy();
    }
  }

  /** Stop (false) or resume (true) reading from the peer. */
  setReading(on: boolean): void {
    if (on) this.socket.resume();
    else this.socket.pause();
  }

  private onData(chunk: Buffer): void {
    this.bytesIn += chunk.length;
    this.lastReceiveAt = performance.now();
    if (this.ending || this.finished) return; // closing after a bad frame or close(): ignore the rest
    const decoder = (this.decoder ??= new FrameDecoder({
      maxMessageLength: this.options.maxMessageLength,
      pool: this.pool,
      context: this,
      onFrame: TcpConn.deliver,
    }));
    const framesBefore = this.messagesIn;
    let err: LarsError | null;
    this.dispatching = true;
    try {
      err = decoder.feed(chunk);
    } catch (thrown) {
      // Only a throwing owner hook gets here (the router never throws).
      this.closeWith("error", thrown instanceof Error ? thrown : new Error(String(thrown)));
      return;
    } finally {
      this.dispatching = false;
      if (this.flushQueued) this.flush();
    }
    if (err !== null) this.closeWith("bad-frame", err);
    else if (decoder.buffered === 0) this.partialSince = 0;
    // A frame completed in this chunk means the partial one began here too.
    else if (this.partialSince === 0 || this.messagesIn !== framesBefore) this.partialSince = this.lastReceiveAt;
  }

  private written(): void {
    const buf = this.inflight?.shift();
    if (buf === undefined) return; // reverted already when the socket closed
    this.pool.revert(buf);
    if (this.aboveHighWater && this.pendingBytes <= this.options.lowWaterMark) {
      this.aboveHighWater = false;
      if (!this.finished) this.owner.onDrain(this);
      const waiters = this.drainWaiters;
      // Writes also complete (with an error) while a closing socket is destroyed: those waiters
      // are rejected by finish(), not told the output drained.
      if (waiters !== null && !this.ending && !this.finished) {
        this.drainWaiters = null;
        for (const w of waiters) w.resolve();
      }
    }
  }

  private noteClose(reason: CloseReason, error: LarsError | Error | undefined): void {
    if (this.closeReason === undefined) {
      this.closeReason = reason;
      this.closeError = error;
    }
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.closeTimer?.cancel();
    this.decoder?.close();
    try {
      this.owner.onClosed(this, this.closeReason ?? "peer-closed", this.closeError);
    } finally {
      // The handle is closed: libuv no longer reads these buffers, so they can go back.
      if (this.inflight !== null) for (const buf of this.inflight) this.pool.revert(buf);
      this.inflight = null;
      this.out?.clear();
      this.clearAttrs();
      const drains = this.drainWaiters;
      const closes = this.closedWaiters;
      this.drainWaiters = null;
      this.closedWaiters = null;
      if (drains !== null) {
        const err = new SendError("LARS_CONN_CLOSED", `connection ${this.id} closed before its output drained`);
        for (const w of drains) w.reject(err);
      }
      if (closes !== null) for (const resolve of closes) resolve();
    }
  }
}
