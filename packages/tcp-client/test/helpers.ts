import { EventEmitter } from "node:events";
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import { FrameDecoder, encodeFrame } from "@lars/codec";
import type { CloseReason, ClientStatus, QueuedMessage, TcpClient, TcpClientHooks } from "../src/index.js";

/** Default bound on any wait in these tests, ms. */
export const WAIT_MS = 5000;

/** Resolve when `check()` is true, re-checking on each `event` of `emitter`; reject after `timeoutMs`. */
export function until(emitter: EventEmitter, event: string, check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onEvent = (): void => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      emitter.off(event, onEvent);
    };
    emitter.on(event, onEvent);
  });
}

/** Re-check `check()` once per loop turn (for state that emits no event, e.g. bytes received); bounded. */
export async function poll(check: () => boolean, what: string, timeoutMs = WAIT_MS): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

/** A few loop turns, to give a duplicate callback the chance to show up. */
export async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
}

export interface ServerFrame {
  readonly socket: Socket;
  readonly msgid: number;
  readonly body: Buffer;
}

export interface FrameServerOptions {
  /** Port to listen on (default 0). */
  port?: number;
  /** Answer every frame with the same msgid and body. Default true. */
  echo?: boolean;
  /** Called for every accepted socket, before any data. */
  onConnection?: (socket: Socket) => void;
  /** Called for every frame (after echo, if on). */
  onFrame?: (frame: ServerFrame) => void;
}

/**
 * A raw `node:net` Lars server for tests, independent of `@lars/tcp-server`:
 * decodes frames with `FrameDecoder`, echoes them by default, records them,
 * and emits "change" on every connection, frame and close.
 */
export class FrameServer extends EventEmitter {
  readonly sockets = new Set<Socket>();
  readonly frames: ServerFrame[] = [];
  connections = 0;
  closedSockets = 0;
  private constructor(
    readonly server: Server,
    readonly port: number,
  ) {
    super();
  }

  static async start(options: FrameServerOptions = {}): Promise<FrameServer> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(options.port ?? 0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    });
    const fs = new FrameServer(server, (server.address() as AddressInfo).port);
    server.on("connection", (socket) => fs.accept(socket, options));
    return fs;
  }

  private accept(socket: Socket, options: FrameServerOptions): void {
    socket.setNoDelay(true);
    this.sockets.add(socket);
    this.connections++;
    const decoder = new FrameDecoder({
      onFrame: (msgid, body) => {
        const frame = { socket, msgid, body: Buffer.from(body) };
        this.frames.push(frame);
        if (options.echo !== false && !socket.destroyed) socket.write(encodeFrame(msgid, body));
        options.onFrame?.(frame);
        this.emit("change");
      },
    });
    socket.on("data", (chunk: Buffer) => {
      if (decoder.open && decoder.feed(chunk) !== null) socket.destroy();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      decoder.close();
      this.sockets.delete(socket);
      this.closedSockets++;
      this.emit("change");
    });
    options.onConnection?.(socket);
    this.emit("change");
  }

  /** The one connected socket (fails the test when there is not exactly one). */
  get socket(): Socket {
    if (this.sockets.size !== 1) throw new Error(`expected one server socket, have ${this.sockets.size}`);
    return [...this.sockets][0]!;
  }

  waitConnections(n: number): Promise<void> {
    return until(this, "change", () => this.connections >= n, `${n} server connection(s)`);
  }

  waitFrames(n: number): Promise<void> {
    return until(this, "change", () => this.frames.length >= n, `${n} frame(s) at the server (have ${this.frames.length})`);
  }

  /** Stop listening and destroy every socket; resolves once the listener is closed. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await until(this, "change", () => this.sockets.size === 0, "server sockets to close");
  }
}

/** A port nobody listens on (bound, then released). */
export async function deadPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

type HookEvent =
  | { name: "start" }
  | { name: "close"; reason: CloseReason; error: Error | undefined }
  | { name: "status"; status: ClientStatus }
  | { name: "giveUp"; lastError: Error; attempts: number }
  | { name: "backpressure" }
  | { name: "drain" }
  | { name: "dropped"; messages: readonly QueuedMessage[]; error: Error }
  | { name: "error"; err: Error };

/**
 * Records every hook call of a client (and checks the client argument is
 * the client itself); emits "change" after each.
 */
export class HookLog extends EventEmitter {
  readonly events: HookEvent[] = [];
  client: TcpClient | undefined;

  private push(client: TcpClient, e: HookEvent): void {
    if (this.client !== undefined && client !== this.client) throw new Error("hook got another object than the client");
    this.events.push(e);
    this.emit("change");
  }

  of<N extends HookEvent["name"]>(name: N): Extract<HookEvent, { name: N }>[] {
    return this.events.filter((e): e is Extract<HookEvent, { name: N }> => e.name === name);
  }

  count(name: HookEvent["name"]): number {
    return this.of(name).length;
  }

  wait(name: HookEvent["name"], n = 1, timeoutMs = WAIT_MS): Promise<void> {
    return until(this, "change", () => this.count(name) >= n, `${n} "${name}" hook call(s) (have ${this.count(name)})`, timeoutMs);
  }

  /** Hooks to spread into the client options; `extra` hooks run after recording. */
  hooks(extra: TcpClientHooks = {}): TcpClientHooks {
    return {
      onConnStart: (c) => (this.push(c, { name: "start" }), extra.onConnStart?.(c)),
      onConnClose: (c, reason, error) => (this.push(c, { name: "close", reason, error }), extra.onConnClose?.(c, reason, error)),
      onStatusChange: (c, status) => (this.push(c, { name: "status", status }), extra.onStatusChange?.(c, status)),
      onGiveUp: (c, lastError, attempts) => (this.push(c, { name: "giveUp", lastError, attempts }), extra.onGiveUp?.(c, lastError, attempts)),
      onBackpressure: (c) => (this.push(c, { name: "backpressure" }), extra.onBackpressure?.(c)),
      onDrain: (c) => (this.push(c, { name: "drain" }), extra.onDrain?.(c)),
      onQueuedDropped: (c, messages, error) => (this.push(c, { name: "dropped", messages, error }), extra.onQueuedDropped?.(c, messages, error)),
      onError: (c, err) => (this.push(c, { name: "error", err }), extra.onError?.(c, err)),
    };
  }
}

/** Collects frames a client route receives (copies), emitting "change". */
export class Inbox extends EventEmitter {
  readonly frames: { msgid: number; body: Buffer }[] = [];
  readonly handler = (body: Buffer, msgid: number): void => {
    this.frames.push({ msgid, body: Buffer.from(body) });
    this.emit("change");
  };
  wait(n: number, timeoutMs = WAIT_MS): Promise<void> {
    return until(this, "change", () => this.frames.length >= n, `${n} frame(s) at the client (have ${this.frames.length})`, timeoutMs);
  }
}
