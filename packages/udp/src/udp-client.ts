import { createSocket } from "node:dgram";
import type { RemoteInfo } from "node:dgram";
import type { AddressInfo } from "node:net";
import { ConnectionAttributes, HEADER_LENGTH, SendError } from "@lars/codec";
import type { MessageBody, MessageRouter, NetConnection, RouteHandler } from "@lars/codec";
import type { EventLoop, LoopResource } from "@lars/event-loop";
import { EndpointCore, nextUdpId } from "./endpoint-core.js";
import type { UdpStats } from "./endpoint-core.js";
import { UdpRequestError, UdpSocketError } from "./errors.js";
import { datagramMsgid } from "./datagram.js";
import { resolveUdpOptions, resolveUdpRequestOptions } from "./options.js";
import { SocketLifecycle } from "./socket-lifecycle.js";
import { UdpRequests } from "./udp-requests.js";
import type { UdpRequestOptions } from "./udp-requests.js";
import type { ResolvedUdpOptions, UdpClientOptions } from "./options.js";

/**
 * A Lars UDP client (C++ `udp_client`): a connected datagram socket
 * (`socket.connect`) to one server, one frame per datagram. The client is
 * itself the {@link NetConnection} its route handlers receive as `conn`, so
 * a handler answers the server with `conn.sendMessage(...)`.
 *
 * Sending before {@link connect} has resolved is refused with
 * `LARS_NOT_CONNECTED` (nothing is queued behind your back: UDP gives no
 * delivery promise, and a hidden queue would only hide that): `await
 * client.connect()` first. Being connected only means the socket has a
 * default destination; it says nothing about the server being there. The
 * kernel delivers to this socket only datagrams from that server.
 *
 * A datagram that is not exactly one valid frame is dropped and reported;
 * an ICMP "port unreachable" (no server) arrives as `onError`
 * `LARS_UDP_SOCKET_ERROR` (`ECONNREFUSED`), and the client stays usable.
 * The only code of the client that touches a socket is in this file.
 */
export class UdpClient extends ConnectionAttributes implements NetConnection, LoopResource {
  readonly id = nextUdpId();
  readonly transport = "udp";
  readonly loop: EventLoop;
  /** The routes of this client (the `router` option, or its own). */
  readonly router: MessageRouter<NetConnection>;
  private readonly options: ResolvedUdpOptions;
  private readonly core: EndpointCore;
  private readonly requests: UdpRequests;
  private readonly life: SocketLifecycle;
  private local: AddressInfo | undefined;
  private remote: AddressInfo | undefined;

  /** Checks the options (throws at once naming a bad field); makes no socket until {@link connect}. */
  constructor(loop: EventLoop, options: UdpClientOptions) {
    super();
    this.loop = loop;
    this.options = resolveUdpOptions(options, "client");
    this.router = this.options.router;
    this.core = new EndpointCore(this.options, this.options.logger ?? loop.logger, this);
    const r = resolveUdpRequestOptions(options);
    this.requests = new UdpRequests(r.maxPendingRequests, r.requestTimeoutMs);
    this.life = new SocketLifecycle(loop, this, "udp client", this.options.closeTimeoutMs, () => this.clearAttrs());
  }

  /** `request()` calls waiting for their reply now. */
  get pendingRequests(): number {
    return this.requests.pending;
  }

  /** The server's address: the resolved IP once connected, the `host` option before. */
  get remoteAddress(): string {
    return this.remote?.address ?? this.options.host;
  }

  get remotePort(): number {
    return this.remote?.port ?? this.options.port;
  }

  /** True once connected and until closed. */
  get connected(): boolean {
    return this.life.state === "open";
  }

  /** True from the first `close()` on (also while closing). Sends are then refused. */
  get closed(): boolean {
    return this.life.closed;
  }

  /** Largest body accepted both ways, bytes. */
  get maxMessageLength(): number {
    return this.options.maxMessageLength;
  }

  /** The local address of the socket; undefined before `connect()` resolves. */
  address(): AddressInfo | undefined {
    return this.local;
  }

  /**
   * Route frames of `msgid` from the server to `handler` (C++ `add_msg_router`).
   * @throws DuplicateRouteError (`LARS_ROUTE_DUPLICATE`), InvalidMsgidError.
   */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Make the socket, bind it to an ephemeral local port and connect it to
   * `host:port` (a hostname is resolved once, here). Resolves with the local
   * address. Idempotent: every call returns the same promise. Rejects with
   * {@link UdpSocketError} (`LARS_UDP_CONNECT_FAILED`, e.g. an unresolvable
   * host; the client is then closed) or {@link UdpClosedError} (`LARS_UDP_CLOSED`).
   * @throws LoopStoppedError when the loop has stopped.
   */
  connect(): Promise<AddressInfo> {
    return this.life.open(() => {
      const o = this.options;
      const socket = createSocket({
        type: o.type,
        ...(o.recvBufferSize !== undefined && { recvBufferSize: o.recvBufferSize }),
        ...(o.sendBufferSize !== undefined && { sendBufferSize: o.sendBufferSize }),
      });
      socket.on("error", this.onSocketError);
      socket.on("message", this.onMessage);
      socket.connect(o.port, o.host, this.onConnected);
      return socket;
    });
  }

