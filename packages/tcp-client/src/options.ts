import { createSecureContext } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import { MessageRouter } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { InvalidArgumentError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import { resolveTcpConnOptions } from "@lars/tcp-conn";
import type { ResolvedTcpConnOptions, TcpConnOptions } from "@lars/tcp-conn";
import type { BackoffPolicy, ReconnectDelayFn } from "./backoff.js";
import type { TcpClientHooks } from "./hooks.js";

/** First reconnect delay, ms (muduo's Connector: 0.5 s). */
export const DEFAULT_INITIAL_DELAY_MS = 500;
/** Largest reconnect delay, ms (muduo: 30 s). */
export const DEFAULT_MAX_DELAY_MS = 30_000;
/** Each reconnect delay is the previous one times this. */
export const DEFAULT_BACKOFF_FACTOR = 2;
/** Share of each delay that is random (0..1): the delay lies in `[d * (1 - jitter), d]`. */
export const DEFAULT_JITTER = 0.2;
/** Reconnect attempts after a failure before giving up: unlimited. */
export const DEFAULT_MAX_ATTEMPTS = Number.POSITIVE_INFINITY;
/** How long one connect attempt may take before it counts as failed, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Default `timeoutMs` of `request()`, ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
/** Default `maxPendingRequests`: requests (reply slots) outstanding at once. */
export const DEFAULT_MAX_PENDING_REQUESTS = 4096;
/** Default `reconnect.stableAfterMs`: how long a connection must stay up before the backoff starts over, ms. */
export const DEFAULT_STABLE_AFTER_MS = 1000;
/** Messages the disconnected queue holds by default (when enabled). */
export const DEFAULT_QUEUE_MAX_MESSAGES = 1024;
/** Bytes (frames, headers included) the disconnected queue holds by default (when enabled): 1 MiB. */
export const DEFAULT_QUEUE_MAX_BYTES = 1024 * 1024;

/** Reconnect settings; every field optional. `reconnect: false` disables reconnecting. */
export interface ReconnectOptions {
  /** Delay before the first reconnect attempt, ms. Default 500. */
  initialDelayMs?: number;
  /** Cap on any delay, ms. Default 30000. */
  maxDelayMs?: number;
  /** Growth per attempt (>= 1). Default 2. */
  factor?: number;
  /** Random share of each delay, 0..1 (it only shortens a delay). Default 0.2. */
  jitter?: number;
  /** Reconnect attempts after a loss or failed connect before giving up (`onGiveUp`); 0 = never retry. Default Infinity. */
  maxAttempts?: number;
  /** Compute each delay yourself (ms, finite, >= 0); replaces initialDelayMs/maxDelayMs/factor/jitter. */
  delay?: ReconnectDelayFn;
  /**
   * A connection counts as a success, and the attempt counter (so the
   * delay) starts over, only once it has stayed up this long, ms. A server
   * that accepts and closes at once is retried with growing delays. Default 1000.
   */
  stableAfterMs?: number;
}

/** Bounds of the queue that holds messages sent while disconnected. */
export interface QueueOptions {
  /** Most messages held. Default 1024. */
  maxMessages?: number;
  /** Most bytes held, frame headers included; at most `outputCap`. Default 1 MiB (or `outputCap` if smaller). */
  maxBytes?: number;
}

/** Options of `new TcpClient(loop, options)`. Connection settings (`outputCap`, `pool`, ...) are those of `@lars/tcp-conn`. */
export interface TcpClientOptions extends TcpConnOptions, TcpClientHooks {
  /** Server host name or address. */
  host: string;
  /** Server port, 1..65535. */
  port: number;
  /** Name used in errors and logs. Default `"host:port"`. */
  name?: string;
  /** Routes for frames from the server. Default: a new router; may be shared with other clients/servers. */
  router?: MessageRouter<NetConnection>;
  /** Where errors go when no `onError` hook is given (else the loop's logger). Never printed otherwise. */
  logger?: Logger;
  /** Time one connect attempt may take, ms. Default 10000. */
  connectTimeoutMs?: number;
  /** Reconnect policy, or false to never reconnect. Default: reconnect forever with the defaults above. */
  reconnect?: ReconnectOptions | false;
  /** Queue messages sent while disconnected (true = default bounds). Default off: such sends throw `LARS_NOT_CONNECTED`. */
  queueWhileDisconnected?: QueueOptions | boolean;
  /** Default `timeoutMs` of `request()`, ms (`Infinity` = none). Default 10000. */
  requestTimeoutMs?: number;
  /** Most requests outstanding at once; past it `request()` rejects with `RequestQueueFullError` (`LARS_REQUEST_QUEUE_FULL`) without sending. Default 4096. */
  maxPendingRequests?: number;
  /**
   * Connect with TLS instead of plain TCP: `node:tls` connect options (`ca`
   * to trust the server's certificate, `cert` + `key` for a client
   * certificate, `servername`, `rejectUnauthorized`, `minVersion`, ...).
   * `host` and `port` are always the client's own. The client counts as
   * connected once the handshake is done; a failed handshake is a failed
   * connect attempt (`ConnectError` `LARS_TLS_HANDSHAKE`, reported through
   * `onError`, retried with backoff). Framing, routing, backpressure and
   * `request()` are the same. Default: plain TCP.
   */
  tls?: ConnectionOptions;
}

/** Resolved queue bounds. */
export interface QueueBounds {
  readonly maxMessages: number;
  readonly maxBytes: number;
}

/** {@link TcpClientOptions} checked, with defaults filled in. */
export interface ResolvedTcpClientOptions {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  readonly conn: ResolvedTcpConnOptions;
  readonly connectTimeoutMs: number;
  /** `maxAttempts` is 0 when reconnecting is disabled. */
  readonly backoff: BackoffPolicy;
  /** null when queueing is off. */
  readonly queue: QueueBounds | null;
  readonly requestTimeoutMs: number;
  readonly maxPendingRequests: number;
  /** See {@link ReconnectOptions.stableAfterMs}. */
  readonly stableAfterMs: number;
  /** TLS connect options with a `secureContext` built once (reused by every reconnect), or undefined for plain TCP. */
  readonly tls: ConnectionOptions | undefined;
}

function fail(field: string, message: string): never {
  throw new InvalidArgumentError(field, message);
}

function num(value: unknown, fallback: number, field: string, min: number, opts: { int?: boolean; max?: number; inf?: boolean } = {}): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || Number.isNaN(value)) fail(field, `must be a number, got ${typeof value === "number" ? "NaN" : typeof value}`);
  if (value === Number.POSITIVE_INFINITY && opts.inf === true) return value;
  if (!Number.isFinite(value)) fail(field, `must be finite, got ${value}`);
  if (opts.int === true && !Number.isSafeInteger(value)) fail(field, `must be an integer, got ${value}`);
  if (value < min || value > (opts.max ?? Number.POSITIVE_INFINITY)) {
    fail(field, `must be in ${min}..${opts.max ?? "∞"}, got ${value}`);
  }
  return value;
}

