import { connect, createServer } from "node:net";
import type { Socket } from "node:net";
import { FrameDecoder, MessageRouter } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import type { LarsError } from "@lars/iobuf";
import type { CloseReason, TcpConn, TcpConnEvents } from "../../src/index.js";

/** How long any wait here may take before it fails the test, ms. */
const WAIT_MS = 8000;

function bounded<T>(what: string, executor: (resolve: (value: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${what} within ${WAIT_MS} ms`)), WAIT_MS);
    executor((value) => {
      clearTimeout(timer);
      resolve(value);
    });
  });
}

/** Both ends of one loopback TCP connection (the listener is closed at once). */
export async function socketPair(): Promise<{ server: Socket; client: Socket }> {
  const listener = createServer();
  await new Promise<void>((resolve) => listener.listen(0, "127.0.0.1", resolve));
  const { port } = listener.address() as { port: number };
  const accepted = new Promise<Socket>((resolve) => listener.once("connection", resolve));
  const client = connect({ port, host: "127.0.0.1" });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", resolve);
    client.once("error", reject);
  });
  const server = await accepted;
  // Stop listening now; the handle goes once the accepted connection has closed too.
  listener.close();
  return { server, client };
}

/** The peer side: decodes everything it reads; waits resolve on events. */
export class Peer {
  readonly frames: { msgid: number; body: Buffer }[] = [];
  ended = false;
  closed = false;
  private readonly decoder = new FrameDecoder({
    onFrame: (msgid, body) => this.frames.push({ msgid, body: Buffer.from(body) }),
  });
  private readonly waiters: (() => void)[] = [];

  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      const err = this.decoder.feed(chunk);
      if (err !== null) throw err;
      this.check();
    });
    socket.on("end", () => {
      this.ended = true;
      this.check();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.check();
    });
  }

  waitFrames(n: number): Promise<void> {
    return this.until(() => this.frames.length >= n, `${n} frames (have ${this.frames.length})`);
  }

  waitClose(): Promise<void> {
    return this.until(() => this.closed, "close");
  }

  private until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return bounded(what, (resolve) => {
      const check = (): void => {
        if (done()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private check(): void {
    const pending = this.waiters.splice(0);
    for (const w of pending) w();
  }
}

/**
 * A minimal TcpConn owner (what a server or a client is to a connection): it routes frames
 * through its router, handing handlers `conn`, or `facade` when set (as a client hands
 * itself), and records every call.
 */
export class FakeOwner implements TcpConnEvents {
  readonly loop = new EventLoop({ monitorDelay: false });
  readonly router = new MessageRouter<NetConnection>();
  readonly routeErrors: LarsError[] = [];
  readonly signals: string[] = [];
  readonly closed: { conn: TcpConn; reason: CloseReason; error: LarsError | Error | undefined }[] = [];
  facade: NetConnection | undefined;
  private readonly waiters: (() => void)[] = [];

  onFrame(msgid: number, body: Buffer, conn: TcpConn): void {
    const err = this.router.dispatch(msgid, body, this.facade ?? conn, this.reportAsync);
    if (err !== undefined) this.routeError(err);
  }

  private readonly reportAsync = (err: LarsError): void => this.routeError(err);

  private routeError(err: LarsError): void {
    this.routeErrors.push(err);
    this.check();
  }

  onBackpressure(conn: TcpConn): void {
    this.signals.push(`high:${conn.id}`);
    this.check();
  }

  onDrain(conn: TcpConn): void {
    this.signals.push(`low:${conn.id}`);
    this.check();
  }

  onClosed(conn: TcpConn, reason: CloseReason, error: LarsError | Error | undefined): void {
    this.closed.push({ conn, reason, error });
    this.check();
  }

  /** Resolves once `onClosed` was called at least once. */
  waitClosed(): Promise<void> {
    return this.until(() => this.closed.length > 0, "onClosed");
  }

  /** Resolves once at least `n` backpressure/drain signals came. */
  waitSignals(n: number): Promise<void> {
    return this.until(() => this.signals.length >= n, `${n} signals (have ${this.signals.join(",")})`);
  }

  private until(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return bounded(what, (resolve) => {
      const check = (): void => {
        if (done()) resolve();
        else this.waiters.push(check);
      };
      this.waiters.push(check);
    });
  }

  private check(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Resolves after the socket's next 'data' event has been handled by every listener added before this call. */
export function nextData(socket: Socket): Promise<void> {
  return bounded("data", (resolve) => socket.once("data", () => resolve()));
}