  /**
   * Send one frame to the server as one datagram. The frame is encoded into
   * a fresh buffer at once, so `data` may be reused as soon as this returns.
   * True when handed to the socket with its send queue under `highWaterMark`,
   * false past it. Throws when refused, and then nothing is sent:
   * `LARS_NOT_CONNECTED` (before `connect()` resolved), `LARS_CONN_CLOSED`,
   * `LARS_FRAME_TOO_LONG`, `LARS_INVALID_MSGID`, `LARS_OUTPUT_FULL`. A failure
   * the OS reports later goes to `onError` (`LARS_UDP_SEND_FAILED`).
   * Allowed inside handlers and hooks.
   */
  sendMessage(data: MessageBody, msgid: number): boolean {
    const socket = this.life.socket;
    if (this.life.state !== "open" || socket === undefined) {
      throw this.core.refuse(
        this.closed
          ? new SendError("LARS_CONN_CLOSED", `udp client ${this.id} is closed`)
          : new SendError("LARS_NOT_CONNECTED", `udp client ${this.id} is not connected yet: await connect() first`),
      );
    }
    const frame = this.core.encode(data, msgid, socket.getSendQueueSize());
    this.life.sending();
    socket.send(frame, this.onSent);
    return this.core.afterSend(socket.getSendQueueSize());
  }

  /**
   * Send one frame and resolve with the body of the first reply on
   * `replyMsgid` (default: `msgid`) that belongs to it — a copy, yours to
   * keep. The reply is consumed: it does not reach the router.
   *
   * UDP may drop and reorder datagrams, so replies are never matched by
   * position. Without keys, one request at a time may wait per reply msgid
   * (a second is refused with `LARS_REQUEST_BUSY`); give `requestKey` and
   * `replyKey` (e.g. the `seq` of a Lars GetHost message) to run many at once,
   * each matched exactly. A frame on the reply msgid that matches no request
   * goes to the router as usual (server pushes keep working).
   *
   * Rejects with {@link UdpRequestError} (`LARS_REQUEST_TIMEOUT` after
   * `timeoutMs`, `LARS_REQUEST_ABORTED` when `signal` fires,
   * `LARS_REQUEST_BUSY`, `LARS_CONN_CLOSED` when the client closes first),
   * {@link UdpRequestQueueFullError} (`LARS_REQUEST_QUEUE_FULL`: past
   * `maxPendingRequests`; nothing is sent), or what `sendMessage` throws
   * (e.g. `LARS_NOT_CONNECTED`, `LARS_FRAME_TOO_LONG`; nothing is sent).
   * @throws InvalidArgumentError (`LARS_INVALID_ARGUMENT`) for bad options.
   */
  request(data: MessageBody, msgid: number, options: UdpRequestOptions = {}): Promise<Buffer> {
    const body = typeof data === "string" ? Buffer.from(data, "utf8") : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    return this.requests.add(msgid, body, options, () => {
      this.sendMessage(body, msgid);
    });
  }

  /**
   * Stop: received datagrams are ignored and sends refused from now on;
   * datagrams already handed to the socket get up to `deadlineMs` (default
   * `closeTimeoutMs`) to reach the kernel; then the socket closes, the loop
   * forgets the client, attributes are dropped and the promise resolves.
   * Idempotent: every call returns the same promise, which never rejects.
   * A `connect()` in progress rejects with `LARS_UDP_CLOSED`. Allowed inside
   * handlers and hooks (as `NetConnection.close()`, the promise may be ignored).
   */
  // The promise never rejects, so callers through NetConnection's `close(): void` lose nothing by ignoring it.
  // eslint-disable-next-line @typescript-eslint/no-misused-promises
  close(deadlineMs?: number): Promise<void> {
    const closing = this.life.close(deadlineMs);
    this.requests.failAll((msgid, replyMsgid) => new UdpRequestError("LARS_CONN_CLOSED", msgid, replyMsgid, "the client closed"));
    return closing;
  }

  /**
   * Resolves once the client is closed for good — its socket closed, the
   * loop no longer owning it, its attributes dropped — whoever closed it:
   * `close()`, `loop.stop()`, or a `connect()` that failed. Never rejects
   * and never closes anything itself; the same promise `close()` returns
   * (already resolved once closed). The same name as `TcpConn.whenClosed()`
   * and `TcpClient.whenClosed()`.
   */
  whenClosed(): Promise<void> {
    return this.life.whenClosed();
  }

  /** Counters and the current send queue. Cheap; allowed at any time, also after close. */
  stats(): UdpStats {
    return this.core.stats(this.life.queuedBytes());
  }

  private readonly onConnected = (err?: Error): void => {
    const socket = this.life.socket;
    if (this.life.state !== "opening" || socket === undefined) return;
    if (err) {
      this.life.openFailed(new UdpSocketError("connect", err));
      return;
    }
    this.local = socket.address();
    this.remote = socket.remoteAddress();
    this.life.opened(this.local);
  };

  private readonly onMessage = (datagram: Buffer, rinfo: RemoteInfo): void => {
    if (this.life.state !== "open") {
      this.core.ignore(datagram);
      return;
    }
    if (!this.core.accept(datagram, rinfo.address, rinfo.port)) return;
    const msgid = datagramMsgid(datagram);
    if (this.requests.awaits(msgid) && this.requests.reply(msgid, datagram.subarray(HEADER_LENGTH))) {
      this.core.delivered();
      return;
    }
    this.core.dispatch(datagram, this);
  };

  private readonly onSent = (err: Error | null): void => {
    this.core.sent(err, this.life.queuedBytes());
    this.life.sent();
  };

  private readonly onSocketError = (err: Error): void => {
    if (this.life.state === "opening") {
      this.life.openFailed(new UdpSocketError("connect", err));
      return;
    }
    this.core.socketError(err);
  };
}
