import { createSocket } from "node:dgram";
import type { RemoteInfo, Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import { ConnectionAttributes, SendError } from "@lars/codec";
import type { MessageBody, MessageRouter, NetConnection, RouteHandler } from "@lars/codec";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { EndpointCore, nextUdpId } from "./endpoint-core.js";
import type { UdpStats } from "./endpoint-core.js";
import { UdpClosedError, UdpSocketError } from "./errors.js";
import { resolveUdpOptions } from "./options.js";
import type { ResolvedUdpOptions, UdpClientOptions } from "./options.js";

type ClientState = "idle" | "connecting" | "connected" | "closing" | "closed";

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
  private state: ClientState = "idle";
  private socket: Socket | undefined;
  private socketOpen = false;
  private socketClosing = false;
  private pendingSends = 0;
  private local: AddressInfo | undefined;
  private remote: AddressInfo | undefined;
  private connectPromise: Promise<AddressInfo> | undefined;
  private connectSettle: { resolve: (a: AddressInfo) => void; reject: (e: Error) => void } | undefined;
  private closePromise: Promise<void> | undefined;
  private resolveClose: (() => void) | undefined;
  private closeTimer: TimerHandle | undefined;

  /** Checks the options (throws at once naming a bad field); makes no socket until {@link connect}. */
  constructor(loop: EventLoop, options: UdpClientOptions) {
    super();
    this.loop = loop;
    this.options = resolveUdpOptions(options, "client");
    this.router = this.options.router;
    this.core = new EndpointCore(this.options, this.options.logger ?? loop.logger);
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
    return this.state === "connected";
  }

  /** True from the first `close()` on (also while closing). Sends are then refused. */
  get closed(): boolean {
    return this.state === "closing" || this.state === "closed";
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
    if (this.connectPromise !== undefined) return this.connectPromise;
    if (this.closed) {
      this.connectPromise = Promise.reject(new UdpClosedError("udp client"));
      return this.connectPromise;
    }
    this.loop.own(this);
    this.state = "connecting";
    this.connectPromise = new Promise<AddressInfo>((resolve, reject) => {
      this.connectSettle = { resolve, reject };
    });
    const o = this.options;
    const socket = createSocket({
      type: o.type,
      ...(o.recvBufferSize !== undefined && { recvBufferSize: o.recvBufferSize }),
      ...(o.sendBufferSize !== undefined && { sendBufferSize: o.sendBufferSize }),
    });
    this.socket = socket;
    socket.on("error", this.onSocketError);
    socket.on("message", this.onMessage);
    socket.connect(o.port, o.host, this.onConnected);
    return this.connectPromise;
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
    const socket = this.socket;
    if (this.state !== "connected" || socket === undefined) {
      throw this.core.refuse(
        this.closed
          ? new SendError("LARS_CONN_CLOSED", `udp client ${this.id} is closed`)
          : new SendError("LARS_NOT_CONNECTED", `udp client ${this.id} is not connected yet: await connect() first`),
      );
    }
    const frame = this.core.encode(data, msgid, socket.getSendQueueSize());
    this.pendingSends++;
    socket.send(frame, this.onSent);
    return this.core.afterSend(socket.getSendQueueSize());
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
    if (this.closePromise !== undefined) return this.closePromise;
    const previous = this.state;
    this.state = "closing";
    this.closePromise = new Promise<void>((resolve) => {
      this.resolveClose = resolve;
    });
    if (previous === "idle") {
      this.finish();
    } else if (previous === "connecting") {
      this.settleConnect(new UdpClosedError("udp client"));
      this.closeSocket();
    } else {
      const wait = deadlineMs ?? this.options.closeTimeoutMs;
      if (this.pendingSends === 0 || !(wait > 0) || this.loop.stopped) this.closeSocket();
      else this.closeTimer = this.loop.runAfter(wait, this.closeSocket);
    }
    return this.closePromise;
  }

  /** Counters and the current send queue. Cheap; allowed at any time, also after close. */
  stats(): UdpStats {
    return this.core.stats(this.socketOpen && this.socket !== undefined ? this.socket.getSendQueueSize() : 0);
  }

  private readonly onConnected = (err?: Error): void => {
    const socket = this.socket;
    if (this.state !== "connecting" || socket === undefined) return;
    if (err) {
      this.settleConnect(new UdpSocketError("connect", err));
      void this.close();
      return;
    }
    this.state = "connected";
    this.socketOpen = true;
    this.local = socket.address();
    this.remote = socket.remoteAddress();
    this.connectSettle?.resolve(this.local);
    this.connectSettle = undefined;
  };

  private readonly onMessage = (datagram: Buffer, rinfo: RemoteInfo): void => {
    if (this.state !== "connected") {
      this.core.ignore(datagram);
      return;
    }
    if (!this.core.accept(datagram, rinfo.address, rinfo.port)) return;
    this.core.dispatch(datagram, this);
  };

  private readonly onSent = (err: Error | null): void => {
    this.pendingSends--;
    this.core.sent(err, this.socketOpen && this.socket !== undefined ? this.socket.getSendQueueSize() : 0);
    if (this.state === "closing" && this.pendingSends === 0) this.closeSocket();
  };

  private readonly onSocketError = (err: Error): void => {
    if (this.state === "connecting") {
      this.settleConnect(new UdpSocketError("connect", err));
      void this.close();
      return;
    }
    this.core.socketError(err);
  };

  private settleConnect(err: Error): void {
    this.connectSettle?.reject(err);
    this.connectSettle = undefined;
  }

  private readonly closeSocket = (): void => {
    if (this.socketClosing) return;
    this.socketClosing = true;
    this.closeTimer?.cancel();
    this.socketOpen = false;
    const socket = this.socket;
    if (socket === undefined) {
      this.finish();
      return;
    }
    socket.close(this.finish);
  };

  private readonly finish = (): void => {
    if (this.state === "closed") return;
    this.state = "closed";
    this.clearAttrs();
    this.loop.disown(this);
    this.resolveClose?.();
  };
}
