import type { AddressInfo } from "node:net";
import { isLarsError } from "@lars/iobuf";
import { EventLoop, type TimerHandle } from "@lars/event-loop";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec, type HostInfo } from "@lars/proto";
import type { NetConnection } from "@lars/codec";
import { TaskError, TcpServer, type ServerRole, type WorkerReadyInfo } from "@lars/tcp-server";
import { DnsReloadError, DnsStateError, DnsStoreUnavailableError } from "./errors.js";
import { diffRouteTables, parseRouteKey, routeKey, type DnsRoute, type DnsRouteTable } from "./routes.js";
import type { DnsLogger, DnsRouteChange, DnsStore } from "./store-port.js";
import { SubscriptionRegistry } from "./subscriptions.js";
import type { DnsTableLoader } from "./worker-table-loader.js";
import { PATCH_TASK, TABLE_TASK, fromWireRoute, isWorkerSyncPayload, wireRoute, type WireRoute, type WorkerSyncPayload } from "./worker-sync.js";

/** Default TCP port of the Lars DNS service (the C++ `conf/lars_dns.conf`). */
export const DEFAULT_DNS_PORT = 7778;
/** Default address: services bind loopback unless told otherwise. */
export const DEFAULT_DNS_HOST = "127.0.0.1";
/** Default `[metrics] port` of `lars-dns` (`/metrics`, `/status`, `/healthz`). */
export const DEFAULT_DNS_METRICS_PORT = 9778;

/** Options of {@link DnsServer}. Times in milliseconds. */
export interface DnsServerOptions {
  /**
   * The route database (a `LarsStore` of `@lars/store`). The server does not close it. Required, except
   * in the workers of a multi-worker server (`isServerWorker()` of `@lars/tcp-server`): they never read
   * the database; the primary sends them the table.
   */
  readonly store?: DnsStore;
  /**
   * Worker processes serving the connections (C++ `threadNum`; `TcpServer` `workers`). 0 (default): one
   * process. With N > 0 the same program runs in a primary, which alone reads and polls the database, and
   * N workers, which each hold a copy of the table sent by the primary (whole when a worker boots, then
   * every change) and push to their own subscribers: every subscriber gets every push, whichever worker
   * holds it, and the database is polled once.
   */
  readonly workers?: number;
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
  /**
   * Whether processed `RouteChange` rows are deleted (as the C++ service does). Default true. Pushes never
   * depend on them (the reloaded table is diffed against the served one), so several instances on one
   * database lose nothing when one clears them; set false when C++ `lars_dns` instances share the database
   * and should see every row (they then clear them).
   */
  readonly clearRouteChanges?: boolean;
  /**
   * Where whole reloads (start, a `RouteChange` gap, every `fullReloadMs`) are done instead of
   * `store.loadRoutes()` on this thread: a `WorkerTableLoader` loads and diffs on a worker thread, so
   * the reactor applies only the routes that changed. Not closed by the server. Default none.
   */
  readonly tableLoader?: DnsTableLoader;
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
  /** Successful reloads (after the initial load), whole or incremental. */
  readonly reloads: number;
  /** Of those, the ones that re-read only the routes of new `RouteChange` rows. */
  readonly incrementalReloads: number;
  /** Failed reloads (the first of an outage reported at `warn`, the others at `debug`; the last good table kept serving). */
  readonly reloadFailures: number;
  /** Whether the last reload failed (the store is considered down until one succeeds). */
  readonly storeDown: boolean;
  /** The wait before the next retry while the store is down (doubling up to `maxBackoffMs`), 0 when up. */
  readonly backoffMs: number;
  /** Bodies that did not decode (reported, not answered). */
  readonly badRequests: number;
  /** Subscriptions held now (connection × route). */
  readonly subscriptions: number;
  /** Connections holding at least one subscription now. */
  readonly subscribers: number;
  /** Subscriptions refused at `maxRoutesPerConn`. */
  readonly subscriptionsRefused: number;
  /**
   * Which process this is: `single`, or with workers the `primary` (it polls, syncs and sends the table;
   * its queries, pushes and subscriptions are 0, they are counted in each worker) or a `worker`.
   */
  readonly role: ServerRole;
  /** Primary: workers ready to serve now (0 elsewhere). */
  readonly workers: number;
  /** Primary: table syncs sent to workers (one per changed batch, or a whole table to a booting worker). */
  readonly workerSyncs: number;
  /** Primary: syncs a worker's channel refused (backlog); the whole table is sent again at the next poll. */
  readonly workerSyncFailures: number;
}

