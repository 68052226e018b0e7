import { HEADER_LENGTH, SendError, bodyLength } from "@lars/codec";
import type { MessageBody } from "@lars/codec";
import type { QueuedMessage } from "./hooks.js";
import type { QueueBounds } from "./options.js";

/**
 * The bounded FIFO of messages sent while disconnected. Bodies are copied
 * on entry (strings are immutable and kept as they are), so the caller may
 * reuse its buffer at once. Bytes count whole frames, headers included.
 * Pure: no socket, no timer.
 */
export class SendQueue {
  private items: QueuedMessage[] = [];
  private bytesHeld = 0;

  constructor(
    private readonly bounds: QueueBounds,
    private readonly target: string,
  ) {}

  get length(): number {
    return this.items.length;
  }

  /** Frame bytes held, headers included. */
  get bytes(): number {
    return this.bytesHeld;
  }

  /**
   * Copy `data` into the queue. The caller checked msgid and body length.
   * @throws SendError `LARS_QUEUE_FULL` when it would pass either bound; nothing is queued then.
   */
  push(data: MessageBody, msgid: number): void {
    const frameBytes = HEADER_LENGTH + bodyLength(data);
    if (this.items.length >= this.bounds.maxMessages || this.bytesHeld + frameBytes > this.bounds.maxBytes) {
      throw new SendError(
        "LARS_QUEUE_FULL",
        `${this.target}: not connected and the send queue is full (${this.items.length} of ${this.bounds.maxMessages} messages, ` +
          `${this.bytesHeld} of ${this.bounds.maxBytes} bytes); message msgid ${msgid} refused`,
      );
    }
    const body = typeof data === "string" ? data : Buffer.from(data);
    this.items.push({ msgid, body });
    this.bytesHeld += frameBytes;
  }

  /** Remove and return everything held, oldest first. */
  takeAll(): QueuedMessage[] {
    const items = this.items;
    this.items = [];
    this.bytesHeld = 0;
    return items;
  }
}
