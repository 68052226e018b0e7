import { LarsError } from "@lars/iobuf";

/**
 * Why a received datagram was dropped:
 * - `"short"`: fewer than 8 bytes, no whole frame header;
 * - `"negative length"`: the header's int32 msglen is negative;
 * - `"too long"`: msglen is over `maxMessageLength`;
 * - `"length mismatch"`: the datagram is not exactly `8 + msglen` bytes
 *   (a UDP datagram holds exactly one frame, never a part or several).
 */
export type DatagramDropReason = "short" | "negative length" | "too long" | "length mismatch";

/** Every {@link DatagramDropReason}, in the order a datagram is checked. */
export const DATAGRAM_DROP_REASONS: readonly DatagramDropReason[] = Object.freeze([
  "short",
  "negative length",
  "too long",
  "length mismatch",
]);

/** What is known of a dropped datagram besides its reason. */
export interface DatagramErrorDetails {
  /** Bytes in the datagram. */
  readonly length: number;
  /** The header's msgid; undefined for a `"short"` datagram. */
  readonly msgid?: number | undefined;
  /** The header's msglen; undefined for a `"short"` datagram. */
  readonly msglen?: number | undefined;
  /** The `maxMessageLength` it was checked against. */
  readonly max: number;
  /** Sender, when the datagram came from a socket. */
  readonly address?: string | undefined;
  readonly port?: number | undefined;
}

/**
 * A received datagram that is not exactly one valid Lars frame (code
 * `LARS_UDP_BAD_DATAGRAM`). It was dropped; the socket goes on serving.
 */
export class UdpDatagramError extends LarsError {
  override readonly name = "UdpDatagramError";
  readonly reason: DatagramDropReason;
  readonly length: number;
  readonly msgid: number | undefined;
  readonly msglen: number | undefined;
  readonly max: number;
  readonly address: string | undefined;
  readonly port: number | undefined;

  constructor(reason: DatagramDropReason, details: DatagramErrorDetails) {
    const from = details.address === undefined ? "" : ` from ${details.address}:${details.port ?? "?"}`;
    super("LARS_UDP_BAD_DATAGRAM", `datagram of ${details.length} bytes${from} dropped: ${describe(reason, details)}`);
    this.reason = reason;
    this.length = details.length;
    this.msgid = details.msgid;
    this.msglen = details.msglen;
    this.max = details.max;
    this.address = details.address;
    this.port = details.port;
  }
}

function describe(reason: DatagramDropReason, d: DatagramErrorDetails): string {
  switch (reason) {
    case "short":
      return "shorter than the 8-byte frame header";
    case "negative length":
      return `negative body length ${d.msglen}`;
    case "too long":
      return `body length ${d.msglen} exceeds the limit of ${d.max} bytes`;
    case "length mismatch":
      return `header announces ${d.msglen} body bytes, datagram carries ${d.length - 8}`;
  }
}

/**
 * The operating system refused or failed to send a datagram that had been
 * accepted by `sendMessage` (code `LARS_UDP_SEND_FAILED`), reported through
 * `onError`; `cause` is the Node error (e.g. `EMSGSIZE`, `ECONNREFUSED`).
 */
export class UdpSendFailedError extends LarsError {
  override readonly name = "UdpSendFailedError";
  /** Destination, when Node reported it. */
  readonly address: string | undefined;
  readonly port: number | undefined;
  /** The Node error code, e.g. `"EMSGSIZE"`. */
  readonly errno: string | undefined;

  constructor(cause: Error) {
    const e = cause as NodeJS.ErrnoException & { address?: string; port?: number };
    super("LARS_UDP_SEND_FAILED", `datagram send failed: ${cause.message}`, { cause });
    this.address = e.address;
    this.port = e.port;
    this.errno = e.code;
  }
}

/** Which socket operation a {@link UdpSocketError} comes from. */
export type UdpSocketOperation = "bind" | "connect" | "receive";

const SOCKET_ERROR_CODES = {
  bind: "LARS_UDP_BIND_FAILED",
  connect: "LARS_UDP_CONNECT_FAILED",
  receive: "LARS_UDP_SOCKET_ERROR",
} as const;

