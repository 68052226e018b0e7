import { resolveMaxMessageLength } from "@lars/codec";
import { InvalidArgumentError } from "@lars/iobuf";
import type { BufPool } from "@lars/iobuf";

/** Default output cap per connection: 4 MiB, as the C++ Lars client's output buffer. */
export const DEFAULT_OUTPUT_CAP = 4 * 1024 * 1024;
/** Default high-water mark: past it `sendMessage` returns false and the backpressure hook fires. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Default time a graceful close waits for output to drain before it destroys the socket. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/** Connection settings shared by servers and clients (all optional). */
export interface TcpConnOptions {
  /** Largest frame body, bytes, both ways. Default 65527 (the C++ limit). */
  maxMessageLength?: number;
  /** Bytes a connection may hold unsent (its OutputBuf plus the socket's queue). Default 4 MiB. */
  outputCap?: number;
  /** Bytes unsent past which `sendMessage` returns false and `onBackpressure` fires. Default 1 MiB. */
  highWaterMark?: number;
  /** Unsent bytes at or under which `onDrain` fires after backpressure. Default highWaterMark / 2. */
  lowWaterMark?: number;
  /** When output hits the cap, close the connection (`"output-full"`) besides refusing the message. Default false. */
  closeOnOutputFull?: boolean;
  /** Graceful close: how long to wait for unsent output before destroying, ms. Default 5000. */
  closeTimeoutMs?: number;
  /** Buffer pool for input gathering and output. Default `BufPool.shared`. */
  pool?: BufPool;
}

/** {@link TcpConnOptions} with every default filled in and checked. */
export interface ResolvedTcpConnOptions {
  readonly maxMessageLength: number;
  readonly outputCap: number;
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly closeOnOutputFull: boolean;
  readonly closeTimeoutMs: number;
  readonly pool: BufPool | undefined;
}

function positiveInt(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(field, `must be a positive integer, got ${String(value)}`);
  return v;
}

/**
 * Merge defaults and validate. Contradictions are refused with a message
 * naming the field (e.g. highWaterMark over outputCap).
 */
export function resolveTcpConnOptions(options: TcpConnOptions = {}): ResolvedTcpConnOptions {
  const maxMessageLength = checkedMaxMessageLength(options.maxMessageLength);
  const outputCap = positiveInt(options.outputCap, DEFAULT_OUTPUT_CAP, "outputCap");
  const highWaterMark = positiveInt(options.highWaterMark, Math.min(DEFAULT_HIGH_WATER_MARK, outputCap), "highWaterMark");
  const lowWaterMark = options.lowWaterMark ?? Math.floor(highWaterMark / 2);
  if (highWaterMark > outputCap) throw new InvalidArgumentError("highWaterMark", `(${highWaterMark}) must not exceed outputCap (${outputCap})`);
  if (!Number.isSafeInteger(lowWaterMark) || lowWaterMark < 0 || lowWaterMark > highWaterMark) {
    throw new InvalidArgumentError("lowWaterMark", `must be an integer in 0..highWaterMark (${highWaterMark}), got ${lowWaterMark}`);
  }
  if (outputCap < maxMessageLength + 8) {
    throw new InvalidArgumentError("outputCap", `(${outputCap}) must hold at least one largest frame (${maxMessageLength + 8} bytes)`);
  }
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (!Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0) {
    throw new InvalidArgumentError("closeTimeoutMs", `must be a non-negative number, got ${closeTimeoutMs}`);
  }
  return {
    maxMessageLength,
    outputCap,
    highWaterMark,
    lowWaterMark,
    closeOnOutputFull: options.closeOnOutputFull ?? false,
    closeTimeoutMs,
    pool: options.pool,
  };
}

/** codec's check (a RangeError), turned into the one bad-option error. */
function checkedMaxMessageLength(value: number | undefined): number {
  try {
    return resolveMaxMessageLength(value);
  } catch (err) {
    throw new InvalidArgumentError("maxMessageLength", err instanceof Error ? err.message.replace(/^maxMessageLength /, "") : String(err));
  }
}
