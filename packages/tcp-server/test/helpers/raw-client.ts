import { connect } from "node:net";
import type { Socket } from "node:net";
import { FrameDecoder, encodeFrame } from "@lars/codec";
import type { FrameError, MessageBody } from "@lars/codec";

/** A frame as the raw client received it (the body is a copy). */
export interface RawFrame {
  readonly msgid: number;
  readonly body: Buffer;
}

/** Longest any single wait of a {@link RawClient} may take before it fails the test, ms. */
export const WAIT_MS = 8000;

interface Waiter {
  readonly done: () => boolean;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
  readonly what: string;
  readonly timer: NodeJS.Timeout;
}

/**
 * A Lars peer over a plain `node:net` socket, independent of `@lars/tcp-client`:
 * frames go out through `encodeFrame` (or as raw bytes), everything received
 * goes through a `FrameDecoder` into {@link frames}. Each wait resolves on an
 * event and fails after {@link WAIT_MS} with a message saying what was missing.
 */
export class RawClient {
  readonly socket: Socket;
  /** The client's own port (kept after close, when `socket.localPort` is gone). */
  localPort: number | undefined;
  /** Every frame received, in order. */
  readonly frames: RawFrame[] = [];
  /** Frames received before the socket saw the peer's FIN (`'end'`), or null while not ended. */
  framesAtEnd: number | null = null;
  bytesReceived = 0;
  ended = false;
  closed = false;
  /** The socket error, if any (e.g. ECONNRESET). */
  error: Error | undefined;
  /** A frame error in what the server sent (should never happen). */
  decodeError: FrameError | null = null;
  private readonly decoder: FrameDecoder;
  private readonly waiters = new Set<Waiter>();

  private constructor(socket: Socket, maxMessageLength?: number) {
    this.socket = socket;
    this.decoder = new FrameDecoder({
      maxMessageLength,
      onFrame: (msgid, body) => this.frames.push({ msgid, body: Buffer.from(body) }),
    });
    socket.on("data", (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      if (this.decoder.open) this.decodeError ??= this.decoder.feed(chunk);
      this.check();
    });
    socket.on("end", () => {
      this.ended = true;
      this.framesAtEnd = this.frames.length;
      this.check();
    });
    socket.on("error", (err) => {
      this.error = err;
    });
    socket.on("close", () => {
      this.closed = true;
      this.decoder.close();
      this.check();
    });
  }

  /** Connect to 127.0.0.1:`port`; resolves once connected, rejects on a connect error. */
  static connect(port: number, options: { host?: string; maxMessageLength?: number } = {}): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: options.host ?? "127.0.0.1", noDelay: true });
      const client = new RawClient(socket, options.maxMessageLength);
      const onError = (err: Error): void => reject(err);
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        client.localPort = socket.localPort;
        resolve(client);
      });
    });
  }

  /** Send one frame (encoded with the default 65527 limit unless `max` is given). */
  send(msgid: number, body: MessageBody, max?: number): boolean {
    return this.socket.write(encodeFrame(msgid, body, max));
  }

  /** Write raw bytes; resolves when the write is handed to the kernel. */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      this.socket.write(bytes, (err) => (err ? reject(err) : resolve()));
    });
  }

  /**
   * Write `bytes` one byte per write, yielding to the event loop
   * (`setImmediate`) between writes so each byte leaves as its own segment.
   */
  async writeByteByByte(bytes: Uint8Array): Promise<void> {
    for (let i = 0; i < bytes.length; i++) {
      await this.write(bytes.subarray(i, i + 1));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  /** Resolves once at least `n` frames were received (all of them, in order). Rejects if the socket closes first. */
  async waitFrames(n: number): Promise<RawFrame[]> {
    await this.waitUntil(() => this.frames.length >= n, `${n} frames`, true);
    return this.frames.slice(0, n);
  }

  /** Resolves once the socket has closed (whatever the cause). */
  waitClose(): Promise<void> {
    return this.waitUntil(() => this.closed, "close", false);
  }

  /** Resolves once the peer's FIN arrived (`'end'`) or the socket closed. */
  waitEndOrClose(): Promise<void> {
    return this.waitUntil(() => this.ended || this.closed, "end or close", false);
  }

  /** Send one frame and wait for the next frame to arrive (for ping-pong). */
  async roundTrip(msgid: number, body: MessageBody): Promise<RawFrame> {
    const n = this.frames.length;
    this.send(msgid, body);
    const frames = await this.waitFrames(n + 1);
    return frames[n]!;
  }

  /** Half-close (FIN) and wait for the socket to close. */
  async end(): Promise<void> {
    this.socket.end();
    await this.waitClose();
  }

  /** Abort with a TCP RST and wait for the socket to close. */
  async reset(): Promise<void> {
    this.socket.resetAndDestroy();
    await this.waitClose();
  }

  /** Destroy (if still open) and wait for 'close'. Safe to call at any time. */
  async destroy(): Promise<void> {
    if (!this.socket.destroyed) this.socket.destroy();
    await this.waitClose();
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  private waitUntil(done: () => boolean, what: string, failOnClose: boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`raw client: no ${what} within ${WAIT_MS} ms (${this.describe()})`));
      }, WAIT_MS);
      const waiter: Waiter = {
        done: () => done() || (failOnClose && this.closed),
        resolve: () => (done() ? resolve() : reject(new Error(`raw client closed before ${what} (${this.describe()})`))),
        reject,
        what,
        timer,
      };
      this.waiters.add(waiter);
    });
  }

  /** State for failure messages. */
  describe(): string {
    const err: NodeJS.ErrnoException | undefined = this.error;
    return `${this.frames.length} frames, ${this.bytesReceived} bytes received, ended ${this.ended}, closed ${this.closed}, error ${err?.code ?? err?.message ?? "none"}`;
  }

  private check(): void {
    for (const w of this.waiters) {
      if (w.done()) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }
}

/** Connect `n` raw clients at once. */
export function connectMany(port: number, n: number): Promise<RawClient[]> {
  return Promise.all(Array.from({ length: n }, () => RawClient.connect(port)));
}
