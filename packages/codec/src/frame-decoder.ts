import { InputBuf } from "@lars/iobuf";
import type { BufPool } from "@lars/iobuf";
import { DecoderClosedError, FrameNegativeLengthError, FrameTooLongError } from "./errors.js";
import type { FrameError } from "./errors.js";
import { HEADER_LENGTH, resolveMaxMessageLength } from "./frame.js";
import type { Frame } from "./frame.js";

/**
 * Receives each whole frame. `body` is a view valid only during the call:
 * copy it (`Buffer.from(body)`) to keep it. `context` is the decoder's
 * `context` option, so one shared function can serve every connection
 * (no closure per connection).
 */
export type FrameHandler<C = undefined> = (msgid: number, body: Buffer, context: C) => void;

export interface FrameDecoderOptions<C = undefined> {
  onFrame: FrameHandler<C>;
  /** Passed to every `onFrame` call as its third argument. */
  context?: C;
  /** Largest body accepted, bytes. Default 65527 (the C++ limit). */
  maxMessageLength?: number;
  /** Pool for gathering frames that straddle chunks. Default `BufPool.shared`. */
  pool?: BufPool;
}

const OPEN = 0;
const FAILED = 1;
const CLOSED = 2;

/**
 * Streaming Lars frame decoder: a pure state machine, no socket.
 *
 * Feed it chunks cut anywhere; it calls `onFrame(msgid, body)` once per whole
 * frame, in order. A frame lying wholly inside one chunk is handed over as a
 * view of that chunk (no copy); only a frame straddling chunks is gathered
 * in a pooled {@link InputBuf}, which never holds more than one frame. Each
 * header is checked as soon as its 8 bytes are in, before waiting for the
 * body: a negative or too long length fails the decoder at once.
 *
 * After a failure, or {@link close}, `feed` throws {@link DecoderClosedError}.
 */
export class FrameDecoder<C = undefined> {
  readonly maxMessageLength: number;
  private readonly onFrame: FrameHandler<C>;
  private readonly context: C;
  private readonly pending: InputBuf;
  /** Header + body bytes of the frame being gathered in `pending`; 0 while its header is incomplete. */
  private pendingFrameLength = 0;
  private state = OPEN;
  private dispatching = false;

  constructor(options: FrameDecoderOptions<C>) {
    this.onFrame = options.onFrame;
    this.context = options.context as C;
    this.maxMessageLength = resolveMaxMessageLength(options.maxMessageLength);
    this.pending = new InputBuf({ pool: options.pool, cap: HEADER_LENGTH + this.maxMessageLength });
  }

  /** Bytes of an incomplete frame held between chunks. */
  get buffered(): number {
    return this.pending.length;
  }

  /** False once failed or closed. */
  get open(): boolean {
    return this.state === OPEN;
  }

  /**
   * Decode `chunk`, calling `onFrame` for each whole frame. Returns the error
   * of an invalid header (the decoder is then failed and keeps nothing), or
   * null. If `onFrame` throws, the decoder fails and the exception propagates.
   * Calling {@link close} from inside `onFrame` stops the rest of the chunk.
   * @throws DecoderClosedError when failed or closed.
   */
  feed(chunk: Buffer): FrameError | null {
    if (this.state !== OPEN) throw new DecoderClosedError(this.state === FAILED ? "failed" : "closed");
    this.dispatching = true;
    try {
      return this.decode(chunk);
    } catch (err) {
      this.state = FAILED;
      throw err;
    } finally {
      this.dispatching = false;
      if (this.state !== OPEN) this.pending.clear();
    }
  }

  /** Stop decoding and give the gathering buffer back. Idempotent; allowed inside `onFrame`. */
  close(): void {
    if (this.state === OPEN) this.state = CLOSED;
    if (!this.dispatching) this.pending.clear();
  }

  private decode(chunk: Buffer): FrameError | null {
    const end = chunk.length;
    let off = 0;
    if (this.pending.length > 0) {
      off = this.gather(chunk);
      if (off < 0) return this.failWith(chunk, -off - 1);
      if (this.state !== OPEN) return null;
    }
    const max = this.maxMessageLength;
    while (end - off >= HEADER_LENGTH) {
      const length = chunk.readInt32LE(off + 4);
      if (length < 0 || length > max) return this.failWith(chunk, off);
      const bodyStart = off + HEADER_LENGTH;
      const bodyEnd = bodyStart + length;
      if (bodyEnd > end) break;
      const msgid = chunk.readInt32LE(off);
      off = bodyEnd;
      this.onFrame(msgid, chunk.subarray(bodyStart, bodyEnd), this.context);
      if (this.state !== OPEN) return null;
    }
    if (off < end) {
      if (end - off >= HEADER_LENGTH) {
        // Header known: size the buffer for the whole frame once, instead of growing it.
        this.pendingFrameLength = HEADER_LENGTH + chunk.readInt32LE(off + 4);
        this.pending.reserve(this.pendingFrameLength);
      } else {
        this.pendingFrameLength = 0;
      }
      this.pending.append(chunk, off, end);
    }
    return null;
  }

  /**
   * Continue the frame held in `pending` with the front of `chunk`. Returns
   * bytes of `chunk` used, or `-(offset + 1)` of a bad header within the
   * gathered bytes (always offset 0 of `pending`).
   */
  private gather(chunk: Buffer): number {
    const p = this.pending;
    let off = 0;
    if (this.pendingFrameLength === 0) {
      off = Math.min(HEADER_LENGTH - p.length, chunk.length);
      p.append(chunk, 0, off);
      if (p.length < HEADER_LENGTH) return off;
      const length = p.view().readInt32LE(4);
      if (length < 0 || length > this.maxMessageLength) return -1;
      this.pendingFrameLength = HEADER_LENGTH + length;
      if (length > 0) p.reserve(length);
    }
    const take = Math.min(this.pendingFrameLength - p.length, chunk.length - off);
    p.append(chunk, off, off + take);
    off += take;
    if (p.length === this.pendingFrameLength) {
      const frame = p.view();
      this.pendingFrameLength = 0;
      try {
        this.onFrame(frame.readInt32LE(0), frame.subarray(HEADER_LENGTH), this.context);
      } finally {
        if (this.state === OPEN) p.clear();
      }
    }
    return off;
  }

  /** Build the error of the header at `off` (in `pending` when gathering, else in `chunk`), and fail. */
  private failWith(chunk: Buffer, off: number): FrameError {
    const header = this.pending.length >= HEADER_LENGTH ? this.pending.view() : chunk;
    const at = header === chunk ? off : 0;
    const msgid = header.readInt32LE(at);
    const length = header.readInt32LE(at + 4);
    this.state = FAILED;
    return length < 0 ? new FrameNegativeLengthError(msgid, length) : new FrameTooLongError(msgid, length, this.maxMessageLength);
  }
}

/**
 * Decode a whole buffer holding complete frames into copies (for tests and
 * tools; the streaming {@link FrameDecoder} is the hot path).
 * @throws the FrameError of a bad header; Error when bytes are left over.
 */
export function decodeFrames(bytes: Buffer, maxMessageLength?: number): Frame[] {
  const frames: Frame[] = [];
  const decoder = new FrameDecoder({
    maxMessageLength,
    onFrame: (msgid, body) => frames.push({ msgid, body: Buffer.from(body) }),
  });
  try {
    const err = decoder.feed(bytes);
    if (err !== null) throw err;
    if (decoder.buffered !== 0) throw new RangeError(`${decoder.buffered} bytes of an incomplete frame left over`);
    return frames;
  } finally {
    decoder.close();
  }
}
