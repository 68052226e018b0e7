import { LarsError } from "@lars/iobuf";
import { DuplicateRouteError, HandlerError, InvalidMsgidError, UnknownMsgidError } from "./errors.js";
import type { NetConnection } from "./net-connection.js";

/**
 * What a handler or hook returns: nothing (`void`), or a `Promise<void>`
 * whose rejection is reported like a throw. Typed `void | Promise<void> |
 * unknown` so a handler written as an expression (`(b) => list.push(b)`)
 * still fits; any value that is not a promise is ignored.
 */
// eslint-disable-next-line @typescript-eslint/no-redundant-type-constituents
export type HandlerReturn = void | Promise<void> | unknown;

/**
 * Handles the frames of one msgid (C++ Lars `msg_callback`). `body` is a view
 * valid only during the synchronous part of the call — copy it to keep it
 * (also across an `await`). `userData` is what was given at registration.
 * May be `async`: a rejection is reported exactly like a throw
 * ({@link HandlerError}, `LARS_HANDLER_ERROR`) and never crashes the process.
 */
export type RouteHandler<C = NetConnection, U = unknown> = (body: Buffer, msgid: number, conn: C, userData: U) => HandlerReturn;

/** Called for a frame whose msgid has no handler, instead of reporting it. May be async, like a {@link RouteHandler}. */
export type UnknownRouteHandler<C = NetConnection> = (body: Buffer, msgid: number, conn: C) => HandlerReturn;

/**
 * Where a transport takes the errors of async handlers: called later, once
 * the promise a handler returned rejects, with the same error `dispatch`
 * would have returned had the handler thrown.
 */
export type RouteErrorReporter<C = NetConnection> = (err: LarsError, conn: C) => void;


function toRouteError(msgid: number, err: unknown): LarsError {
  return err instanceof LarsError ? err : new HandlerError(msgid, err);
}

export interface MessageRouterOptions<C = NetConnection> {
  /**
   * Takes frames of unregistered msgids. Without it, `dispatch` returns an
   * {@link UnknownMsgidError} and the transport reports it (hooks/logger).
   */
  onUnknown?: UnknownRouteHandler<C>;
  /**
   * Takes the errors of async handlers when the transport calling
   * {@link MessageRouter.dispatch} gives no reporter of its own. Without
   * either, such an error is only counted (`unreportedErrors`), never thrown.
   */
  onAsyncError?: RouteErrorReporter<C>;
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
  onAsyncError: RouteErrorReporter<C> | undefined;
  /** Errors of async handlers that had no reporter (neither from the transport nor `onAsyncError`). */
  unreportedErrors = 0;

  constructor(options: MessageRouterOptions<C> = {}) {
    this.onUnknown = options.onUnknown;
    this.onAsyncError = options.onAsyncError;
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
   *
   * A handler that returns a promise which later rejects is reported the
   * same way, through `report(err, conn)` (else the router's `onAsyncError`),
   * never as an unhandled rejection. A sync handler costs no allocation here.
   */
  dispatch(msgid: number, body: Buffer, conn: C, report?: RouteErrorReporter<C>): LarsError | undefined {
    const route = this.routes.get(msgid);
    let result: HandlerReturn;
    try {
      if (route !== undefined) result = route.handler(body, msgid, conn, route.userData);
      else if (this.onUnknown !== undefined) result = this.onUnknown(body, msgid, conn);
      else return new UnknownMsgidError(msgid);
    } catch (err) {
      return toRouteError(msgid, err);
    }
    if (result !== undefined && typeof (result as PromiseLike<void>).then === "function") {
      this.watch(result as PromiseLike<void>, msgid, conn, report);
    }
    return undefined;
  }

  /** Report the rejection of an async handler's promise (only async handlers get here). */
  private watch(promise: PromiseLike<void>, msgid: number, conn: C, report: RouteErrorReporter<C> | undefined): void {
    promise.then(undefined, (err: unknown) => {
      const routeErr = toRouteError(msgid, err);
      const to = report ?? this.onAsyncError;
      if (to === undefined) {
        this.unreportedErrors++;
        return;
      }
      try {
        to(routeErr, conn);
      } catch {
        this.unreportedErrors++;
      }
    });
  }
}
