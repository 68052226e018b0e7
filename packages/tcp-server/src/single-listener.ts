import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { LarsError } from "@lars/iobuf";
import { ServerStateError, listenError } from "./errors.js";
import { ServingProcess } from "./serving-process.js";
import { createHandshakeServer, failHandshake, rawSocketOf } from "./tls-handshake.js";

/**
 * The only process of a server (`workers: 0`): it listens, accepts up to
 * `maxConn` and serves what it accepts. With TLS, raw sockets still in
 * their handshake count against `maxConn` too, so idle handshakes cannot
 * get past the limit.
 */
export class SingleListener extends ServingProcess {
  readonly role = "single";
  private server: Server | undefined;
  /** TLS: raw sockets accepted whose handshake is not done. They count against `maxConn`. */
  private readonly handshaking = new Set<Socket>();
  /** Raw TLS sockets refused by maxConn: their failed handshake is not a TLS error. */
  private readonly refusedRaw = new WeakSet<Socket>();
  /** Set while listen() is pending, so close() can settle it. */
  private rejectListen: ((err: Error) => void) | undefined;

  listen(): Promise<AddressInfo> {
    const { options, reporter } = this.ctx;
    const server = options.tls === undefined ? createServer({ noDelay: true }, (socket) => this.accept(socket)) : this.createTlsServer();
    this.server = server;
    const { host, port, backlog } = options;
    return new Promise<AddressInfo>((resolve, reject) => {
      const onError = (err: Error): void => {
        this.server = undefined;
        this.rejectListen = undefined;
        reject(listenError(host, port, err));
      };
      this.rejectListen = reject;
      server.once("error", onError);
      server.listen({ host, port, backlog }, () => {
        server.off("error", onError);
        this.rejectListen = undefined;
        if (this.closing) {
          // close() came first: do not keep a listening handle it no longer waits for.
          server.close();
          reject(new ServerStateError("server closed before listening"));
          return;
        }
        server.on("error", (err) => reporter.report(new LarsError("LARS_SERVER_ERROR", err.message, { cause: err }), undefined));
        this.table.startSweep();
        resolve(server.address() as AddressInfo);
      });
    });
  }

  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    this.rejectListen?.(new ServerStateError("server closed before listening"));
    this.rejectListen = undefined;
    const server = this.server;
    const listening = server === undefined ? Promise.resolve() : new Promise<void>((resolve) => server.close(() => resolve()));
    // Peers still in the TLS handshake have no Lars connection to drain: drop them now, so an idle
    // raw peer cannot hold server.close() (net.Server waits for every socket it accepted).
    for (const raw of this.handshaking) raw.destroy();
    this.handshaking.clear();
    await this.table.drain(deadlineMs);
    await listening;
  }

  private accept(socket: Socket): void {
    // TLS: the raw socket under this one was counted (and let in) by acceptRaw; it is a connection now.
    const raw = rawSocketOf(socket);
    const wasHandshaking = raw !== undefined && this.handshaking.delete(raw);
    if (this.closing || (!wasHandshaking && this.table.size >= this.ctx.options.maxConn)) {
      this.table.refuse(socket, this.closing);
      return;
    }
    this.table.add(socket);
  }

  private createTlsServer(): Server {
    const server = createHandshakeServer(
      this.ctx.options,
      (socket) => this.accept(socket),
      (err, socket) => this.onTlsError(err, socket),
    );
    // prependListener: refuse past maxConn before tls.Server starts a handshake on the socket.
    server.prependListener("connection", (raw: Socket) => this.acceptRaw(raw));
    return server;
  }

  /** TLS: a raw socket arrived; refuse it past `maxConn` (handshakes counted) or while closing. */
  private acceptRaw(raw: Socket): void {
    if (this.closing || this.table.size + this.handshaking.size >= this.ctx.options.maxConn) {
      this.refusedRaw.add(raw);
      this.table.refuse(raw, this.closing);
      return;
    }
    this.handshaking.add(raw);
    raw.once("close", () => this.handshaking.delete(raw));
  }

  /** A TLS handshake failed (tls.Server `tlsClientError`, once per socket): count, drop, report. */
  private onTlsError(err: Error, socket: TLSSocket): void {
    const raw = rawSocketOf(socket);
    if (raw !== undefined && this.refusedRaw.has(raw)) {
      socket.destroy(); // refused by maxConn, counted as such already
      return;
    }
    this.table.counters.tlsErrors++;
    this.ctx.reporter.report(failHandshake(err, socket), undefined);
  }
}
