import type { LarsError } from "@lars/iobuf";
import type { HandlerReturn, NetConnection } from "@lars/codec";
import type { UdpDatagramError } from "./errors.js";

/**
 * The hooks of a `UdpServer` or `UdpClient`, given as `on*` fields
 * of its options. All are optional and are called on the loop's thread from
 * inside socket callbacks: keep them short. Sending (`sendMessage`) and
 * `close()` are allowed inside any of them. Any hook may be `async`.
 *
 * One hook-failure policy (the same on TCP server and client): a hook that
 * throws, or whose promise rejects, never stops the socket and is never
 * rethrown. It is wrapped in a `HookError` (`LARS_HOOK_ERROR`, `hook` names
 * it, `kind` is `"threw"` or `"rejected"`, `cause` is what it threw) and
 * reported to `onError`, else to `logger.error`; a failing `onError` goes to
 * `logger.error`. Every such failure is counted in `stats().hookErrors`.
 *
 * Nothing is printed without a logger: with neither the hook nor a logger, a
 * report is only counted in `stats()`.
 */
export interface UdpHooks {
  /**
   * A received datagram was not exactly one valid frame and was dropped
   * (`err.reason` says why; `err.address`/`err.port` name the sender). The
   * socket goes on serving. Default: `onError(err, undefined)` when given,
   * else `logger.warn`.
   */
  onDatagramDropped?: (err: UdpDatagramError) => HandlerReturn;
  /**
   * Anything else that went wrong and may not be thrown:
   * - routing (`conn` is the sender: the `UdpPeer` on a server, the
   *   client itself on a client): `LARS_ROUTE_UNKNOWN` (no handler for the
   *   msgid), `LARS_HANDLER_ERROR` (a handler threw; `cause` holds what it
   *   threw), or a handler's own `LarsError` (e.g. `LARS_PAYLOAD_DECODE`);
   * - `LARS_UDP_SEND_FAILED`: the OS failed a datagram `sendMessage` had accepted;
   * - `LARS_UDP_SOCKET_ERROR`: a socket error while serving (e.g. `ECONNREFUSED`
   *   on a client after an ICMP "port unreachable");
   * - `LARS_HOOK_ERROR`: another hook threw or rejected (a `HookError`).
   *
   * `conn` is undefined for the last two. Default: `logger.warn` for
   * `LARS_ROUTE_UNKNOWN`, `logger.error` for the rest.
   */
  onError?: (err: LarsError, conn: NetConnection | undefined) => HandlerReturn;
  /**
   * Bytes waiting in the socket's send queue (the kernel could not take them
   * yet) passed `highWaterMark`; `sendMessage` returns false from then until
   * {@link onDrain}. Once per crossing. `conn` is the client on a
   * `UdpClient` (the same signature as TCP's `onBackpressure(conn)`), undefined
   * on a `UdpServer` (its one socket serves every peer).
   */
  onBackpressure?: (conn: NetConnection | undefined) => HandlerReturn;
  /** The send queue fell to `lowWaterMark` or under after {@link onBackpressure}. */
  onDrain?: (conn: NetConnection | undefined) => HandlerReturn;
}

