import type { MessageBody } from "./frame.js";

/** Attribute keys: strings, or symbols for keys private to a module. */
export type AttributeKey = string | symbol;

/**
 * What every Lars sender is (C++ `net_connection`): a TCP server connection,
 * a TCP client, a UDP peer, or an in-memory connection in tests. Route
 * handlers are written once against this interface.
 */
export interface NetConnection {
  /** Stable id, unique among the connections of one server or client process. */
  readonly id: number;
  /** `"tcp"`, `"udp"` or `"memory"`. */
  readonly transport: string;
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  /** True once closed (by either side); sending is then refused. */
  readonly closed: boolean;

  /**
   * Send one frame. Returns true when accepted and the output is below its
   * high-water mark, false when accepted but past it (slow down until the
   * transport's drain signal). A refused message throws and is not sent:
   * `LARS_FRAME_TOO_LONG`, `LARS_INVALID_MSGID`, `LARS_OUTPUT_FULL`,
   * `LARS_NOT_CONNECTED` / `LARS_CONN_CLOSED`. Allowed inside handlers and hooks.
   */
  sendMessage(data: MessageBody, msgid: number): boolean;

  /** Per-connection user data (C++ "connection parameters"), typically set in the start hook. */
  getAttr<T = unknown>(key: AttributeKey): T | undefined;
  setAttr(key: AttributeKey, value: unknown): void;
  deleteAttr(key: AttributeKey): boolean;

  /** Close after flushing what was accepted. Idempotent; allowed inside handlers. */
  close(): void;
}
