import { createSocket } from "node:dgram";
import type { RemoteInfo, Socket } from "node:dgram";
import { readFileSync } from "node:fs";
import { EventLoop } from "@lars/event-loop";
import type { NetConnection } from "@lars/codec";
import { UdpClient, UdpServer } from "../src/index.js";
import type { UdpClientOptions, UdpServerOptions } from "../src/index.js";

/** Default bound on every wait in these tests, ms. */
export const WAIT_MS = 5000;

/** Values pushed by callbacks, taken in order by awaiting {@link next}; every wait is bounded. */
export class Queue<T> {
  private readonly items: T[] = [];
  private readonly waiters: ((v: T) => void)[] = [];

  readonly push = (item: T): void => {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) waiter(item);
    else this.items.push(item);
  };

  get size(): number {
    return this.items.length;
  }

  next(timeoutMs = WAIT_MS): Promise<T> {
    if (this.items.length > 0) return Promise.resolve(this.items.shift() as T);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`nothing arrived within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter = (v: T): void => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(waiter);
    });
  }
}

/** A frame as a handler saw it (body copied: handler bodies are views valid during the call). */
export interface Seen {
  msgid: number;
  body: Buffer;
  conn: NetConnection;
}

/** Records every frame of `msgids` the router gets. */
export function recordInto(target: UdpServer | UdpClient, msgids: number[]): Queue<Seen> {
  const q = new Queue<Seen>();
  for (const msgid of msgids) target.addMsgRouter(msgid, (body, id, conn) => q.push({ msgid: id, body: Buffer.from(body), conn }));
  return q;
}

/** The golden vectors shared with the C++ side and every package (vendored at `wire/vectors.json`). */
export interface Vectors {
  header_length: number;
  default_max_body: number;
  valid: { name: string; msgid: number; body_hex: string; frame_hex: string }[];
  largest: { header_hex: string };
  invalid_headers: { name: string; header_hex: string; error: string }[];
  udp_invalid: { name: string; hex: string }[];
}

export function loadVectors(): Vectors {
  return JSON.parse(readFileSync(new URL("../../../wire/vectors.json", import.meta.url), "utf8")) as Vectors;
}

/** A frame built by hand (any header, any body), for hostile datagrams. */
export function rawFrame(msgid: number, msglen: number, body: Buffer = Buffer.alloc(0)): Buffer {
  const header = Buffer.alloc(8);
  header.writeInt32LE(msgid, 0);
  header.writeInt32LE(msglen, 4);
  return Buffer.concat([header, body]);
}

/** Body of `n` bytes of (i mod 251), as the `largest` vector describes. */
export function patternBody(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

/** A plain node:dgram socket, for sending datagrams no Lars sender would. */
export class RawPeer {
  readonly received = new Queue<{ msg: Buffer; rinfo: RemoteInfo }>();
  private constructor(readonly socket: Socket) {
    socket.on("message", (msg, rinfo) => this.received.push({ msg, rinfo }));
  }

  static async open(): Promise<RawPeer> {
    const socket = createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return new RawPeer(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(bytes: Buffer, port: number): Promise<Error | null> {
    return new Promise((resolve) => this.socket.send(bytes, port, "127.0.0.1", (err) => resolve(err)));
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** A loop with a server bound on 127.0.0.1:0 and a client connected to it; `stop()` closes all. */
export async function startPair(
  serverOptions: Partial<UdpServerOptions> = {},
  clientOptions: Partial<UdpClientOptions> = {},
): Promise<{ loop: EventLoop; server: UdpServer; client: UdpClient; port: number; stop: () => Promise<void> }> {
  const loop = new EventLoop({ monitorDelay: false });
  const server = new UdpServer(loop, { host: "127.0.0.1", port: 0, ...serverOptions });
  const { port } = await server.bind();
  const client = new UdpClient(loop, { host: "127.0.0.1", port, ...clientOptions });
  await client.connect();
  return { loop, server, client, port, stop: () => loop.stop(1000) };
}
