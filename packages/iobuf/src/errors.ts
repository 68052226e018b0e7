import { LarsError } from "./lars-error.js";

/** An IoBuf operation outside the buffer's bounds; the buffer is unchanged. */
export class IoBufRangeError extends LarsError {
  override readonly name = "IoBufRangeError";
  constructor(message: string) {
    super("LARS_IOBUF_RANGE", message);
  }
}

/** A pool request larger than the largest size class (8 MiB). */
export class BufTooLargeError extends LarsError {
  override readonly name = "BufTooLargeError";
  constructor(readonly requested: number, readonly largest: number) {
    super("LARS_BUF_TOO_LARGE", `buffer of ${requested} bytes requested; the largest size class is ${largest} bytes`);
  }
}

/** An allocation that would take the pool past its total memory cap. */
export class PoolExhaustedError extends LarsError {
  override readonly name = "PoolExhaustedError";
  constructor(readonly requested: number, readonly inUseBytes: number, readonly capBytes: number) {
    super(
      "LARS_POOL_EXHAUSTED",
      `pool cap reached: ${requested} more bytes requested with ${inUseBytes} of ${capBytes} bytes in use`,
    );
  }
}

/** `revert()` of a buffer that is not currently leased from this pool. */
export class BufRevertError extends LarsError {
  override readonly name = "BufRevertError";
  constructor(code: "LARS_BUF_DOUBLE_REVERT" | "LARS_BUF_FOREIGN", message: string) {
    super(code, message);
  }
}

/** An append that would take an InputBuf/OutputBuf past its cap; the buffer is unchanged. */
export class BufferFullError extends LarsError {
  override readonly name = "BufferFullError";
  constructor(readonly requested: number, readonly length: number, readonly cap: number) {
    super("LARS_BUFFER_FULL", `append of ${requested} bytes refused: ${length} of ${cap} bytes already held`);
  }
}

/** Leases still outstanding when a tracking pool was asked to prove there are none. */
export class BufLeakError extends LarsError {
  override readonly name = "BufLeakError";
  constructor(readonly leaks: readonly LeakReport[]) {
    super(
      "LARS_BUF_LEAK",
      `${leaks.length} pooled buffer(s) never returned:\n` +
        leaks.map((l) => `- ${l.capacity} bytes, leased at:\n${l.stack}`).join("\n"),
    );
  }
}

/** One buffer that a tracking pool leased and never got back. */
export interface LeakReport {
  readonly capacity: number;
  readonly stack: string;
}

/**
 * A programmer mistake in an argument or option (a negative or non-finite
 * delay, a non-function callback, a port out of range, ...). Thrown at once
 * by the call or constructor that got it; `field` names the offending
 * argument or option. Every Lars package throws this one class for bad
 * arguments (code `LARS_INVALID_ARGUMENT`).
 */
export class InvalidArgumentError extends LarsError {
  override readonly name = "InvalidArgumentError";
  /** The argument or option that was refused, e.g. `"delayMs"` or `"options.stopDeadlineMs"`. */
  readonly field: string;
  constructor(field: string, message: string) {
    super("LARS_INVALID_ARGUMENT", `${field}: ${message}`);
    this.field = field;
  }
}
