import { BufPool } from "@lars/iobuf";
import type { OutputBuf } from "@lars/iobuf";
import { FrameTooLongError, InvalidMsgidError } from "./errors.js";

/** Bytes of a Lars frame header: int32 LE msgid, int32 LE body length. */
export const HEADER_LENGTH = 8;
/** The C++ Lars limit on a body: 65535 − 8 bytes. */
export const DEFAULT_MAX_MESSAGE_LENGTH = 65527;
/** Largest `maxMessageLength` accepted: a whole frame must fit the largest pool class. */
export const MAX_MESSAGE_LENGTH_LIMIT = BufPool.largest - HEADER_LENGTH;

/** A frame body as a sender gives it: bytes, or text sent as UTF-8. */
export type MessageBody = Uint8Array | string;

/** One decoded frame. In handlers `body` is a view valid during the call only. */
export interface Frame {
  readonly msgid: number;
  readonly body: Buffer;
}

/**
 * Check a `maxMessageLength` option and return it (default 65527).
 * @throws RangeError naming `field` when it is not an integer in 0..8 MiB−8.
 */
export function resolveMaxMessageLength(value: number | undefined, field = "maxMessageLength"): number {
  if (value === undefined) return DEFAULT_MAX_MESSAGE_LENGTH;
  if (!Number.isInteger(value) || value < 0 || value > MAX_MESSAGE_LENGTH_LIMIT) {
    throw new RangeError(`${field} must be an integer in 0..${MAX_MESSAGE_LENGTH_LIMIT}, got ${value}`);
  }
  return value;
}

/** Bytes a body takes on the wire. */
export function bodyLength(body: MessageBody): number {
  return typeof body === "string" ? Buffer.byteLength(body, "utf8") : body.length;
}

function checkFrame(msgid: number, length: number, max: number): void {
  if ((msgid | 0) !== msgid) throw new InvalidMsgidError(msgid);
  if (length > max) throw new FrameTooLongError(msgid, length, max);
}

function writeInto(target: Buffer, off: number, msgid: number, body: MessageBody, length: number): void {
  target.writeInt32LE(msgid, off);
  target.writeInt32LE(length, off + 4);
  if (typeof body === "string") target.write(body, off + HEADER_LENGTH, length, "utf8");
  else target.set(body, off + HEADER_LENGTH);
}

/**
 * Encode one frame into a fresh Buffer.
 * @throws FrameTooLongError (`LARS_FRAME_TOO_LONG`) when the body passes `maxMessageLength`.
 * @throws InvalidMsgidError (`LARS_INVALID_MSGID`) when msgid is not an int32.
 */
export function encodeFrame(msgid: number, body: MessageBody, maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH): Buffer {
  const length = bodyLength(body);
  checkFrame(msgid, length, maxMessageLength);
  const out = Buffer.allocUnsafe(HEADER_LENGTH + length);
  writeInto(out, 0, msgid, body, length);
  return out;
}

/**
 * Append one frame to `out`, header and body written in place. Nothing is
 * written when it throws.
 * @returns bytes appended (header + body).
 * @throws FrameTooLongError, InvalidMsgidError as {@link encodeFrame};
 *   BufferFullError (`LARS_BUFFER_FULL`) when `out` would pass its cap.
 */
export function writeFrame(out: OutputBuf, msgid: number, body: MessageBody, maxMessageLength = DEFAULT_MAX_MESSAGE_LENGTH): number {
  const length = bodyLength(body);
  checkFrame(msgid, length, maxMessageLength);
  const total = HEADER_LENGTH + length;
  const off = out.reserve(total);
  writeInto(out.buffer, off, msgid, body, length);
  out.commit(total);
  return total;
}