function resolveBackoff(r: ReconnectOptions | false | undefined): BackoffPolicy {
  if (r === false) {
    return { initialDelayMs: 0, maxDelayMs: 0, factor: 1, jitter: 0, maxAttempts: 0, delay: undefined };
  }
  if (r !== undefined && (typeof r !== "object" || r === null)) fail("reconnect", "must be an object or false");
  const o = r ?? {};
  const initialDelayMs = num(o.initialDelayMs, DEFAULT_INITIAL_DELAY_MS, "reconnect.initialDelayMs", 0);
  const maxDelayMs = num(o.maxDelayMs, Math.max(DEFAULT_MAX_DELAY_MS, initialDelayMs), "reconnect.maxDelayMs", 0);
  if (maxDelayMs < initialDelayMs) {
    fail("reconnect.maxDelayMs", `(${maxDelayMs}) must not be below reconnect.initialDelayMs (${initialDelayMs})`);
  }
  const delay = o.delay;
  if (delay !== undefined && typeof delay !== "function") fail("reconnect.delay", "must be a function (attempt, lastError) => ms");
  return {
    initialDelayMs,
    maxDelayMs,
    factor: num(o.factor, DEFAULT_BACKOFF_FACTOR, "reconnect.factor", 1),
    jitter: num(o.jitter, DEFAULT_JITTER, "reconnect.jitter", 0, { max: 1 }),
    maxAttempts: num(o.maxAttempts, DEFAULT_MAX_ATTEMPTS, "reconnect.maxAttempts", 0, { int: true, inf: true }),
    delay,
  };
}

