import type { HandlerReturn, MessageRouter, RouteHandler } from "./message-router.js";
import type { NetConnection } from "./net-connection.js";
import type { Codec } from "./payload-codec.js";

/** A handler of decoded messages. `message` is owned by the handler (codecs copy). May be async, like a `RouteHandler`. */
export type TypedRouteHandler<T, C = NetConnection, U = unknown> = (message: T, msgid: number, conn: C, userData: U) => HandlerReturn;

/**
 * Wrap `handler` so it receives `codec.decode(body)`. A body the codec
 * refuses throws its `PayloadDecodeError` (`LARS_PAYLOAD_DECODE`), which the
 * router returns and the transport reports; the connection stays open.
 */
export function typedRoute<T, C = NetConnection, U = unknown>(codec: Codec<T>, handler: TypedRouteHandler<T, C, U>): RouteHandler<C, U> {
  return (body, msgid, conn, userData) => handler(codec.decode(body), msgid, conn, userData);
}

/** `router.register(msgid, typedRoute(codec, handler), userData)` in one call. */
export function registerTyped<T, C = NetConnection, U = undefined>(
  router: MessageRouter<C>,
  msgid: number,
  codec: Codec<T>,
  handler: TypedRouteHandler<T, C, U>,
  userData?: U,
): MessageRouter<C> {
  return router.register(msgid, typedRoute(codec, handler), userData);
}
