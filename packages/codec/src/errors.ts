import { LarsError } from "@lars/iobuf";

/** Why a frame header was refused. */
export type FrameErrorKind = "too long" | "negative length";

/** A frame header announcing a body longer than `maxMessageLength`. */
export class FrameTooLongError extends LarsError {
  override readonly name = "FrameTooLongError";
  readonly kind: FrameErrorKind = "too long";
  constructor(readonly msgid: number, readonly length: number, readonly max: number) {
    super("LARS_FRAME_TOO_LONG", `frame msgid ${msgid}: body of ${length} bytes exceeds the limit of ${max} bytes`);
  }
}

/** A frame header whose int32 length is negative. */
export class FrameNegativeLengthError extends LarsError {
  override readonly name = "FrameNegativeLengthError";
  readonly kind: FrameErrorKind = "negative length";
  constructor(readonly msgid: number, readonly length: number) {
    super("LARS_FRAME_NEGATIVE_LENGTH", `frame msgid ${msgid}: negative body length ${length}`);
  }
}

/** Either of the errors a bad frame header produces. */
export type FrameError = FrameTooLongError | FrameNegativeLengthError;

/** A msgid outside the int32 range, or not an integer. */
export class InvalidMsgidError extends LarsError {
  override readonly name = "InvalidMsgidError";
  constructor(readonly msgid: number) {
    super("LARS_INVALID_MSGID", `msgid ${msgid} is not an int32`);
  }
}

/** Input fed to a decoder that already failed or was closed. */
export class DecoderClosedError extends LarsError {
  override readonly name = "DecoderClosedError";
  constructor(readonly reason: "failed" | "closed") {
    super("LARS_DECODER_CLOSED", `decoder refuses input: it has ${reason}`);
  }
}

/** `MessageRouter.register` for a msgid that already has a handler. */
export class DuplicateRouteError extends LarsError {
  override readonly name = "DuplicateRouteError";
  constructor(readonly msgid: number) {
    super("LARS_ROUTE_DUPLICATE", `msgid ${msgid} already has a handler`);
  }
}

/** A frame whose msgid has no handler (reported through `onUnknown`). */
export class UnknownMsgidError extends LarsError {
  override readonly name = "UnknownMsgidError";
  constructor(readonly msgid: number) {
    super("LARS_ROUTE_UNKNOWN", `no handler for msgid ${msgid}`);
  }
}

function describe(value: unknown): string {
  try {
    return value instanceof Error ? value.message : String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** A route handler threw; `cause` holds what it threw. */
export class HandlerError extends LarsError {
  override readonly name = "HandlerError";
  constructor(readonly msgid: number, cause: unknown) {
    super("LARS_HANDLER_ERROR", `handler for msgid ${msgid} threw: ${describe(cause)}`, { cause });
  }
}

/** A payload codec could not read a body. */
export class PayloadDecodeError extends LarsError {
  override readonly name = "PayloadDecodeError";
  constructor(readonly codec: string, message: string, cause?: unknown) {
    super("LARS_PAYLOAD_DECODE", `${codec}: ${message}`, { cause });
  }
}

/** A message refused by a sender. `code` says why. */
export class SendError extends LarsError {
  override readonly name = "SendError";
  constructor(
    code: "LARS_NOT_CONNECTED" | "LARS_OUTPUT_FULL" | "LARS_CONN_CLOSED" | "LARS_QUEUE_FULL",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
