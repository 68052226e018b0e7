import { createSocket } from "node:dgram";
import type { RemoteInfo } from "node:dgram";
import type { AddressInfo } from "node:net";
import { SendError } from "@lars/codec";
import type { MessageBody, MessageRouter, NetConnection, RouteHandler } from "@lars/codec";
import type { EventLoop, LoopResource } from "@lars/event-loop";
import { EndpointCore } from "./endpoint-core.js";
import type { UdpStats } from "./endpoint-core.js";
import { bindError } from "./errors.js";
import { resolveUdpOptions } from "./options.js";
import type { ResolvedUdpOptions, UdpServerOptions } from "./options.js";
import { SocketLifecycle } from "./socket-lifecycle.js";
import { UdpPeer } from "./udp-peer.js";
import type { UdpPeerOwner } from "./udp-peer.js";

/**
 * A Lars UDP server (C++ `udp_server`): one bound datagram socket, one frame
 * per datagram, routed by msgid through a {@link MessageRouter} — the same
 * router type and handlers as TCP.
 *
 * Each valid datagram is handed to its route handler with a {@link UdpPeer}
 * as `conn`: replying with `conn.sendMessage(...)` sends one datagram back to
 * the sender through this server's socket. The handler's `body` is a view of
 * the received datagram, valid during the call only (copy it to keep it).
 *
 * A datagram that is not exactly one valid frame is dropped and reported
 * (`onDatagramDropped` / `onError` / logger); the socket goes on serving.
 *
 * Lifecycle: `bind()` (alias `listen()`) makes the socket and registers the
 * server with its loop (`loop.own`), so `loop.stop()` closes it; `close()`
 * waits for datagrams already handed to the socket, closes it and resolves.
 * The only code of the server that touches a socket is in this file.
 */
export class UdpServer implements LoopResource, UdpPeerOwner {
  readonly loop: EventLoop;
  /** The routes of this server (the `router` option, or its own). */
  readonly router: MessageRouter<NetConnection>;
  private readonly options: ResolvedUdpOptions;
  private readonly core: EndpointCore;
  private readonly life: SocketLifecycle;
  private bound: AddressInfo | undefined;

  /**
   * Checks the options (throws at once naming a bad field); makes no socket
   * until {@link bind}.
   */
  constructor(loop: EventLoop, options: UdpServerOptions) {
    this.loop = loop;
    this.options = resolveUdpOptions(options, "server");
    this.router = this.options.router;
    this.core = new EndpointCore(this.options, this.options.logger ?? loop.logger);
    this.life = new SocketLifecycle(loop, this, "udp server", this.options.closeTimeoutMs, () => {});
  }

  /** True from the first `close()` on (also while closing). Sends are then refused. */
  get closed(): boolean {
    return this.life.closed;
  }

  /** True while bound and serving. */
  get listening(): boolean {
    return this.life.state === "open";
  }

  /** Largest body accepted both ways, bytes. */
  get maxMessageLength(): number {
    return this.options.maxMessageLength;
  }

  /** The bound address (with the real port when bound to port 0); undefined before `bind()` resolves. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  /**
   * Route frames of `msgid` to `handler` (C++ `add_msg_router`); `userData`
   * is passed on every call. Allowed at any time, also while serving.
   * @throws DuplicateRouteError (`LARS_ROUTE_DUPLICATE`), InvalidMsgidError.
   */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Bind the socket to `host:port` and start serving. Resolves with the bound
   * address (port 0 → the port chosen by the OS). Idempotent: every call
   * returns the same promise. Rejects with {@link AddressInUseError}
   * (`LARS_ADDRESS_IN_USE`: the port is taken), another {@link UdpSocketError}
   * (`LARS_UDP_BIND_FAILED`; in both cases the server is then closed)
   * or {@link UdpClosedError} (`LARS_UDP_CLOSED`) when closed first.
   * @throws LoopStoppedError when the loop has stopped.
   */
  bind(): Promise<AddressInfo> {
    return this.life.open(() => {
      const o = this.options;
      const socket = createSocket({
        type: o.type,
        reuseAddr: o.reuseAddr,
        ...(o.recvBufferSize !== undefined && { recvBufferSize: o.recvBufferSize }),
        ...(o.sendBufferSize !== undefined && { sendBufferSize: o.sendBufferSize }),
      });
      socket.on("error", this.onSocketError);
      socket.on("message", this.onMessage);
      socket.bind({ port: o.port, address: o.host }, this.onListening);
      return socket;
    });
  }

