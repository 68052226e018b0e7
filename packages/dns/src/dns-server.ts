import type { AddressInfo } from "node:net";
import { isLarsError } from "@lars/iobuf";
import { EventLoop, type TimerHandle } from "@lars/event-loop";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec, type HostInfo } from "@lars/proto";
import type { NetConnection } from "@lars/codec";
import { TcpServer } from "@lars/tcp-server";
import { DnsReloadError, DnsStateError, DnsStoreUnavailableError } from "./errors.js";
import { diffRouteTables, parseRouteKey, routeKey, type DnsRouteTable } from "./routes.js";
import type { DnsLogger, DnsStore } from "./store-port.js";
import { SubscriptionRegistry } from "./subscriptions.js";

/** Default TCP port of the Lars DNS service (the C++ `conf/lars_dns.conf`). */
export const DEFAULT_DNS_PORT = 7778;
/** Default address: services bind loopback unless told otherwise. */
export const DEFAULT_DNS_HOST = "127.0.0.1";

/** Options of {@link DnsServer}. Times in milliseconds. */
export interface DnsServerOptions {
  /** The route database (a `LarsStore` of `@lars/store`). The server does not close it. */
  readonly store: DnsStore;
  /** The loop to run on; default a new one, stopped by {@link DnsServer.close}. */
  readonly loop?: EventLoop;
  /** Address to listen on. Default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port, 0 = any free one. Default 7778. */
  readonly port?: number;
  /** Most connections at once (the TcpServer's `maxConn`). */
  readonly maxConn?: number;
  /** How often `RouteVersion` is read. Default 1000. */
  readonly pollIntervalMs?: number;
  /** How often the whole table is reloaded whatever the version (changed routes are still pushed). Default 10000. */
  readonly fullReloadMs?: number;
  /** Longest wait between retries after failed reloads (the backoff doubles from `pollIntervalMs`). Default 30000. */
  readonly maxBackoffMs?: number;
  /** Most routes one connection may subscribe to; queries past it are answered but not subscribed (counted). Default 10000. */
  readonly maxRoutesPerConn?: number;
  /** Where reports go (`warn`, `error`). Default silent. */
  readonly logger?: DnsLogger;
}

/** Counters of a {@link DnsServer}, from {@link DnsServer.stats}. */
export interface DnsServerStats {
  /** Connections open now. */
  readonly connections: number;
  /** GetRouteRequests answered. */
  readonly queries: number;
  /** GetRouteResponses pushed to subscribers after a change. */
  readonly pushes: number;
  /** Pushes a connection refused (closing, output full). */
  readonly pushFailures: number;
  /** Routes in the table served now. */
  readonly routes: number;
  /** `RouteVersion` of the table served now. */
  readonly version: number;
  /** Successful reloads (after the initial load). */
  readonly reloads: number;
  /** Failed reloads (each reported; the last good table kept serving). */
  readonly reloadFailures: number;
  /** Bodies that did not decode (reported, not answered). */
  readonly badRequests: number;
  /** Subscriptions held now (connection × route). */
  readonly subscriptions: number;
  /** Subscriptions refused at `maxRoutesPerConn`. */
  readonly subscriptionsRefused: number;
}

const EMPTY_HOSTS: readonly HostInfo[] = [];

/**
 * The Lars DNS service: answers `GetRouteRequest` (msgid 1) with
 * `GetRouteResponse` (msgid 2) from an in-memory route table, subscribes the
 * asking connection to that route until it closes, and pushes a fresh
 * `GetRouteResponse` to every subscriber when the route changes.
 *
 * The table is reloaded whole and swapped in only when the reload succeeded:
 * when `RouteVersion` moves (polled every `pollIntervalMs`), every
 * `fullReloadMs`, and at once when the store reports an admin change made in
 * this process. A failed reload is reported and retried with backoff; the last
 * good table keeps serving.
 */