/**
 * A socket failure; `cause` is the Node error. Codes:
 * - `LARS_UDP_BIND_FAILED` / `LARS_UDP_CONNECT_FAILED`: `bind()` / `connect()`
 *   rejects with it (e.g. `EADDRINUSE`, an unresolvable host); the server or
 *   client is then closed;
 * - `LARS_UDP_SOCKET_ERROR`: reported through `onError` while the socket goes
 *   on serving — e.g. `ECONNREFUSED` on a connected client after the ICMP
 *   "port unreachable" of a server that is not there.
 */
export class UdpSocketError extends LarsError {
  override readonly name: string = "UdpSocketError";
  readonly operation: UdpSocketOperation;
  /** The Node error code, e.g. `"EADDRINUSE"`. */
  readonly errno: string | undefined;

  constructor(operation: UdpSocketOperation, cause: Error, code: string = SOCKET_ERROR_CODES[operation]) {
    super(code, `udp ${operation} failed: ${cause.message}`, { cause });
    this.operation = operation;
    this.errno = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * `bind()` found its address taken (`EADDRINUSE`), code `LARS_ADDRESS_IN_USE`
 * — the code TCP `listen()` uses for the same failure. Still a
 * {@link UdpSocketError} (`operation` `"bind"`, `errno` `"EADDRINUSE"`).
 */
export class AddressInUseError extends UdpSocketError {
  override readonly name = "AddressInUseError";
  /** The address and port that were asked for. */
  readonly host: string;
  readonly port: number;

  constructor(host: string, port: number, cause: Error) {
    super("bind", cause, "LARS_ADDRESS_IN_USE");
    this.host = host;
    this.port = port;
  }
}

/** Wraps a bind failure: {@link AddressInUseError} for `EADDRINUSE`, else {@link UdpSocketError} `LARS_UDP_BIND_FAILED`. */
export function bindError(host: string, port: number, cause: Error): UdpSocketError {
  return (cause as NodeJS.ErrnoException).code === "EADDRINUSE" ? new AddressInUseError(host, port, cause) : new UdpSocketError("bind", cause);
}

/** `bind()`/`connect()` on a server or client that is closed or closing (code `LARS_UDP_CLOSED`). */
export class UdpClosedError extends LarsError {
  override readonly name = "UdpClosedError";
  constructor(what: string) {
    super("LARS_UDP_CLOSED", `${what} is closed`);
  }
}

/** Why a UDP `request()` failed; the codes are those of the TCP client's `request()`. */
export type UdpRequestErrorCode =
  | "LARS_REQUEST_TIMEOUT"
  | "LARS_REQUEST_ABORTED"
  | "LARS_REQUEST_BUSY"
  | "LARS_CONN_CLOSED";

/**
 * A UDP `request()` that got no reply: `LARS_REQUEST_TIMEOUT` (none within
 * `timeoutMs`), `LARS_REQUEST_ABORTED` (its `signal` fired; `cause` is the
 * signal's reason), `LARS_REQUEST_BUSY` (refused before sending: without
 * keys only one request may wait per reply msgid, and with keys one per key,
 * so that a reply is never handed to another caller), `LARS_CONN_CLOSED`
 * (the client closed first). A reply arriving later is routed as usual.
 */
export class UdpRequestError extends LarsError {
  override readonly name = "UdpRequestError";
  declare readonly code: UdpRequestErrorCode;
  /** msgid the request was sent with, and the msgid its reply was awaited on. */
  readonly msgid: number;
  readonly replyMsgid: number;

  constructor(code: UdpRequestErrorCode, msgid: number, replyMsgid: number, why: string, options?: { cause?: unknown }) {
    super(code, `udp request msgid ${msgid} (reply msgid ${replyMsgid}): ${why}`, options);
    this.msgid = msgid;
    this.replyMsgid = replyMsgid;
  }
}

/**
 * A UDP `request()` refused before it was sent because `maxPendingRequests`
 * requests already wait for replies (code `LARS_REQUEST_QUEUE_FULL`, as on TCP).
 */
export class UdpRequestQueueFullError extends LarsError {
  override readonly name = "UdpRequestQueueFullError";
  readonly msgid: number;
  /** The `maxPendingRequests` bound. */
  readonly max: number;

  constructor(msgid: number, max: number) {
    super("LARS_REQUEST_QUEUE_FULL", `udp request msgid ${msgid} refused: ${max} requests already pending`);
    this.msgid = msgid;
    this.max = max;
  }
}
