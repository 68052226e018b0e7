import { LarsError } from "@lars/iobuf";
import { DuplicateRouteError, HandlerError, InvalidMsgidError, UnknownMsgidError } from "./errors.js";
import type { NetConnection } from "./net-connection.js";

/**
 * Handles the frames of one msgid (C++ Lars `msg_callback`). `body` is a view
 * valid only during the call — copy it to keep it. `userData` is what was
 * given at registration.
 */
export type RouteHandler<C = NetConnection, U = unknown> = (body: Buffer, msgid: number, conn: C, userData: U) => void;

/** Called for a frame whose msgid has no handler, instead of reporting it. */
export type UnknownRouteHandler<C = NetConnection> = (body: Buffer, msgid: number, conn: C) => void;

export interface MessageRouterOptions<C = NetConnection> {
  /**
   * Takes frames of unregistered msgids. Without it, `dispatch` returns an
   * {@link UnknownMsgidError} and the transport reports it (hooks/logger).
   */
  onUnknown?: UnknownRouteHandler<C>;
}

interface Route<C> {
  readonly handler: RouteHandler<C, unknown>;
  readonly userData: unknown;
}

/**
 * msgid → handler table shared by every transport (C++ Lars `msg_router`).
 *
 * Registering a msgid twice is refused; a transport calls {@link dispatch}
 * for every decoded frame. A router may be shared by several servers and
 * clients; routes may be added or removed at any time, including from inside
 * a handler (taking effect on the next frame).
 */
export class MessageRouter<C = NetConnection> {
  private readonly routes = new Map<number, Route<C>>();
  onUnknown: UnknownRouteHandler<C> | undefined;

  constructor(options: MessageRouterOptions<C> = {}) {
    this.onUnknown = options.onUnknown;
  }

  /**
   * Route frames of `msgid` to `handler`, which receives `userData` on every call.
   * @throws DuplicateRouteError (`LARS_ROUTE_DUPLICATE`) when msgid already has a handler.
   * @throws InvalidMsgidError (`LARS_INVALID_MSGID`) when msgid is not an int32.
   */
  register<U = undefined>(msgid: number, handler: RouteHandler<C, U>, userData?: U): this {
    if ((msgid | 0) !== msgid) throw new InvalidMsgidError(msgid);
    if (this.routes.has(msgid)) throw new DuplicateRouteError(msgid);
    this.routes.set(msgid, { handler: handler as RouteHandler<C, unknown>, userData });
    return this;
  }

  /** Remove the handler of `msgid`; false when there was none. */
  unregister(msgid: number): boolean {
    return this.routes.delete(msgid);
  }

  has(msgid: number): boolean {
    return this.routes.has(msgid);
  }

  /** Registered msgids, in registration order. */
  msgids(): number[] {
    return [...this.routes.keys()];
  }

  /**
   * Call the handler of `msgid`. Never throws: returns undefined when the
   * frame was handled, or the error for the transport to report —
   * {@link UnknownMsgidError} (no handler and no `onUnknown`), the handler's
   * own {@link LarsError} (e.g. a `LARS_PAYLOAD_DECODE` from a typed route),
   * or {@link HandlerError} wrapping anything else it threw.
   */
  dispatch(msgid: number, body: Buffer, conn: C): LarsError | undefined {
    const route = this.routes.get(msgid);
    try {
      if (route !== undefined) route.handler(body, msgid, conn, route.userData);
      else if (this.onUnknown !== undefined) this.onUnknown(body, msgid, conn);
      else return new UnknownMsgidError(msgid);
    } catch (err) {
      return err instanceof LarsError ? err : new HandlerError(msgid, err);
    }
    return undefined;
  }
}