const EMPTY_HOSTS: readonly HostInfo[] = [];

/**
 * The Lars DNS service: answers `GetRouteRequest` (msgid 1) with
 * `GetRouteResponse` (msgid 2) from an in-memory route table, subscribes the
 * asking connection to that route until it closes, and pushes a fresh
 * `GetRouteResponse` to every subscriber when the route changes.
 *
 * The table is synced when `RouteVersion` moves (polled every `pollIntervalMs`),
 * every `fullReloadMs` (whole), and at once when the store reports an admin
 * change made in this process: only the routes of new `RouteChange` rows are
 * re-read when none is missing, else the whole table is reloaded and diffed
 * against the served one, so pushes never depend on rows another instance may
 * have cleared. Nothing is swapped in unless the reads succeeded. A failed sync
 * is reported once per outage and retried with backoff; the last good table
 * keeps serving.
 */
export class DnsServer {
  readonly loop: EventLoop;
  readonly #ownsLoop: boolean;
  readonly #store: DnsStore | undefined;
  readonly #role: ServerRole;
  readonly #logger: DnsLogger | undefined;
  readonly #server: TcpServer;
  readonly #subs: SubscriptionRegistry<NetConnection>;
  readonly #pollIntervalMs: number;
  readonly #fullReloadMs: number;
  readonly #maxBackoffMs: number;
  readonly #clearChanges: boolean;
  readonly #loader: DnsTableLoader | undefined;
  readonly #host: string;
  readonly #port: number;
  #table = new Map<string, DnsRoute>();
  /** Highest RouteChange id read, when known: the next rows continue from it unless someone else cleared some. */
  #lastChangeId: number | undefined;
  #version = -1;
  #state: "new" | "starting" | "running" | "closed" = "new";
  #timers: TimerHandle[] = [];
  #unsubscribe: (() => void) | undefined;
  // Reload scheduling: one at a time; requests during one coalesce into one more.
  #syncing: Promise<void> | null = null;
  #pending: "none" | "poll" | "force" = "none";
  #backoffMs = 0;
  #retryAt = 0;
  #outage: { since: number; failures: number } | undefined;
  #lastFullAt = 0;
  #queries = 0;
  #pushes = 0;
  #pushFailures = 0;
  #reloads = 0;
  #incrementalReloads = 0;
  #reloadFailures = 0;
  #badRequests = 0;
  #workerSyncs = 0;
  #workerSyncFailures = 0;
  /** Primary: a sync a worker refused; every worker gets the whole table at the next poll. */
  #resendTable = false;

