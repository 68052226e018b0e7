// The Lars frame over plain node:net, written the way a competent Node
// developer would without a framework: a streaming decoder that keeps the
// leftover bytes of a chunk and Buffer.concat's them with the next one, and
// an encoder that allocates one Buffer per frame (Buffer.allocUnsafe, which
// slices Node's 8 KiB pool for small sizes). Used by the "raw" and
// "raw-batched" contenders.
import { HEADER_LENGTH, MAX_BODY } from "./common.mjs";

/** One frame: header + body in a new Buffer. */
export function encodeFrame(msgid, body) {
  const frame = Buffer.allocUnsafe(HEADER_LENGTH + body.length);
  frame.writeInt32LE(msgid, 0);
  frame.writeInt32LE(body.length, 4);
  body.copy(frame, HEADER_LENGTH);
  return frame;
}

/**
 * Streaming decoder: `push(chunk)` calls `onFrame(msgid, body)` for every
 * whole frame, `body` being a view into the chunk (or into the concatenation
 * of the leftover and the chunk). Throws on an invalid header.
 */
export class FrameReader {
  constructor(onFrame) {
    this.onFrame = onFrame;
    this.leftover = null;
  }

  push(chunk) {
    const buf = this.leftover === null ? chunk : Buffer.concat([this.leftover, chunk]);
    const end = buf.length;
    let off = 0;
    while (end - off >= HEADER_LENGTH) {
      const msgid = buf.readInt32LE(off);
      const len = buf.readInt32LE(off + 4);
      if (len < 0 || len > MAX_BODY) throw new Error(`bad frame header: msgid ${msgid}, length ${len}`);
      const frameEnd = off + HEADER_LENGTH + len;
      if (frameEnd > end) break;
      this.onFrame(msgid, buf.subarray(off + HEADER_LENGTH, frameEnd));
      off = frameEnd;
    }
    this.leftover = off === end ? null : buf.subarray(off);
  }
}

/**
 * Per-turn write batching for raw-batched: frames queued during one loop
 * turn are collected per socket and written with one `socket.write`
 * (Buffer.concat of the turn's frames) from one setImmediate for the process.
 */
export class TurnBatcher {
  constructor() {
    this.dirty = [];
    this.scheduled = false;
    this.flush = () => {
      this.scheduled = false;
      const dirty = this.dirty;
      for (let i = 0; i < dirty.length; i++) {
        const c = dirty[i];
        const out = c.out;
        if (!c.socket.destroyed) c.socket.write(out.length === 1 ? out[0] : Buffer.concat(out));
        out.length = 0;
      }
      dirty.length = 0;
    };
  }

  /** `c` is `{ socket, out: Buffer[] }`. */
  queue(c, frame) {
    if (c.out.length === 0) {
      this.dirty.push(c);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(this.flush);
      }
    }
    c.out.push(frame);
  }
}
