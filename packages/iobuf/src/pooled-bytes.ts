import { BufPool } from "./buf-pool.js";
import { BufferFullError, IoBufRangeError } from "./errors.js";
import type { IoBuf } from "./io-buf.js";

const EMPTY = Buffer.alloc(0);

/**
 * A growable byte queue backed by one pooled {@link IoBuf}: the shared
 * mechanism of {@link InputBuf} and {@link OutputBuf}.
 *
 * It leases a buffer on the first append, moves to a bigger size class when
 * it must grow, and gives the buffer back to the pool the moment it becomes
 * empty, so an idle holder keeps no memory. It never holds more than `cap`
 * bytes: an append past that throws {@link BufferFullError} and leaves the
 * queue unchanged (likewise a failed pool lease).
 */
export abstract class PooledBytes {
  readonly pool: BufPool;
  /** Most bytes this queue may hold. */
  readonly cap: number;
  protected buf: IoBuf | null = null;

  constructor(options: { pool?: BufPool; cap: number }) {
    const cap = options.cap;
    if (!Number.isSafeInteger(cap) || cap <= 0 || cap > BufPool.largest) {
      throw new RangeError(`cap must be an integer in 1..${BufPool.largest}, got ${cap}`);
    }
    this.pool = options.pool ?? BufPool.shared;
    this.cap = cap;
  }

  /** Bytes held. */
  get length(): number {
    return this.buf === null ? 0 : this.buf.length;
  }

  /** True when a pooled buffer is currently leased (false whenever empty). */
  get holdsBuffer(): boolean {
    return this.buf !== null;
  }

  /** The held bytes as a view into the pooled buffer, valid until the next mutation. */
  view(): Buffer {
    return this.buf === null ? EMPTY : this.buf.view();
  }

  /** Copy `src[start, end)` to the end. @throws BufferFullError past the cap. */
  append(src: Uint8Array, start = 0, end = src.length): void {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || start > end || end > src.length) {
      throw new IoBufRangeError(`append(src, ${start}, ${end}) outside a source of ${src.length} bytes`);
    }
    const n = end - start;
    if (n === 0) return;
    const off = this.reserve(n);
    const buf = this.buf!;
    buf.data.set(start === 0 && end === src.length ? src : src.subarray(start, end), off);
    buf.length += n;
  }

  /**
   * Make room for `n` more bytes and return the offset in {@link buffer}
   * where they go; write them, then {@link commit}. Lets an encoder write a
   * header and body in place with no intermediate copy.
   * @throws BufferFullError when `length + n` passes the cap.
   */
  reserve(n: number): number {
    if (!Number.isInteger(n) || n < 0) throw new IoBufRangeError(`reserve(${n}): not a non-negative integer`);
    const len = this.length;
    if (len + n > this.cap) throw new BufferFullError(n, len, this.cap);
    let buf = this.buf;
    if (buf === null) {
      buf = this.buf = this.pool.alloc(n);
    } else if (buf.writable < n) {
      if (buf.capacity - len >= n) {
        buf.adjust(); // fits once the consumed front is reclaimed: no bigger class needed
      } else {
        const bigger = this.pool.alloc(len + n);
        buf.data.copy(bigger.data, 0, buf.head, buf.head + len);
        bigger.length = len;
        this.pool.revert(buf);
        buf = this.buf = bigger;
      }
    }
    return buf.head + buf.length;
  }

  /** The pooled region that {@link reserve} offsets point into. Only valid right after `reserve`. */
  get buffer(): Buffer {
    if (this.buf === null) throw new IoBufRangeError("no buffer held: call reserve() first");
    return this.buf.data;
  }

  /** Mark `n` bytes written after {@link reserve} as held. */
  commit(n: number): void {
    if (this.buf === null) throw new IoBufRangeError("commit() without reserve()");
    this.buf.commit(n);
    if (this.buf.length === 0) this.release(); // commit(0) on an empty queue: hold nothing
  }

  /** Consume `n` bytes from the front; the buffer goes back to the pool when empty. */
  pop(n: number): void {
    if (this.buf === null) {
      if (n !== 0) throw new IoBufRangeError(`pop(${n}) of an empty buffer`);
      return;
    }
    this.buf.pop(n);
    if (this.buf.length === 0) this.release();
  }

  /** Move the held bytes to the front of the pooled buffer. */
  adjust(): void {
    this.buf?.adjust();
  }

  /** Drop all held bytes and give the buffer back. Idempotent. */
  clear(): void {
    if (this.buf !== null) this.release();
  }

  /**
   * Hand the held bytes' buffer to the caller, who now owns the lease and
   * must `pool.revert()` it (e.g. once a socket write completes). The queue
   * is empty afterwards. Returns null when empty.
   */
  detach(): IoBuf | null {
    const buf = this.buf;
    this.buf = null;
    return buf;
  }

  private release(): void {
    const buf = this.buf!;
    this.buf = null;
    this.pool.revert(buf);
  }
}

/**
 * A connection's read buffer: gathers a frame that straddles socket reads.
 * Its cap is one whole frame (header + largest body).
 */
export class InputBuf extends PooledBytes {}

/**
 * A connection's write buffer: frames sent by one callback are encoded
 * here and flushed with one socket write. Its cap bounds what a peer that
 * never reads can make the sender hold.
 */
export class OutputBuf extends PooledBytes {}
