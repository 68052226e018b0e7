import type { Server, Socket } from "node:net";
import { createServer as createTlsServer } from "node:tls";
import type { TLSSocket } from "node:tls";
import { LarsError } from "@lars/iobuf";
import type { ResolvedTcpServerOptions } from "./options.js";

/**
 * A `tls.Server` that handshakes the sockets it accepts (single process)
 * or is fed with `emit("connection", socket)` (a worker: it never listens).
 * Either way the handshake, its timeout, client-certificate verification
 * (`rejectUnauthorized` is enforced by tls.Server after the handshake, not
 * by a bare TLSSocket) and error reporting are those of `node:tls`.
 */
export function createHandshakeServer(
  options: ResolvedTcpServerOptions,
  onSecure: (socket: TLSSocket) => void,
  onFailed: (err: Error, socket: TLSSocket) => void,
): Server {
  const server = createTlsServer({ ...options.tls, handshakeTimeout: options.handshakeTimeoutMs }, onSecure);
  server.on("tlsClientError", onFailed);
  return server;
}

/** The raw TCP socket a TLS socket runs over (undefined for a plain socket). */
export function rawSocketOf(socket: Socket): Socket | undefined {
  return (socket as Socket & { _parent?: Socket })._parent;
}

/** Drop a socket whose handshake failed; returns the `LARS_TLS_HANDSHAKE` error saying what really happened. */
export function failHandshake(err: Error, socket: TLSSocket): LarsError {
  const remote = socket.remoteAddress;
  socket.destroy();
  // A refused client certificate shows up as a hang-up; say so.
  const refused = socket.authorizationError;
  const why = refused !== undefined && refused !== null ? `client certificate refused (${String(refused)})` : err.message;
  return new LarsError("LARS_TLS_HANDSHAKE", `TLS handshake with ${remote ?? "?"} failed: ${why}`, { cause: err });
}
