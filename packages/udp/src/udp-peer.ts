import { ConnectionAttributes, SendError } from "@lars/codec";
import type { MessageBody, NetConnection } from "@lars/codec";
import { nextUdpId } from "./endpoint-core.js";

/** What a {@link UdpPeer} needs from its server. */
export interface UdpPeerOwner {
  /** True once the server is closing or closed. */
  readonly closed: boolean;
  /** Send one frame as one datagram to `address:port` (see `UdpServer.sendTo`). */
  sendTo(data: MessageBody, msgid: number, address: string, port: number): boolean;
}

/**
 * The sender of one datagram, as a server's route handler sees it (`conn`).
 * UDP has no connection, so a `UdpPeer` is only an address: a small object
 * made for each valid datagram, no socket and no buffer of its own.
 *
 * - `sendMessage` sends one datagram back to `remoteAddress:remotePort`
 *   through the server's socket. It works as long as the server is open, so
 *   a handler may keep the peer to answer later (after an async lookup).
 * - Attributes (`setAttr`/`getAttr`) belong to this object only: the next
 *   datagram from the same address and port gets a new peer without them.
 *   Keep per-sender state yourself (e.g. a bounded map keyed by
 *   `${remoteAddress}:${remotePort}`) if you need it — any address can send
 *   a datagram, so an implicit per-sender table would be an unbounded or
 *   arbitrarily evicted one.
 * - `close()` closes this peer only: its later sends are refused
 *   (`LARS_CONN_CLOSED`); the server and other peers are untouched.
 * - `id` is unique in the process, one per datagram.
 */
export class UdpPeer extends ConnectionAttributes implements NetConnection {
  readonly id = nextUdpId();
  readonly transport = "udp";
  readonly remoteAddress: string;
  readonly remotePort: number;
  private readonly owner: UdpPeerOwner;
  private isClosed = false;

  constructor(owner: UdpPeerOwner, remoteAddress: string, remotePort: number) {
    super();
    this.owner = owner;
    this.remoteAddress = remoteAddress;
    this.remotePort = remotePort;
  }

  /** True after `close()` or once the server is closing. */
  get closed(): boolean {
    return this.isClosed || this.owner.closed;
  }

  /**
   * Send one frame back to this peer as one datagram. True when handed to
   * the socket below its high-water mark, false when past it. Throws when
   * refused (nothing sent): `LARS_CONN_CLOSED`, `LARS_FRAME_TOO_LONG`,
   * `LARS_INVALID_MSGID`, `LARS_OUTPUT_FULL`. Allowed inside handlers and hooks.
   */
  sendMessage(data: MessageBody, msgid: number): boolean {
    if (this.isClosed) throw new SendError("LARS_CONN_CLOSED", `udp peer ${this.remoteAddress}:${this.remotePort} is closed`);
    return this.owner.sendTo(data, msgid, this.remoteAddress, this.remotePort);
  }

  /** Refuse further sends through this peer. Idempotent; the server is not affected. */
  close(): void {
    this.isClosed = true;
  }
}
