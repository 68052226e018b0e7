import { expect } from "vitest";
import type { NetConnection } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import type { LarsError } from "@lars/iobuf";
import { TcpServer } from "../../src/index.js";
import type { CloseReason, TcpConn, TcpServerOptions } from "../../src/index.js";
import { RawClient, WAIT_MS } from "./raw-client.js";

/** A list of events that tests can await by count or by predicate (event-driven, bounded). */
export class EventLog<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<{ done: () => boolean; resolve: () => void; timer: NodeJS.Timeout }>();

  constructor(readonly name: string) {}

  get length(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    for (const w of this.waiters) {
      if (w.done()) {
        this.waiters.delete(w);
        clearTimeout(w.timer);
        w.resolve();
      }
    }
  }

  /** Resolves with the first `n` items once there are at least `n`. */
  async waitCount(n: number): Promise<T[]> {
    await this.waitUntil(() => this.items.length >= n, `${n} ${this.name}`);
    return this.items.slice(0, n);
  }

  /** Resolves with the first item matching `pred`, waiting for it if needed. */
  async waitFind(pred: (item: T) => boolean, what = "matching"): Promise<T> {
    await this.waitUntil(() => this.items.some(pred), `a ${what} ${this.name} event`);
    return this.items.find(pred)!;
  }

  private waitUntil(done: () => boolean, what: string): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const w = {
        done,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`no ${what} within ${WAIT_MS} ms (have ${this.items.length})`));
        }, WAIT_MS),
      };
      this.waiters.add(w);
    });
  }
}

export interface CloseEvent {
  readonly conn: TcpConn;
  readonly reason: CloseReason;
  readonly error: LarsError | Error | undefined;
}

export interface ErrorEvent {
  readonly err: LarsError;
  readonly conn: TcpConn | undefined;
}

/** A server on 127.0.0.1, port 0, with a tracking pool, its own loop, and every hook recorded. */
export interface ServerHarness {
  readonly loop: EventLoop;
  readonly server: TcpServer;
  readonly pool: BufPool;
  readonly port: number;
  readonly starts: EventLog<TcpConn>;
  readonly closes: EventLog<CloseEvent>;
  readonly errors: EventLog<ErrorEvent>;
  readonly refused: EventLog<{ remoteAddress: string | undefined; remotePort: number | undefined }>;
  readonly backpressure: EventLog<TcpConn>;
  readonly drains: EventLog<TcpConn>;
  /** Errors the loop reported (a throwing task or timer, a failing close). Must stay empty. */
  readonly loopErrors: unknown[];
  /** Connect a raw client (closed by {@link teardown}). */
  connect(): Promise<RawClient>;
  /** Connect a raw client and wait until the server has run `onConnStart` for it. */
  connectStarted(): Promise<{ client: RawClient; conn: TcpConn }>;
  /** Close events of one connection. */
  closesOf(conn: TcpConn): CloseEvent[];
  /**
   * Close the server and stop the loop (both idempotent), close the clients,
   * then check: every started connection got exactly one close hook, none
   * other did, the loop reported nothing, and every pooled buffer came back.
   */
  teardown(): Promise<void>;
}

/** Echo handler: answer with the same msgid and body. */
export function echo(body: Buffer, msgid: number, conn: NetConnection): void {
  conn.sendMessage(body, msgid);
}

const live = new Set<ServerHarness>();

/**
 * Start a server. The hooks given in `options` still run (after the
 * recording). `setup` adds routes before listening. Call {@link teardownAll}
 * in `afterEach`.
 */
export async function startServer(options: TcpServerOptions = {}, setup?: (server: TcpServer) => void): Promise<ServerHarness> {
  const pool = options.pool ?? new BufPool({ track: true });
  const loopErrors: unknown[] = [];
  const loop = new EventLoop({ monitorDelay: false, onError: (err) => loopErrors.push(err) });
  const starts = new EventLog<TcpConn>("onConnStart");
  const closes = new EventLog<CloseEvent>("onConnClose");
  const errors = new EventLog<ErrorEvent>("onError");
  const refused = new EventLog<{ remoteAddress: string | undefined; remotePort: number | undefined }>("onConnRefused");
  const backpressure = new EventLog<TcpConn>("onBackpressure");
  const drains = new EventLog<TcpConn>("onDrain");
  const server = new TcpServer(loop, {
    host: "127.0.0.1",
    port: 0,
    ...options,
    pool,
    onConnStart: (conn) => {
      starts.push(conn);
      return options.onConnStart?.(conn);
    },
    onConnClose: (conn, reason, error) => {
      closes.push({ conn, reason, error });
      return options.onConnClose?.(conn, reason, error);
    },
    onError: (err, conn) => {
      errors.push({ err, conn });
      return options.onError?.(err, conn);
    },
    onConnRefused: (info) => {
      refused.push(info);
      return options.onConnRefused?.(info);
    },
    onBackpressure: (conn) => {
      backpressure.push(conn);
      return options.onBackpressure?.(conn);
    },
    onDrain: (conn) => {
      drains.push(conn);
      return options.onDrain?.(conn);
    },
  });
  setup?.(server);
  const clients: RawClient[] = [];
  let address;
  try {
    address = await server.listen();
  } catch (err) {
    await loop.stop();
    throw err;
  }
  const h: ServerHarness = {
    loop,
    server,
    pool,
    port: address.port,
    starts,
    closes,
    errors,
    refused,
    backpressure,
    drains,
    loopErrors,
    async connect() {
      const c = await RawClient.connect(address.port);
      clients.push(c);
      return c;
    },
    async connectStarted() {
      const before = starts.length;
      const client = await h.connect();
      const [conn] = (await starts.waitCount(before + 1)).slice(before);
      return { client, conn: conn! };
    },
    closesOf(conn) {
      return closes.items.filter((e) => e.conn === conn);
    },
    async teardown() {
      live.delete(h);
      await server.close();
      await loop.stop();
      await Promise.all(clients.map((c) => c.destroy()));
      const startedIds = starts.items.map((c) => c.id).sort((a, b) => a - b);
      const closedIds = closes.items.map((e) => e.conn.id).sort((a, b) => a - b);
      expect(closedIds, "exactly one onConnClose per started connection").toEqual(startedIds);
      expect(loopErrors).toEqual([]);
      // An `expect` that failed inside a hook or handler is reported, not thrown: surface it.
      const failedAsserts = errors.items.filter((e) => (e.err.cause as Error | undefined)?.name === "AssertionError");
      expect(failedAsserts.map((e) => (e.err.cause as Error).message)).toEqual([]);
      expect(server.connectionCount).toBe(0);
      pool.assertNoLeaks();
    },
  };
  live.add(h);
  return h;
}

/** Tear down every harness a test left running (use in `afterEach`). */
export async function teardownAll(): Promise<void> {
  const all = [...live];
  live.clear();
  for (const h of all) await h.teardown();
}

/** One turn of the event loop (I/O callbacks, then the loop's task batch, have run). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** `len` bytes of `(i + seed) mod 251`: a body whose every byte is checkable. */
export function patterned(len: number, seed = 0): Buffer {
  const b = Buffer.alloc(len);
  for (let i = 0; i < len; i++) b[i] = (i + seed) % 251;
  return b;
}
