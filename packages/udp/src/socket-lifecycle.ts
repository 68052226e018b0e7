import type { Socket } from "node:dgram";
import type { AddressInfo } from "node:net";
import type { EventLoop, LoopResource, TimerHandle } from "@lars/event-loop";
import { UdpClosedError } from "./errors.js";

/** Where a UDP server or client is: `opening` is binding / connecting, `open` is bound / connected. */
export type SocketState = "idle" | "opening" | "open" | "closing" | "closed";

/**
 * The one open/close/finish/error state machine of a UDP server and client:
 * an idempotent open promise, an idempotent close promise that never
 * rejects, a close that waits up to a deadline for datagrams already handed
 * to the socket, and loop ownership. The owner makes the socket and calls
 * {@link opened} / {@link openFailed}; everything else is here.
 */
export class SocketLifecycle {
  state: SocketState = "idle";
  socket: Socket | undefined;
  /** True while the socket handle is usable (open and not closing). */
  socketOpen = false;
  private socketClosing = false;
  /** Datagrams handed to the socket whose send callback has not run yet. */
  private pendingSends = 0;
  private openPromise: Promise<AddressInfo> | undefined;
  private openSettle: { resolve: (a: AddressInfo) => void; reject: (e: Error) => void } | undefined;
  private closePromise: Promise<void> | undefined;
  private resolveClose: (() => void) | undefined;
  private closeTimer: TimerHandle | undefined;

  constructor(
    private readonly loop: EventLoop,
    private readonly owner: LoopResource,
    /** `"udp server"` or `"udp client"`, for {@link UdpClosedError}. */
    private readonly what: string,
    private readonly closeTimeoutMs: number,
    /** Runs once, when the socket has closed (before the close promise resolves). */
    private readonly onFinished: () => void,
  ) {}

  /** True from the first `close()` on (also while closing). */
  get closed(): boolean {
    return this.state === "closing" || this.state === "closed";
  }

  /** Bytes waiting in the socket's send queue (0 when it is not usable). */
  queuedBytes(): number {
    return this.socketOpen && this.socket !== undefined ? this.socket.getSendQueueSize() : 0;
  }

  /**
   * Start opening with the socket `make()` returns (the owner then binds or
   * connects it). Idempotent: every call returns the same promise; after
   * `close()` it rejects with `LARS_UDP_CLOSED`.
   */
  open(make: () => Socket): Promise<AddressInfo> {
    if (this.openPromise !== undefined) return this.openPromise;
    if (this.closed) {
      this.openPromise = Promise.reject(new UdpClosedError(this.what));
      return this.openPromise;
    }
    this.loop.own(this.owner);
    this.state = "opening";
    this.openPromise = new Promise<AddressInfo>((resolve, reject) => {
      this.openSettle = { resolve, reject };
    });
    this.socket = make();
    return this.openPromise;
  }

  /** The socket is bound / connected: resolve the open promise with `address`. */
  opened(address: AddressInfo): void {
    this.state = "open";
    this.socketOpen = true;
    this.openSettle?.resolve(address);
    this.openSettle = undefined;
  }

  /** Opening failed: reject the open promise with `err` and close. */
  openFailed(err: Error): void {
    this.settleOpen(err);
    void this.close();
  }

  /** Count a datagram handed to the socket. */
  sending(): void {
    this.pendingSends++;
  }

  /** A send callback ran; the last one while closing closes the socket. */
  sent(): void {
    this.pendingSends--;
    if (this.state === "closing" && this.pendingSends === 0) this.closeSocket();
  }

  /**
   * Resolves once the socket has closed and the loop forgot the owner,
   * whoever closed it (`close()`, `loop.stop()`, a failed open). Never
   * rejects, never starts a close; the same promise `close()` returns.
   * Made only when someone asks (or closes).
   */
  whenClosed(): Promise<void> {
    this.closePromise ??= new Promise<void>((resolve) => {
      this.resolveClose = resolve;
    });
    return this.closePromise;
  }

  /** See `UdpServer.close` / `UdpClient.close`. */
  close(deadlineMs?: number): Promise<void> {
    if (this.closed) return this.whenClosed();
    const previous = this.state;
    this.state = "closing";
    const closed = this.whenClosed();
    if (previous === "idle") {
      this.finish();
    } else if (previous === "opening") {
      this.settleOpen(new UdpClosedError(this.what));
      this.closeSocket();
    } else {
      const wait = deadlineMs ?? this.closeTimeoutMs;
      if (this.pendingSends === 0 || !(wait > 0) || this.loop.stopped) this.closeSocket();
      else this.closeTimer = this.loop.runAfter(wait, this.closeSocket);
    }
    return closed;
  }

  private settleOpen(err: Error): void {
    this.openSettle?.reject(err);
    this.openSettle = undefined;
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
    this.onFinished();
    this.loop.disown(this.owner);
    this.resolveClose?.();
  };
}
