import { isIP } from "node:net";
import { MessageRouter, resolveMaxMessageLength } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { InvalidArgumentError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import { UDP4_MAX_MESSAGE_LENGTH, UDP6_MAX_MESSAGE_LENGTH } from "./datagram.js";
import type { UdpHooks } from "./hooks.js";

/**
 * Default largest body on UDP: 65499 bytes, the largest that fits one IPv4
 * datagram with its 8-byte header (65507 − 8). Lower than the TCP default of
 * 65527 (the C++ limit) because an IPv4 `send` of 8 + 65527 bytes fails with
 * `EMSGSIZE`; the same default is used on IPv6 so that a frame accepted on
 * one family is never refused on the other.
 */
export const DEFAULT_UDP_MAX_MESSAGE_LENGTH = UDP4_MAX_MESSAGE_LENGTH;
/** Default cap on bytes waiting in the socket's send queue: 4 MiB. Past it `sendMessage` refuses (`LARS_OUTPUT_FULL`). */
export const DEFAULT_SEND_QUEUE_CAP = 4 * 1024 * 1024;
/** Default high-water mark of the send queue: 1 MiB. Past it `sendMessage` returns false. */
export const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;
/** Default time `close()` waits for queued datagrams to reach the kernel, ms. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 5000;

/** The socket family: from the host when it is an IP literal, else IPv4. */
export type UdpSocketType = "udp4" | "udp6";

/** Settings shared by {@link UdpServerOptions} and {@link UdpClientOptions}. */
export interface UdpEndpointOptions extends UdpHooks {
  /** Server: address to bind (e.g. `"127.0.0.1"`, `"0.0.0.0"`, `"::"`). Client: the server's host. */
  host: string;
  /** Server: port to bind, 0 for any free port. Client: the server's port (1..65535). */
  port: number;
  /** Socket family. Default: `"udp6"` when `host` is an IPv6 literal, else `"udp4"`. */
  type?: UdpSocketType;
  /**
   * Largest body, bytes, both ways: a bigger body is refused by `sendMessage`
   * (`LARS_FRAME_TOO_LONG`) before anything is sent, and a datagram announcing
   * one is dropped (`"too long"`). Default 65499 ({@link DEFAULT_UDP_MAX_MESSAGE_LENGTH});
   * at most 65499 on `udp4` and 65519 on `udp6` — a larger value could only
   * produce datagrams the OS refuses, so it is rejected.
   */
  maxMessageLength?: number;
  /** Routes for received frames. Default: a new empty router. May be shared with other servers and clients. */
  router?: MessageRouter<NetConnection>;
  /** Where reports go when the matching hook is not given. Default: the loop's logger; none = only counted. */
  logger?: Logger;
  /** Bytes allowed to wait in the socket's send queue; past it `sendMessage` refuses. Default 4 MiB. */
  sendQueueCap?: number;
  /** Send-queue bytes past which `sendMessage` returns false and `onBackpressure` fires. Default min(1 MiB, sendQueueCap). */
  highWaterMark?: number;
  /** Send-queue bytes at or under which `onDrain` fires after backpressure. Default highWaterMark / 2. */
  lowWaterMark?: number;
  /** `close()` without a deadline: how long to wait for queued datagrams before closing the socket, ms. Default 5000. */
  closeTimeoutMs?: number;
  /** `SO_RCVBUF` in bytes. Default: the OS default. */
  recvBufferSize?: number;
  /** `SO_SNDBUF` in bytes. Default: the OS default. */
  sendBufferSize?: number;
}

/** Options of a {@link UdpServer}. */
export interface UdpServerOptions extends UdpEndpointOptions {
  /** `SO_REUSEADDR` on bind. Default false. */
  reuseAddr?: boolean;
}

/** Default bound on `UdpClient.request()` calls waiting for replies. */
export const DEFAULT_MAX_PENDING_REQUESTS = 1024;
/** Default `timeoutMs` of `UdpClient.request()`, ms (the TCP client's default too). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

/** Options of a {@link UdpClient}: `host`/`port` name the server. */
export interface UdpClientOptions extends UdpEndpointOptions {
  /** Most `request()` calls waiting for replies at once; past it `request()` rejects with `LARS_REQUEST_QUEUE_FULL`. Default 1024. */
  maxPendingRequests?: number;
  /** `request()` without `timeoutMs`: how long to wait for the reply, ms (`Infinity` = never). Default 10000. */
  requestTimeoutMs?: number;
}

/** The request settings of a {@link UdpClientOptions}, defaults filled in and checked. */
export interface ResolvedUdpRequestOptions {
  readonly maxPendingRequests: number;
  readonly requestTimeoutMs: number;
}

/** Check and default `maxPendingRequests` and `requestTimeoutMs` (InvalidArgumentError naming the field). */
export function resolveUdpRequestOptions(options: UdpClientOptions): ResolvedUdpRequestOptions {
  const maxPendingRequests = positiveInt(options.maxPendingRequests, DEFAULT_MAX_PENDING_REQUESTS, "maxPendingRequests");
  const requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  if (typeof requestTimeoutMs !== "number" || !(requestTimeoutMs > 0)) {
    throw new InvalidArgumentError("requestTimeoutMs", `must be a positive number or Infinity, got ${String(options.requestTimeoutMs)}`);
  }
  return { maxPendingRequests, requestTimeoutMs };
}

/** {@link UdpEndpointOptions} with every default filled in and checked. */
export interface ResolvedUdpOptions {
  readonly host: string;
  readonly port: number;
  readonly type: UdpSocketType;
  readonly maxMessageLength: number;
  readonly router: MessageRouter<NetConnection>;
  readonly logger: Logger | undefined;
  readonly hooks: Readonly<UdpHooks>;
  readonly sendQueueCap: number;
  readonly highWaterMark: number;
  readonly lowWaterMark: number;
  readonly closeTimeoutMs: number;
  readonly recvBufferSize: number | undefined;
  readonly sendBufferSize: number | undefined;
  readonly reuseAddr: boolean;
}

function positiveInt(value: number | undefined, fallback: number, field: string): number {
  const v = value ?? fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new InvalidArgumentError(field, `must be a positive integer, got ${String(value)}`);
  return v;
}

/** codec's check, with whatever it throws turned into the one bad-option error. */
function checkedMaxMessageLength(value: number): number {
  try {
    return resolveMaxMessageLength(value);
  } catch (err) {
    if (err instanceof InvalidArgumentError) throw err;
    throw new InvalidArgumentError("maxMessageLength", err instanceof Error ? err.message : String(err));
  }
}

function optionalPositiveInt(value: number | undefined, field: string): number | undefined {
  return value === undefined ? undefined : positiveInt(value, 0, field);
}

function hook<F>(value: F | undefined, field: string): F | undefined {
  if (value !== undefined && typeof value !== "function") throw new InvalidArgumentError(field, "must be a function");
  return value;
}

/**
 * Merge defaults and validate. Mistakes throw at once an `InvalidArgumentError`
 * (code `LARS_INVALID_ARGUMENT`, `field` set) with a message naming the field: a missing host, a port out of range (0 allowed only for a
 * server), a `maxMessageLength` the socket family cannot carry, water marks
 * that contradict each other or the cap, a hook that is not a function.
 * @param role `"server"` allows port 0 (any free port); a client needs a real port.
 */
export function resolveUdpOptions(options: UdpServerOptions, role: "server" | "client"): ResolvedUdpOptions {
  if (typeof options.host !== "string" || options.host === "") throw new InvalidArgumentError("host", "must be a non-empty string");
  const minPort = role === "server" ? 0 : 1;
  if (!Number.isInteger(options.port) || options.port < minPort || options.port > 65535) {
    throw new InvalidArgumentError("port", `must be an integer in ${minPort}..65535, got ${String(options.port)}`);
  }
  const type = options.type ?? (isIP(options.host) === 6 ? "udp6" : "udp4");
  if (type !== "udp4" && type !== "udp6") throw new InvalidArgumentError("type", `must be "udp4" or "udp6", got ${String(type)}`);
  const familyMax = type === "udp4" ? UDP4_MAX_MESSAGE_LENGTH : UDP6_MAX_MESSAGE_LENGTH;
  const maxMessageLength = checkedMaxMessageLength(options.maxMessageLength ?? DEFAULT_UDP_MAX_MESSAGE_LENGTH);
  if (maxMessageLength > familyMax) {
    throw new InvalidArgumentError(
      "maxMessageLength",
      `must be at most ${familyMax} on ${type} (8 + body must fit one datagram), got ${maxMessageLength}`,
    );
  }
  const sendQueueCap = positiveInt(options.sendQueueCap, DEFAULT_SEND_QUEUE_CAP, "sendQueueCap");
  const highWaterMark = positiveInt(options.highWaterMark, Math.min(DEFAULT_HIGH_WATER_MARK, sendQueueCap), "highWaterMark");
  if (highWaterMark > sendQueueCap) {
    throw new InvalidArgumentError("highWaterMark", `(${highWaterMark}) must not exceed sendQueueCap (${sendQueueCap})`);
  }
  const lowWaterMark = options.lowWaterMark ?? Math.floor(highWaterMark / 2);
  if (!Number.isSafeInteger(lowWaterMark) || lowWaterMark < 0 || lowWaterMark > highWaterMark) {
    throw new InvalidArgumentError("lowWaterMark", `must be an integer in 0..highWaterMark (${highWaterMark}), got ${lowWaterMark}`);
  }
  const closeTimeoutMs = options.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS;
  if (!Number.isFinite(closeTimeoutMs) || closeTimeoutMs < 0) {
    throw new InvalidArgumentError("closeTimeoutMs", `must be a non-negative number, got ${closeTimeoutMs}`);
  }
  return {
    host: options.host,
    port: options.port,
    type,
    maxMessageLength,
    router: options.router ?? new MessageRouter<NetConnection>(),
    logger: options.logger,
    hooks: {
      onDatagramDropped: hook(options.onDatagramDropped, "onDatagramDropped"),
      onError: hook(options.onError, "onError"),
      onBackpressure: hook(options.onBackpressure, "onBackpressure"),
      onDrain: hook(options.onDrain, "onDrain"),
    },
    sendQueueCap,
    highWaterMark,
    lowWaterMark,
    closeTimeoutMs,
    recvBufferSize: optionalPositiveInt(options.recvBufferSize, "recvBufferSize"),
    sendBufferSize: optionalPositiveInt(options.sendBufferSize, "sendBufferSize"),
    reuseAddr: options.reuseAddr ?? false,
  };
}