export class DnsServer {
  readonly loop: EventLoop;
  readonly #ownsLoop: boolean;
  readonly #store: DnsStore;
  readonly #logger: DnsLogger | undefined;
  readonly #server: TcpServer;
  readonly #subs: SubscriptionRegistry<NetConnection>;
  readonly #pollIntervalMs: number;
  readonly #fullReloadMs: number;
  readonly #maxBackoffMs: number;
  readonly #host: string;
  readonly #port: number;
  #table: DnsRouteTable = new Map();
  #version = -1;
  #state: "new" | "starting" | "running" | "closed" = "new";
  #timers: TimerHandle[] = [];
  #unsubscribe: (() => void) | undefined;
  // Reload scheduling: one at a time; requests during one coalesce into one more.
  #syncing: Promise<void> | null = null;
  #pending: "none" | "poll" | "force" = "none";
  #backoffMs = 0;
  #retryAt = 0;
  #lastFullAt = 0;
  #queries = 0;
  #pushes = 0;
  #pushFailures = 0;
  #reloads = 0;
  #reloadFailures = 0;
  #badRequests = 0;

  /** @throws RangeError on a bad option (naming it). */
  constructor(options: DnsServerOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#pollIntervalMs = positive("pollIntervalMs", options.pollIntervalMs ?? 1000);
    this.#fullReloadMs = positive("fullReloadMs", options.fullReloadMs ?? 10_000);
    this.#maxBackoffMs = positive("maxBackoffMs", options.maxBackoffMs ?? 30_000);
    this.#host = options.host ?? DEFAULT_DNS_HOST;
    this.#port = options.port ?? DEFAULT_DNS_PORT;
    this.#subs = new SubscriptionRegistry(options.maxRoutesPerConn ?? 10_000);
    this.#ownsLoop = options.loop === undefined;
    this.loop = options.loop ?? new EventLoop();
    this.#server = new TcpServer(this.loop, {
      host: this.#host,
      port: this.#port,
      ...(options.maxConn !== undefined ? { maxConn: options.maxConn } : {}),
      onError: (err, conn) => {
        this.#logger?.warn({ err, code: err.code, conn: conn?.id }, err.message);
      },
      onConnClose: (conn) => {
        this.#subs.removeConnection(conn);
      },
    });
    this.#server.addMsgRouter(MsgId.GetRouteRequest, (body, _msgid, conn) => this.#onQuery(body, conn));
  }

  /**
   * Loads the route table, then listens. Resolves with the bound address.
   * @throws {DnsStoreUnavailableError} when the store cannot be read (nothing is listening then).
   * @throws {DnsStateError} when called twice or after close.
   */
  async start(): Promise<AddressInfo> {
    if (this.#state !== "new") throw new DnsStateError(`start() called when ${this.#state}`);
    this.#state = "starting";
    try {
      const version = await this.#store.getRouteVersion();
      const table = await this.#store.loadRoutes();
      this.#table = table;
      this.#version = version;
      // Changes before our start are in the table already.
      const changes = await this.#store.loadRouteChanges();
      const last = changes.at(-1);
      if (last !== undefined) await this.#store.clearRouteChanges(last.id);
    } catch (err) {
      this.#state = "new";
      throw new DnsStoreUnavailableError(err);
    }
    let address: AddressInfo;
    try {
      address = await this.#server.listen();
    } catch (err) {
      this.#state = "closed";
      if (this.#ownsLoop) await this.loop.stop();
      throw err;
    }
    this.#state = "running";
    this.#lastFullAt = Date.now();
    this.#unsubscribe = this.#store.onRouteChange(() => {
      void this.requestReload(true);
    });
    this.#timers.push(this.loop.runEvery(this.#pollIntervalMs, () => this.#tick()));
    return address;
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    return this.#server.address();
  }

  /** The hosts of a route in the table served now (empty when unknown). */
  lookup(modid: number, cmdid: number): readonly HostInfo[] {
    return this.#table.get(routeKey(modid, cmdid))?.hosts ?? EMPTY_HOSTS;
  }

  /**
   * Asks for a reload now (`force`: even if `RouteVersion` did not move).
   * Coalesces with a running one. Resolves when the table is current (never
   * rejects; failures are reported and counted).
   */
  requestReload(force = false): Promise<void> {
    if (this.#state !== "running") return Promise.resolve();
    if (this.#syncing !== null) {
      if (force || this.#pending === "none") this.#pending = force ? "force" : "poll";
      return this.#syncing;
    }
    this.#syncing = this.#runSyncs(force ? "force" : "poll");
    return this.#syncing;
  }

  /** A snapshot of the counters. */
  stats(): DnsServerStats {
    return {
      connections: this.#server.connectionCount,
      queries: this.#queries,
      pushes: this.#pushes,
      pushFailures: this.#pushFailures,
      routes: this.#table.size,
      version: this.#version,
      reloads: this.#reloads,
      reloadFailures: this.#reloadFailures,
      badRequests: this.#badRequests,
      subscriptions: this.#subs.size,
      subscriptionsRefused: this.#subs.refused,
    };
  }

  /** Stops polling, closes every connection (graceful) and, if it made it, the loop. Idempotent. Does not close the store. */
  async close(): Promise<void> {
    if (this.#state === "closed") return;
    this.#state = "closed";
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    await this.#server.close();
    if (this.#syncing !== null) await this.#syncing;
    if (this.#ownsLoop) await this.loop.stop();
  }

  #tick(): void {
    if (Date.now() < this.#retryAt) return;
    const force = Date.now() - this.#lastFullAt >= this.#fullReloadMs || this.#backoffMs > 0;
    void this.requestReload(force);
  }

  async #runSyncs(first: "poll" | "force"): Promise<void> {
    let mode: "none" | "poll" | "force" = first;
    try {
      while (mode !== "none" && this.#state === "running") {
        this.#pending = "none";
        await this.#syncOnce(mode === "force");
        mode = this.#pending;
      }
    } finally {
      this.#syncing = null;
    }
  }

  async #syncOnce(force: boolean): Promise<void> {
    let version: number;
    let table: DnsRouteTable;
    let changed: Set<string>;
    let lastChangeId: number | undefined;
    try {
      version = await this.#store.getRouteVersion();
      if (!force && version === this.#version) return;
      const changes = await this.#store.loadRouteChanges();
      table = await this.#store.loadRoutes();
      changed = new Set(diffRouteTables(this.#table, table));
      for (const c of changes) changed.add(routeKey(c.modid, c.cmdid));
      lastChangeId = changes.at(-1)?.id;
    } catch (err) {
      this.#reloadFailures++;
      this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs === 0 ? this.#pollIntervalMs : this.#backoffMs * 2);
      this.#retryAt = Date.now() + this.#backoffMs;
      const error = new DnsReloadError(err);
      this.#logger?.warn({ err: error, code: error.code, retryInMs: this.#backoffMs }, error.message);
      return;
    }
    if (this.#state !== "running") return;
    this.#table = table;
    this.#version = version;
    this.#reloads++;
    this.#backoffMs = 0;
    this.#retryAt = 0;
    if (force) this.#lastFullAt = Date.now();
    for (const key of changed) this.#push(key);
    if (lastChangeId !== undefined) {
      try {
        await this.#store.clearRouteChanges(lastChangeId);
      } catch (err) {
        this.#logger?.warn({ err, code: isLarsError(err) ? err.code : undefined }, "cannot clear processed RouteChange rows");
      }
    }
  }

  #push(key: string): void {
    const conns = this.#subs.subscribers(key);
    if (conns.length === 0) return;
    const { modid, cmdid } = parseRouteKey(key);
    const body = getRouteResponseCodec.encode({ modid, cmdid, host: [...this.lookup(modid, cmdid)] });
    for (const conn of conns) {
      try {
        conn.sendMessage(body, MsgId.GetRouteResponse);
        this.#pushes++;
      } catch (err) {
        this.#pushFailures++;
        this.#logger?.warn({ err, code: isLarsError(err) ? err.code : undefined, conn: conn.id, modid, cmdid }, "push refused");
      }
    }
  }

  #onQuery(body: Buffer, conn: NetConnection): void {
    let modid: number;
    let cmdid: number;
    try {
      ({ modid, cmdid } = getRouteRequestCodec.decode(body));
    } catch (err) {
      this.#badRequests++;
      const code = isLarsError(err) ? err.code : "LARS_PAYLOAD_DECODE";
      this.#logger?.warn({ err, code, conn: conn.id, msgid: MsgId.GetRouteRequest }, "undecodable GetRouteRequest: no reply");
      return;
    }
    this.#queries++;
    const key = routeKey(modid, cmdid);
    if (this.#subs.subscribe(key, conn) === "refused") {
      this.#logger?.warn({ conn: conn.id, modid, cmdid }, "subscription refused: connection at maxRoutesPerConn");
    }
    const hosts = this.#table.get(key)?.hosts ?? EMPTY_HOSTS;
    conn.sendMessage(getRouteResponseCodec.encode({ modid, cmdid, host: [...hosts] }), MsgId.GetRouteResponse);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