  /** Same as {@link bind}. */
  listen(): Promise<AddressInfo> {
    return this.bind();
  }

  /**
   * Send one frame as one datagram to `address:port` (what `UdpPeer.sendMessage`
   * does). The frame is encoded into a fresh buffer at once, so `data` may be
   * reused as soon as this returns. True when handed to the socket with its
   * send queue under `highWaterMark`, false past it (see `onBackpressure`).
   * Throws when refused, and then nothing is sent: `LARS_FRAME_TOO_LONG`
   * (body over `maxMessageLength`), `LARS_INVALID_MSGID`, `LARS_OUTPUT_FULL`
   * (send queue at `sendQueueCap`), `LARS_NOT_CONNECTED` (not bound yet),
   * `LARS_CONN_CLOSED` (closing or closed). A failure the OS reports later
   * goes to `onError` (`LARS_UDP_SEND_FAILED`). Allowed inside handlers and hooks.
   */
  sendTo(data: MessageBody, msgid: number, address: string, port: number): boolean {
    const socket = this.life.socket;
    if (this.life.state !== "open" || socket === undefined) {
      throw this.core.refuse(
        this.closed
          ? new SendError("LARS_CONN_CLOSED", "udp server is closed")
          : new SendError("LARS_NOT_CONNECTED", "udp server is not bound yet"),
      );
    }
    const frame = this.core.encode(data, msgid, socket.getSendQueueSize());
    this.life.sending();
    socket.send(frame, port, address, this.onSent);
    return this.core.afterSend(socket.getSendQueueSize());
  }

  /**
   * Stop serving: datagrams received from now on are ignored, sends are
   * refused; datagrams already handed to the socket get up to `deadlineMs`
   * (default `closeTimeoutMs`) to reach the kernel; then the socket closes,
   * the loop forgets the server, and the promise resolves. Idempotent: every
   * call returns the same promise, which never rejects. A `bind()` still in
   * progress rejects with `LARS_UDP_CLOSED`. Allowed inside handlers and hooks.
   */
  close(deadlineMs?: number): Promise<void> {
    return this.life.close(deadlineMs);
  }

  /**
   * Resolves once the server is closed for good — its socket closed, the
   * loop no longer owning it — whoever closed it: `close()`, `loop.stop()`,
   * or a `bind()` that failed. Never rejects and never closes anything
   * itself; the same promise `close()` returns (already resolved once closed).
   * The same name as `TcpConn.whenClosed()` and `TcpClient.whenClosed()`.
   */
  whenClosed(): Promise<void> {
    return this.life.whenClosed();
  }

  /** Counters and the current send queue. Cheap; allowed at any time, also after close. */
  stats(): UdpStats {
    return this.core.stats(this.life.queuedBytes());
  }

  private readonly onListening = (): void => {
    const socket = this.life.socket;
    if (this.life.state !== "opening" || socket === undefined) return;
    this.bound = socket.address();
    this.life.opened(this.bound);
  };

  private readonly onMessage = (datagram: Buffer, rinfo: RemoteInfo): void => {
    if (this.life.state !== "open") {
      this.core.ignore(datagram);
      return;
    }
    if (!this.core.accept(datagram, rinfo.address, rinfo.port)) return;
    this.core.dispatch(datagram, new UdpPeer(this, rinfo.address, rinfo.port));
  };

  private readonly onSent = (err: Error | null): void => {
    this.core.sent(err, this.life.queuedBytes());
    this.life.sent();
  };

  private readonly onSocketError = (err: Error): void => {
    if (this.life.state === "opening") {
      this.life.openFailed(bindError(this.options.host, this.options.port, err));
      return;
    }
    this.core.socketError(err);
  };
}
