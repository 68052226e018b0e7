import type { Socket } from "node:net";
import { ConnectionAttributes, FrameDecoder, FrameTooLongError, nextConnectionId, HEADER_LENGTH, SendError, bodyLength, writeFrame } from "@lars/codec";
import type { MessageBody, NetConnection } from "@lars/codec";
import { BufPool, OutputBuf } from "@lars/iobuf";
import type { IoBuf, LarsError } from "@lars/iobuf";
import type { TimerHandle } from "@lars/event-loop";
import type { CloseReason, TcpConnEvents } from "./hooks.js";
import type { ResolvedTcpConnOptions } from "./options.js";

/** Written behind a write the socket could not finish at once: its callback says that one is done. */
const EMPTY = Buffer.alloc(0);

/** The socket's back-reference to its connection: lets shared listeners replace per-connection closures. */
const kConn = Symbol("lars.tcpConn");
type TaggedSocket = Socket & { [kConn]: TcpConn };

/** Set by TcpConn's static block: the owner-only close (see {@link closeConnection}). */
let closeWith: (conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined, immediate: boolean) => void;

/**
 * One framed Lars connection over a connected socket (C++ `tcp_conn`): the
 * only code that touches a TCP socket.
 *
 * Reading: each chunk goes through a {@link FrameDecoder} and every frame to
 * the owner's `onFrame` (which routes it), as a body view valid during the
 * call. A bad header closes this connection only (`"bad-frame"`).
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
  // Counters: written here only, read through the getters below.
  private framesIn = 0;
  private framesOut = 0;
  private octetsIn = 0;
  private octetsOut = 0;
  private receivedAt: number;
  private partialAt = 0;

  private readonly socket: Socket;
  private readonly events: TcpConnEvents;
  /** `events.tracksIdle`: stamp `receivedAt` on every chunk. */
  private readonly stampReceives: boolean;
  private readonly options: ResolvedTcpConnOptions;
  private readonly pool: BufPool;
  // Made on first use, so an idle connection holds only this object and its socket.
  private out: OutputBuf | null = null;
  private decoder: FrameDecoder<TcpConn> | null = null;
  /**
   * Pooled buffers the socket still holds, oldest first, each with the number of the write
   * with a callback that follows it: reverted once that callback has run (they run in order).
   */
  private inflight: { seq: number; buf: IoBuf }[] | null = null;
  /** Writes made with a callback, and their callbacks run. */
  private writesTracked = 0;
  private writesDone = 0;
  /** The socket's writes complete during the call (plain TCP with room in the kernel): write untracked. */
  private writesSync = true;
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

  static {
    closeWith = (conn, reason, error, immediate) => conn.closeWith(reason, error, immediate);
  }

  /**
   * Take over a connected socket. `events` is the owner's (one object for
   * all its connections); `options` come from `resolveTcpConnOptions`.
   */
  constructor(socket: Socket, events: TcpConnEvents, options: ResolvedTcpConnOptions) {
    super();
    this.socket = socket;
    this.events = events;
    this.stampReceives = events.tracksIdle === true;
    this.options = options;
    this.pool = options.pool ?? BufPool.shared;
    this.remoteAddress = socket.remoteAddress;
    this.remotePort = socket.remotePort;
    this.receivedAt = performance.now();
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

  /** The decoder's frame handler, shared by every connection (the decoder's context is the connection). */
  private static deliver(this: void, msgid: number, body: Buffer, conn: TcpConn): void {
    conn.framesIn++;
    conn.events.onFrame(msgid, body, conn);
  }

  /** Runs once at the end of the callback that sent: one socket write for all its frames. */
  private static flushTask(this: void, conn: TcpConn): void {
    conn.flush();
  }

  /** Frames received. */
  get messagesIn(): number {
    return this.framesIn;
  }

  /** Frames accepted for sending. */
  get messagesOut(): number {
    return this.framesOut;
  }

  /** Bytes received. */
  get bytesIn(): number {
    return this.octetsIn;
  }

  /** Frame bytes (headers included) accepted for sending. */
  get bytesOut(): number {
    return this.octetsOut;
  }

  /**
   * `performance.now()` of the last bytes received, for idle checks: kept
   * only when the owner's events say `tracksIdle` (else the time the
   * connection was made).
   */
  get lastReceiveAt(): number {
    return this.receivedAt;
  }

  /** `performance.now()` when the frame now being gathered began; 0 when none is partial (for slowloris checks). */
  get partialSince(): number {
    return this.partialAt;
  }

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
    this.framesOut++;
    this.octetsOut += frameBytes;
    if (!this.flushQueued) {
      this.flushQueued = true;
      // Replies to this connection's own frames are flushed when the chunk is
      // done (onData). Anything else flushes at the end of the current
      // callback, not a later loop phase: still one write for all it sent,
      // without the extra hop's latency.
      if (!this.dispatching) process.nextTick(TcpConn.flushTask, this);
    }
    if (pending + frameBytes > this.options.highWaterMark) {
      if (!this.aboveHighWater) {
        this.aboveHighWater = true;
        this.events.onBackpressure(this);
      }
      return false;
    }
    return true;
  }

  /** Write everything queued now, in one socket write. Run once at the end of the sending callback or chunk. */
  private flush(): void {
    this.flushQueued = false;
    const out = this.out;
    if (out === null || out.length === 0) return;
    const socket = this.socket;
    if (this.finished || socket.destroyed) {
      out.clear();
      return;
    }
    // The pooled buffer itself goes to the socket: no copy. It stays leased while the stream or
    // libuv may still read it: until the socket's queue is empty (writableLength 0: the kernel has
    // every byte) or a write callback behind it has run.
    const onWritten = (this.onWritten ??= () => this.written());
    const inflight = this.inflight;
    if (this.writesSync && !this.aboveHighWater && (inflight === null || inflight.length === 0)) {
      // The ping-pong case: written with no callback (a callback costs the stream a tick per
      // write), done during the call by libuv's try-write, and the buffer is free at once.
      socket.write(out.view());
      if (socket.writableLength === 0) {
        out.clear();
        return;
      }
      // The stream kept it (the kernel's buffer is full; a TLS socket always does): an empty
      // write with a callback, queued behind it, says when it is done; track writes from now on.
      this.writesSync = false;
      this.track(out.detach()!);
      socket.write(EMPTY, onWritten);
      return;
    }
    // Tracked (behind pending writes, past the high-water mark, or on a socket that keeps
    // writes): written() frees the buffer and watches for the drain.
    const buf = out.detach()!;
    this.track(buf);
    socket.write(buf.view(), onWritten);
    if (socket.writableLength === 0) {
      // Done during the call, with everything before it: all free now, untracked writes again.
      for (const w of this.inflight!) this.pool.revert(w.buf);
      this.inflight!.length = 0;
      this.writesSync = true;
    }
  }

  private track(buf: IoBuf): void {
    (this.inflight ??= []).push({ seq: ++this.writesTracked, buf });
  }

  /** Graceful close: flush what was accepted, then end. Idempotent; allowed inside handlers. */
  close(): void {
    this.closeWith("local");
  }

  /** See {@link closeConnection}. */
  private closeWith(reason: CloseReason, error?: LarsError | Error, immediate = false): void {
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
      this.closeTimer = this.events.loop.runAfter(this.options.closeTimeoutMs, () => this.socket.destroy());
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
    this.octetsIn += chunk.length;
    if (this.stampReceives) this.receivedAt = performance.now();
    if (this.ending || this.finished) return; // closing after a bad frame or close(): ignore the rest
    const decoder = (this.decoder ??= new FrameDecoder({
      maxMessageLength: this.options.maxMessageLength,
      pool: this.pool,
      context: this,
      onFrame: TcpConn.deliver,
    }));
    const framesBefore = this.framesIn;
    let err: LarsError | null;
    this.dispatching = true;
    try {
      err = decoder.feed(chunk);
    } catch (thrown) {
      // Only a throwing owner callback gets here (routers never throw).
      this.closeWith("error", thrown instanceof Error ? thrown : new Error(String(thrown)));
      return;
    } finally {
      this.dispatching = false;
      if (this.flushQueued) this.flush();
    }
    if (err !== null) this.closeWith("bad-frame", err);
    else if (decoder.buffered === 0) this.partialAt = 0;
    // A frame completed in this chunk means the partial one began here too.
    else if (this.partialAt === 0 || this.framesIn !== framesBefore) this.partialAt = this.stampReceives ? this.receivedAt : performance.now();
  }

  /** A write's callback (in write order): its buffer, and those of the writes before it, are free. */
  private written(): void {
    const done = ++this.writesDone;
    const inflight = this.inflight; // null once the socket closed: reverted then
    while (inflight !== null && inflight.length > 0 && inflight[0]!.seq <= done) this.pool.revert(inflight.shift()!.buf);
    if (this.aboveHighWater && this.pendingBytes <= this.options.lowWaterMark) {
      this.aboveHighWater = false;
      if (!this.finished) this.events.onDrain(this);
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
      this.events.onClosed(this, this.closeReason ?? "peer-closed", this.closeError);
    } finally {
      // The handle is closed: libuv no longer reads these buffers, so they can go back.
      if (this.inflight !== null) for (const w of this.inflight) this.pool.revert(w.buf);
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

/**
 * For owners only (a server's shutdown and idle sweep, a client's close):
 * close `conn` with `reason` (the first reason given wins, also against a
 * later peer close). Output already accepted is flushed; the socket is
 * destroyed if it has not closed within `closeTimeoutMs`. With `immediate`,
 * the socket is destroyed at once. Users close with `conn.close()`.
 * @internal
 */
export function closeConnection(conn: TcpConn, reason: CloseReason, error?: LarsError | Error, immediate = false): void {
  closeWith(conn, reason, error, immediate);
}