function resolveQueue(q: QueueOptions | boolean | undefined, outputCap: number): QueueBounds | null {
  if (q === undefined || q === false) return null;
  const o = q === true ? {} : q;
  if (typeof o !== "object" || o === null) fail("queueWhileDisconnected", "must be an object, true or false");
  const maxMessages = num(o.maxMessages, DEFAULT_QUEUE_MAX_MESSAGES, "queueWhileDisconnected.maxMessages", 1, { int: true });
  const maxBytes = num(o.maxBytes, Math.min(DEFAULT_QUEUE_MAX_BYTES, outputCap), "queueWhileDisconnected.maxBytes", 8, { int: true });
  // Every queued frame goes into a fresh connection's output at once, so the queue must fit it.
  if (maxBytes > outputCap) fail("queueWhileDisconnected.maxBytes", `(${maxBytes}) must not exceed outputCap (${outputCap})`);
  return { maxMessages, maxBytes };
}

/**
 * Merge defaults and validate every setting of a client.
 * @throws InvalidArgumentError (`LARS_INVALID_ARGUMENT`) naming the bad field;
 *   RangeError from `@lars/tcp-conn` for contradictory connection settings.
 */
export function resolveTcpClientOptions(options: TcpClientOptions): ResolvedTcpClientOptions {
  if (typeof options !== "object" || options === null) fail("options", "must be an object with host and port");
  if (typeof options.host !== "string" || options.host === "") fail("host", `must be a non-empty string, got ${String(options.host)}`);
  const port = num(options.port, Number.NaN, "port", 1, { int: true, max: 65535 });
  if (Number.isNaN(port)) fail("port", "is required");
  if (options.router !== undefined && !(options.router instanceof MessageRouter)) fail("router", "must be a MessageRouter");
  const conn = resolveTcpConnOptions(options);
  const name = options.name ?? `${options.host}:${port}`;
  if (typeof name !== "string") fail("name", "must be a string");
  return {
    host: options.host,
    port,
    name,
    conn,
    connectTimeoutMs: num(options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS, "connectTimeoutMs", 1, { max: 2 ** 31 - 1 }),
    backoff: resolveBackoff(options.reconnect),
    queue: resolveQueue(options.queueWhileDisconnected, conn.outputCap),
    requestTimeoutMs: resolveRequestTimeout(options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS, "requestTimeoutMs"),
    maxPendingRequests: num(options.maxPendingRequests, DEFAULT_MAX_PENDING_REQUESTS, "maxPendingRequests", 1, { int: true }),
    stableAfterMs:
      options.reconnect === false || options.reconnect === undefined
        ? DEFAULT_STABLE_AFTER_MS
        : num(options.reconnect.stableAfterMs, DEFAULT_STABLE_AFTER_MS, "reconnect.stableAfterMs", 0, { max: 2 ** 31 - 1 }),
    tls: resolveTls(options.tls),
  };
}

/** Check the TLS options and build their secure context once, so a bad key or certificate is refused here, not at every connect. */
function resolveTls(tls: ConnectionOptions | undefined): ConnectionOptions | undefined {
  if (tls === undefined) return undefined;
  if (typeof tls !== "object" || tls === null) fail("tls", "must be an object of node:tls connect options");
  if (tls.secureContext !== undefined) return tls;
  let secureContext;
  try {
    secureContext = createSecureContext(tls);
  } catch (err) {
    fail("tls", `invalid TLS options: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { ...tls, secureContext };
}

/** Check a request timeout (ms, >= 0, or Infinity for none). */
export function resolveRequestTimeout(value: number | undefined, fallback: number, field: string): number {
  return num(value, fallback, field, 0, { inf: true, max: 2 ** 31 - 1 });
}
