import { IoBufRangeError } from "./errors.js";

/**
 * A fixed-capacity byte region with a read head and a length: bytes
 * `[head, head + length)` of `data` are the unread ones, `[head + length,
 * capacity)` is free space at the tail. This is the C++ Lars `io_buf`.
 *
 * Every operation checks its bounds and throws {@link IoBufRangeError}
 * without changing the buffer when they do not hold.
 *
 * An IoBuf leased from a {@link BufPool} belongs to whoever holds the lease
 * until it is given back with `pool.revert(buf)`; after that it must not be
 * touched.
 */
export class IoBuf {
  /** The whole region. Prefer {@link view}; index into it only with `head`/`length`. */
  readonly data: Buffer;
  /** Offset of the first unread byte. */
  head = 0;
  /** Number of unread bytes. */
  length = 0;
  /** @internal the pool that leased this buffer, or null when made directly. */
  owner: object | null = null;
  /** @internal true while leased from `owner`. */
  leased = false;
  /** The last view made, and the range it covers: asked again for the same range, it is returned as is. */
  private lastView: Buffer | null = null;
  private lastViewHead = 0;
  private lastViewLength = 0;

  constructor(capacity: number) {
    if (!Number.isSafeInteger(capacity) || capacity <= 0) {
      throw new IoBufRangeError(`capacity must be a positive integer, got ${capacity}`);
    }
    // allocUnsafeSlow: a region of its own, never a slice of Node's shared 8K pool.
    this.data = Buffer.allocUnsafeSlow(capacity);
  }

  get capacity(): number {
    return this.data.length;
  }

  /** Offset one past the last unread byte: where the next write goes. */
  get tail(): number {
    return this.head + this.length;
  }

  /** Free bytes after the tail. */
  get writable(): number {
    return this.data.length - this.head - this.length;
  }

  /**
   * The unread bytes, as a view into `data` (not a copy). Asked again for
   * the same range, it returns the same view object: a hot connection
   * writing same-sized frames from the same pooled buffer makes no new
   * Buffer per write (a Buffer is cheap, but not free on that path).
   */
  view(): Buffer {
    const v = this.lastView;
    if (v !== null && this.lastViewHead === this.head && this.lastViewLength === this.length) return v;
    this.lastViewHead = this.head;
    this.lastViewLength = this.length;
    return (this.lastView = this.data.subarray(this.head, this.head + this.length));
  }

  /** Consume `n` unread bytes from the front. */
  pop(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length) {
      throw new IoBufRangeError(`pop(${n}) with ${this.length} unread bytes`);
    }
    this.length -= n;
    this.head = this.length === 0 ? 0 : this.head + n;
  }

  /** Mark `n` bytes written at the tail (after writing into `data` at `tail`) as unread. */
  commit(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.writable) {
      throw new IoBufRangeError(`commit(${n}) with ${this.writable} writable bytes`);
    }
    this.length += n;
  }

  /** Copy `src` to the tail. */
  append(src: Uint8Array): void {
    if (src.length > this.writable) {
      throw new IoBufRangeError(`append of ${src.length} bytes with ${this.writable} writable`);
    }
    this.data.set(src, this.head + this.length);
    this.length += src.length;
  }

  /** Move the unread bytes to offset 0, so all free space is at the tail. */
  adjust(): void {
    if (this.head !== 0) {
      if (this.length !== 0) this.data.copyWithin(0, this.head, this.head + this.length);
      this.head = 0;
    }
  }

  /** Forget all unread bytes. */
  clear(): void {
    this.head = 0;
    this.length = 0;
  }

  /** Replace this buffer's contents with a copy of `other`'s unread bytes (at offset 0). */
  copy(other: IoBuf): void {
    if (other.length > this.capacity) {
      throw new IoBufRangeError(`copy of ${other.length} bytes into a buffer of ${this.capacity}`);
    }
    if (other === this) {
      this.adjust();
      return;
    }
    other.data.copy(this.data, 0, other.head, other.head + other.length);
    this.head = 0;
    this.length = other.length;
  }
}
