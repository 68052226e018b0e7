export {
  HEADER_LENGTH,
  DEFAULT_MAX_MESSAGE_LENGTH,
  MAX_MESSAGE_LENGTH_LIMIT,
  resolveMaxMessageLength,
  bodyLength,
  encodeFrame,
  writeFrame,
} from "./frame.js";
export type { Frame, MessageBody } from "./frame.js";
export { FrameDecoder, decodeFrames } from "./frame-decoder.js";
export type { FrameDecoderOptions, FrameHandler } from "./frame-decoder.js";
export { MessageRouter } from "./message-router.js";
export type { MessageRouterOptions, RouteHandler, UnknownRouteHandler, RouteErrorReporter, HandlerReturn } from "./message-router.js";
export { HookError, runHook, reportHookFailure } from "./run-hook.js";
export type { HookFailureKind, HookFailureReporter } from "./run-hook.js";
export type { NetConnection, AttributeKey } from "./net-connection.js";
export { ConnectionAttributes } from "./connection-attributes.js";
export { nextConnectionId } from "./connection-id.js";
export { EmbeddedConnection, createConnectionPair } from "./embedded-connection.js";
export type { EmbeddedConnectionOptions, ConnectionPair } from "./embedded-connection.js";
export { bytesCodec, utf8Codec, jsonCodec } from "./payload-codec.js";
export type { Codec } from "./payload-codec.js";
export { typedRoute, registerTyped } from "./typed-route.js";
export type { TypedRouteHandler } from "./typed-route.js";
export {
  FrameTooLongError,
  FrameNegativeLengthError,
  InvalidMsgidError,
  DecoderClosedError,
  DuplicateRouteError,
  UnknownMsgidError,
  HandlerError,
  PayloadDecodeError,
  SendError,
} from "./errors.js";
export type { FrameError, FrameErrorKind } from "./errors.js";
export { LarsError, isLarsError, InvalidArgumentError } from "@lars/iobuf";
