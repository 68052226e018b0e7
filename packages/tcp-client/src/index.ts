export { TcpClient } from "./tcp-client.js";
export type { RequestOptions, TypedRequestOptions, RequestCorrelation, ReadyOptions } from "./tcp-client.js";
export type { CorrelationKey } from "./request-matcher.js";
export type { ClientStatus, QueuedMessage, TcpClientHooks } from "./hooks.js";
export {
  resolveTcpClientOptions,
  DEFAULT_INITIAL_DELAY_MS,
  DEFAULT_MAX_DELAY_MS,
  DEFAULT_BACKOFF_FACTOR,
  DEFAULT_JITTER,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_MAX_PENDING_REQUESTS,
  DEFAULT_STABLE_AFTER_MS,
  DEFAULT_QUEUE_MAX_MESSAGES,
  DEFAULT_QUEUE_MAX_BYTES,
} from "./options.js";
export type { TcpClientOptions, ReconnectOptions, QueueOptions, QueueBounds, ResolvedTcpClientOptions } from "./options.js";
export { backoffDelay, baseDelay, reconnectDelay, MAX_TIMER_DELAY_MS } from "./backoff.js";
export type { BackoffPolicy, ReconnectDelayFn } from "./backoff.js";
export type { TcpClientStats } from "./stats.js";
export {
  ConnectError,
  ConnectionLostError,
  ClientClosedError,
  GaveUpError,
  RequestError,
  RequestQueueFullError,
  ReadyError,
  QueueDroppedError,
  HookError,
  SendError,
  LarsError,
  isLarsError,
  InvalidArgumentError,
} from "./errors.js";
export type { ConnectErrorCode, RequestErrorCode, ReadyErrorCode } from "./errors.js";
export type { CloseReason } from "@lars/tcp-conn";