  /** @throws RangeError on a bad option (naming it). */
  constructor(options: DnsServerOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#pollIntervalMs = positive("pollIntervalMs", options.pollIntervalMs ?? 1000);
    this.#fullReloadMs = positive("fullReloadMs", options.fullReloadMs ?? 10_000);
    this.#maxBackoffMs = positive("maxBackoffMs", options.maxBackoffMs ?? 30_000);
    this.#clearChanges = options.clearRouteChanges ?? true;
    this.#loader = options.tableLoader;
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
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      // Sent synchronously, so it reaches the worker before its first connection (one IPC channel, in order).
      onWorkerReady: (info: WorkerReadyInfo) => this.#sendTable(info.workerId),
    });
    this.#role = this.#server.role;
    if (this.#role !== "worker" && this.#store === undefined) {
      throw new DnsStateError("a store is required (except in the workers of a multi-worker server)");
    }
    this.#server.addMsgRouter(MsgId.GetRouteRequest, (body, _msgid, conn) => this.#onQuery(body, conn));
    if (this.#role !== "single") {
      this.#server.onTask(TABLE_TASK, (payload) => this.#applyWorkerSync(payload, true));
      this.#server.onTask(PATCH_TASK, (payload) => this.#applyWorkerSync(payload, false));
    }
  }

  /** The store (never undefined outside a worker, which never calls this). */
  get #db(): DnsStore {
    return this.#store!;
  }

  /**
   * Loads the route table, then listens. Resolves with the bound address.
   * @throws {DnsStoreUnavailableError} when the store cannot be read (nothing is listening then).
   * @throws {DnsStateError} when called twice or after close.
   */
  async start(): Promise<AddressInfo> {
    if (this.#state !== "new") throw new DnsStateError(`start() called when ${this.#state}`);
    this.#state = "starting";
    if (this.#role === "worker") return this.#startWorker();
    try {
      const version = await this.#db.getRouteVersion();
      this.#table = this.#loader !== undefined ? tableOfDelta((await this.#loader.reload()).changed) : mutable(await this.#db.loadRoutes());
      this.#version = version;
      // Changes before our start are in the table already.
      const last = (await this.#db.loadRouteChanges()).at(-1);
      this.#lastChangeId = last?.id;
      if (last !== undefined && this.#clearChanges) await this.#db.clearRouteChanges(last.id);
    } catch (err) {
      this.#state = "new";
      throw new DnsStoreUnavailableError(err);
    }
    const address = await this.#listen();
    this.#lastFullAt = Date.now();
    // An admin change committed by this process: sync now (RouteVersion has moved), without waiting for the poll.
    this.#unsubscribe = this.#db.onRouteChange(() => {
      void this.requestReload();
    });
    this.#timers.push(this.loop.runEvery(this.#pollIntervalMs, () => this.#tick()));
    return address;
  }

  /** A worker: no database; the table arrives from the primary (before any connection does). */
  #startWorker(): Promise<AddressInfo> {
    return this.#listen();
  }

  /** Listens and marks the server running; a failed listen closes it (and the loop it made). */
  async #listen(): Promise<AddressInfo> {
    let address: AddressInfo;
    try {
      address = await this.#server.listen();
    } catch (err) {
      this.#state = "closed";
      if (this.#ownsLoop) await this.loop.stop();
      throw err;
    }
    this.#state = "running";
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
   * Syncs now, as a poll does (incremental when the new `RouteChange` rows are complete); `force`: a whole
   * reload and diff even if `RouteVersion` did not move.
   * Coalesces with a running one. Resolves when the table is current (never
   * rejects; failures are reported and counted).
   */
  requestReload(force = false): Promise<void> {
    if (this.#state !== "running" || this.#role === "worker") return Promise.resolve();
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
      incrementalReloads: this.#incrementalReloads,
      reloadFailures: this.#reloadFailures,
      storeDown: this.#outage !== undefined,
      backoffMs: this.#backoffMs,
      badRequests: this.#badRequests,
      subscriptions: this.#subs.size,
      subscribers: this.#subs.connectionCount,
      subscriptionsRefused: this.#subs.refused,
      role: this.#role,
      workers: this.#server.workerIds().length,
      workerSyncs: this.#workerSyncs,
      workerSyncFailures: this.#workerSyncFailures,
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
    if (this.#resendTable) {
      this.#resendTable = false;
      this.#sendTable("all");
    }
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

  /**
   * One sync. When `RouteVersion` moved and the new `RouteChange` rows continue without a gap from the last
   * one read, only their routes are re-read (`listRoutes`) and patched in: O(changed routes), whatever the
   * size of the table. Otherwise (rows missing: cleared by another instance or a C++ lars_dns, or a writer
   * that bumps the version without a row; a forced or periodic reload; a store without `listRoutes`) the
   * whole table is reloaded and diffed against the served one, and every route that differs is pushed.
   */
  async #syncOnce(force: boolean): Promise<void> {
    let version: number;
    let table: Map<string, DnsRoute> | undefined;
    let patch: Map<string, DnsRoute | undefined> | undefined;
    let changed: Set<string>;
    let lastChangeId: number | undefined;
    let whole = false;
    try {
      version = await this.#db.getRouteVersion();
      if (!force && version === this.#version && this.#outage === undefined) return;
      const changes = await this.#db.loadRouteChanges();
      lastChangeId = changes.at(-1)?.id ?? this.#lastChangeId;
      const known = this.#lastChangeId;
      const fresh = known === undefined ? changes : changes.filter((c) => c.id > known);
      const listRoutes = this.#db.listRoutes?.bind(this.#store);
      if (!force && listRoutes !== undefined && known !== undefined && version !== this.#version && contiguousAfter(known, fresh)) {
        patch = new Map();
        for (const c of fresh) {
          const key = routeKey(c.modid, c.cmdid);
          if (patch.has(key)) continue;
          const [route] = await listRoutes({ modid: c.modid, cmdid: c.cmdid });
          patch.set(key, route !== undefined && route.hosts.length > 0 ? route : undefined);
        }
        // The rows' routes are pushed even when their hosts came back to what is served (as the C++ service does).
        changed = new Set(patch.keys());
      } else if (this.#loader !== undefined) {
        // Loaded and diffed off this thread: apply only what differs (unless the loader answered the whole table).
        const delta = await this.#loader.reload();
        whole = true;
        if (delta.full) {
          table = tableOfDelta(delta.changed);
          changed = new Set(diffRouteTables(this.#table, table));
        } else {
          patch = new Map(delta.changed);
          changed = new Set(patch.keys());
        }
        for (const c of fresh) changed.add(routeKey(c.modid, c.cmdid));
      } else {
        table = mutable(await this.#db.loadRoutes());
        whole = true;
        changed = new Set(diffRouteTables(this.#table, table));
        for (const c of fresh) changed.add(routeKey(c.modid, c.cmdid));
      }
    } catch (err) {
      this.#reloadFailed(err);
      return;
    }
    if (this.#state !== "running") return;
    if (patch !== undefined) {
      for (const [key, route] of patch) {
        if (route === undefined) this.#table.delete(key);
        else this.#table.set(key, route);
      }
      if (!whole) {
        this.#incrementalReloads++;
        this.#loader?.patched(patch);
      }
    } else if (table !== undefined) {
      this.#table = table;
    }
    this.#lastChangeId = lastChangeId;
    this.#version = version;
    this.#reloads++;
    this.#backoffMs = 0;
    this.#retryAt = 0;
    if (this.#outage !== undefined) {
      const { since, failures } = this.#outage;
      this.#outage = undefined;
      const fields = { downMs: Date.now() - since, failures, version, routes: this.#table.size };
      const msg = "route store available again: table reloaded";
      if (this.#logger?.info !== undefined) this.#logger.info(fields, msg);
      else this.#logger?.warn(fields, msg);
    }
    if (whole) this.#lastFullAt = Date.now();
    this.#publish(changed);
    if (lastChangeId !== undefined && this.#clearChanges) {
      try {
        await this.#db.clearRouteChanges(lastChangeId);
      } catch (err) {
        this.#logger?.warn({ err, code: isLarsError(err) ? err.code : undefined }, "cannot clear processed RouteChange rows");
      }
    }
  }

  /** A failed reload: back off (doubling from the poll interval up to maxBackoffMs); report the first of an outage once. */
  #reloadFailed(err: unknown): void {
    this.#reloadFailures++;
    this.#backoffMs = Math.min(this.#maxBackoffMs, this.#backoffMs === 0 ? this.#pollIntervalMs : this.#backoffMs * 2);
    this.#retryAt = Date.now() + this.#backoffMs;
    const error = new DnsReloadError(err);
    const fields = { err: error, code: error.code, retryInMs: this.#backoffMs };
    if (this.#outage === undefined) {
      this.#outage = { since: Date.now(), failures: 1 };
      this.#logger?.warn(fields, error.message);
    } else {
      this.#outage.failures++;
      this.#logger?.debug?.({ ...fields, failures: this.#outage.failures }, error.message);
    }
  }

  /** The routes of `keys` changed in the table: push them to the subscribers (in a primary: to the workers, which push). */
  #publish(keys: Iterable<string>): void {
    if (this.#role !== "primary") {
      for (const key of keys) this.#push(key);
      return;
    }
    const routes: WireRoute[] = [];
    for (const key of keys) {
      const { modid, cmdid } = parseRouteKey(key);
      routes.push(wireRoute(modid, cmdid, this.lookup(modid, cmdid)));
    }
    if (routes.length > 0) this.#sendSync(PATCH_TASK, { version: this.#version, routes }, "all");
  }

  /** Primary: the whole table to one booting worker, or to all after a refused sync. */
  #sendTable(target: number | "all"): void {
    const routes: WireRoute[] = [];
    for (const route of this.#table.values()) routes.push(wireRoute(route.modid, route.cmdid, route.hosts));
    this.#sendSync(TABLE_TASK, { version: this.#version, routes }, target);
  }

  #sendSync(task: string, payload: WorkerSyncPayload, target: number | "all"): void {
    try {
      this.#server.sendTask(task, payload, target);
      this.#workerSyncs++;
    } catch (err) {
      if (!(err instanceof TaskError)) throw err;
      // Nothing is lost: every worker gets the whole table (and pushes what differs) at the next poll.
      this.#workerSyncFailures++;
      this.#resendTable = true;
      this.#logger?.warn({ err, code: err.code, task }, "a worker refused a table sync: the whole table goes again at the next poll");
    }
  }

  /**
   * Worker: the primary sent the whole table (swap it in, push the routes that differ) or the routes that
   * changed (patch them in, push each, as a single process does).
   */
  #applyWorkerSync(payload: unknown, whole: boolean): void {
    if (!isWorkerSyncPayload(payload)) {
      this.#logger?.warn({ code: "LARS_DNS_SYNC_MALFORMED", whole }, "malformed table sync from the primary: ignored");
      return;
    }
    this.#version = payload.version;
    this.#reloads++;
    if (whole) {
      const next = new Map<string, DnsRoute>();
      for (const wire of payload.routes) {
        const { key, route } = fromWireRoute(wire);
        if (route.hosts.length > 0) next.set(key, route);
      }
      const changed = diffRouteTables(this.#table, next);
      this.#table = next;
      for (const key of changed) this.#push(key);
      return;
    }
    const keys: string[] = [];
    for (const wire of payload.routes) {
      const { key, route } = fromWireRoute(wire);
      if (route.hosts.length > 0) this.#table.set(key, route);
      else this.#table.delete(key);
      keys.push(key);
    }
    this.#incrementalReloads++;
    for (const key of keys) this.#push(key);
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

/** Whether `rows` (by id) are non-empty and continue `lastId` without a gap. */
function contiguousAfter(lastId: number, rows: readonly DnsRouteChange[]): boolean {
  if (rows.length === 0) return false;
  for (let i = 0; i < rows.length; i++) if (rows[i]!.id !== lastId + 1 + i) return false;
  return true;
}

function tableOfDelta(changed: ReadonlyMap<string, DnsRoute | undefined>): Map<string, DnsRoute> {
  const table = new Map<string, DnsRoute>();
  for (const [key, route] of changed) if (route !== undefined) table.set(key, route);
  return table;
}

function mutable(table: DnsRouteTable): Map<string, DnsRoute> {
  return table instanceof Map ? (table as Map<string, DnsRoute>) : new Map(table);
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number, got ${value}`);
  return value;
}
