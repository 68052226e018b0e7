import { HEADER_LENGTH, encodeFrame } from "@lars/codec";
import type { Frame, MessageBody } from "@lars/codec";
import { UdpDatagramError } from "./errors.js";
import type { DatagramDropReason } from "./errors.js";

/**
 * Largest UDP payload over IPv4: 65535 (IP total length) − 20 (IP header) −
 * 8 (UDP header). A bigger `send` fails with `EMSGSIZE`.
 */
export const UDP4_MAX_PAYLOAD = 65507;
/** Largest UDP payload over IPv6 without jumbograms: 65535 (payload length) − 8 (UDP header). */
export const UDP6_MAX_PAYLOAD = 65527;
/** Largest body that fits one IPv4 datagram with its frame header: 65507 − 8. */
export const UDP4_MAX_MESSAGE_LENGTH = UDP4_MAX_PAYLOAD - HEADER_LENGTH;
/** Largest body that fits one IPv6 datagram with its frame header: 65527 − 8. */
export const UDP6_MAX_MESSAGE_LENGTH = UDP6_MAX_PAYLOAD - HEADER_LENGTH;

/** int32 little-endian at `off`, read without allocating (works on any Uint8Array). */
function int32At(b: Uint8Array, off: number): number {
  return (b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24)) | 0;
}

/**
 * Check that `datagram` is exactly one valid Lars frame: at least 8 bytes,
 * msglen in 0..`maxMessageLength`, and exactly `8 + msglen` bytes long.
 * Pure and allocation-free; the checks run in the order of
 * {@link DATAGRAM_DROP_REASONS}, so a header announcing a body over the limit
 * is `"too long"` whatever the datagram's size.
 * @returns null for a valid datagram, else why it must be dropped.
 */
export function datagramDropReason(datagram: Uint8Array, maxMessageLength: number): DatagramDropReason | null {
  if (datagram.length < HEADER_LENGTH) return "short";
  const msglen = int32At(datagram, 4);
  if (msglen < 0) return "negative length";
  if (msglen > maxMessageLength) return "too long";
  if (datagram.length !== HEADER_LENGTH + msglen) return "length mismatch";
  return null;
}

/**
 * Build the {@link UdpDatagramError} for a datagram refused with `reason`
 * (only on the drop path; the valid path allocates nothing).
 */
export function datagramError(
  datagram: Uint8Array,
  reason: DatagramDropReason,
  maxMessageLength: number,
  address?: string,
  port?: number,
): UdpDatagramError {
  const whole = datagram.length >= HEADER_LENGTH;
  return new UdpDatagramError(reason, {
    length: datagram.length,
    msgid: whole ? int32At(datagram, 0) : undefined,
    msglen: whole ? int32At(datagram, 4) : undefined,
    max: maxMessageLength,
    address,
    port,
  });
}

/**
 * The msgid of a datagram that passed {@link datagramDropReason}.
 */
export function datagramMsgid(datagram: Uint8Array): number {
  return int32At(datagram, 0);
}

/**
 * Decode one datagram into its frame. `body` is a view of `datagram` (no
 * copy): it is valid as long as `datagram` is, which inside a route handler
 * means during the call — copy it (`Buffer.from(body)`) to keep it.
 * @throws UdpDatagramError (`LARS_UDP_BAD_DATAGRAM`) with the drop reason.
 */
export function decodeDatagram(datagram: Buffer, maxMessageLength: number): Frame {
  const reason = datagramDropReason(datagram, maxMessageLength);
  if (reason !== null) throw datagramError(datagram, reason, maxMessageLength);
  return { msgid: int32At(datagram, 0), body: datagram.subarray(HEADER_LENGTH) };
}

/**
 * Encode one frame as one datagram (a fresh Buffer of `8 + body length`
 * bytes; the body is copied, so the caller may reuse it at once).
 * @throws FrameTooLongError (`LARS_FRAME_TOO_LONG`) when the body passes `maxMessageLength`.
 * @throws InvalidMsgidError (`LARS_INVALID_MSGID`) when msgid is not an int32.
 */
export function encodeDatagram(msgid: number, body: MessageBody, maxMessageLength: number): Buffer {
  return encodeFrame(msgid, body, maxMessageLength);
}
