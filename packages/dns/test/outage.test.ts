// The database goes away while dns runs and comes back: the last table keeps serving, the outage is
// logged once, reloads are retried with a doubling backoff, and the server recovers by itself.
// Deterministic: the test waits on the wrapper's calls and on log lines, never on time.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, connect, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { StoreUnavailableError } from "@lars/store";
import { DnsServer, type DnsLogger, type DnsRouteChange, type DnsRouteChangeEvent, type DnsRouteTable, type DnsStore } from "../src/index.js";
import type { BinStore } from "../src/bin/open-store.js";
import { Agent } from "./helpers.js";
import { openStore } from "./store-available.js";

const dir = mkdtempSync(join(tmpdir(), "lars-dns-outage-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real store whose reads throw StoreUnavailableError while `down`, as a store whose database went away. */
class FlakyStore implements DnsStore {
  down = false;
  failedCalls = 0;
  readonly #inner: BinStore;
  constructor(inner: BinStore) {
    this.#inner = inner;
  }
  #gate(): void {
    if (this.down) {
      this.failedCalls++;
      throw new StoreUnavailableError("connect ECONNREFUSED 127.0.0.1:3306 (test: database down)");
    }
  }
  async getRouteVersion(): Promise<number> {
    this.#gate();
    return this.#inner.getRouteVersion();
  }
  async loadRoutes(): Promise<DnsRouteTable> {
    this.#gate();
    return this.#inner.loadRoutes();
  }
  async loadRouteChanges(): Promise<readonly DnsRouteChange[]> {
    this.#gate();
    return this.#inner.loadRouteChanges();
  }
  async clearRouteChanges(upToId: number): Promise<void> {
    this.#gate();
    return this.#inner.clearRouteChanges(upToId);
  }
  onRouteChange(listener: (c: DnsRouteChangeEvent) => void): () => void {
    return this.#inner.onRouteChange(listener);
  }
}

type Line = { level: "warn" | "error" | "info" | "debug"; obj: Record<string, unknown>; msg: string | undefined };

/** Records every line; `waitFor(pred)` resolves when a line matching it has been logged. */
function eventLogger(): DnsLogger & { lines: Line[]; waitFor(pred: (l: Line) => boolean): Promise<Line> } {
  const lines: Line[] = [];
  const waiters: Array<{ pred: (l: Line) => boolean; resolve: (l: Line) => void }> = [];
  const add = (level: Line["level"]) => (obj: object, msg?: string) => {
    const line = { level, obj: obj as Record<string, unknown>, msg };
    lines.push(line);
    for (const w of [...waiters]) {
      if (w.pred(line)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  };
  return {
    lines,
    warn: add("warn"),
    error: add("error"),
    info: add("info"),
    debug: add("debug"),
    waitFor(pred) {
      const hit = lines.find(pred);
      if (hit !== undefined) return Promise.resolve(hit);
      return new Promise((resolve) => waiters.push({ pred, resolve }));
    },
  };
}

describe.skipIf(openStore === undefined)("DnsServer while its SQLite store goes away and comes back", () => {
  it("serves the last table, logs once, backs off 10 → 20 → 40 → 40 ms, recovers and pushes what changed meanwhile", async () => {
    const real = await openStore!({ type: "sqlite", path: join(dir, "outage.db") });
    cleanups.push(() => real.close());
    await real.replaceHosts(7, 1, [{ ip: 167772161, port: 80 }]);
    const store = new FlakyStore(real);
    const logger = eventLogger();
    const dns = new DnsServer({ store, port: 0, pollIntervalMs: 10, maxBackoffMs: 40, fullReloadMs: 3_600_000, logger });
    const { port } = await dns.start();
    cleanups.push(() => dns.close());
    const agent = new Agent(port);
    cleanups.push(() => agent.close());
    await agent.connected;
    agent.query(7, 1);
    await agent.next((r) => r.modid === 7);

    store.down = true;
    const failure = (n: number) => (l: Line) => l.obj.code === "LARS_DNS_RELOAD_FAILED" && (n === 1 ? l.level === "warn" : l.obj.failures === n);
    const first = await logger.waitFor(failure(1));
    expect(first.obj.retryInMs).toBe(10);
    expect(first.msg).toMatch(/route reload failed, serving the last good table: .*database down/);
    expect((first.obj.err as Error).cause).toBeInstanceOf(StoreUnavailableError);
    const retries = [];
    for (const k of [2, 3, 4]) retries.push((await logger.waitFor(failure(k))).obj.retryInMs);
    expect(retries).toEqual([20, 40, 40]); // doubling, capped at maxBackoffMs
    expect(logger.lines.filter((l) => l.level === "warn" || l.level === "error")).toHaveLength(1); // logged once
    expect(dns.stats()).toMatchObject({ storeDown: true, backoffMs: 40 });
    expect(dns.stats().reloadFailures).toBeGreaterThanOrEqual(4);

    // Still serving the last table to a new query while down.
    let from = agent.received.length;
    agent.query(7, 1);
    expect((await agent.next((r) => r.modid === 7, from)).host).toEqual([{ ip: 167772161, port: 80 }]);

    // A change lands in the database while this server cannot read it (another process wrote it).
    from = agent.received.length;
    const { version } = await real.replaceHosts(7, 1, [{ ip: 167772162, port: 81 }]);
    store.down = false;
    const back = await logger.waitFor((l) => l.level === "info" && /available again/.test(l.msg ?? ""));
    expect(back.obj).toMatchObject({ version, routes: 1 });
    expect(back.obj.failures).toBeGreaterThanOrEqual(4);
    const pushed = await agent.next((r) => r.host[0]?.port === 81, from);
    expect(pushed).toEqual({ modid: 7, cmdid: 1, host: [{ ip: 167772162, port: 81 }] });
    expect(dns.stats()).toMatchObject({ storeDown: false, backoffMs: 0, version });
    expect(logger.lines.filter((l) => l.level === "warn" || l.level === "error")).toHaveLength(1);

    // A second outage is logged once again.
    store.down = true;
    await logger.waitFor((l) => l.level === "warn" && l !== first && l.obj.code === "LARS_DNS_RELOAD_FAILED");
    expect(logger.lines.filter((l) => l.level === "warn")).toHaveLength(2);
    store.down = false;
    await logger.waitFor((l) => l.level === "info" && l !== back && /available again/.test(l.msg ?? ""));
  });
});

/** A TCP proxy in front of MariaDB: `cut()` kills every connection and stops listening; `start()` again on the same port brings it back. */
class OutageProxy {
  port = 0;
  readonly #target: { host: string; port: number };
  readonly #sockets = new Set<Socket>();
  #server: Server | undefined;
  constructor(target: { host: string; port: number }) {
    this.#target = target;
  }
  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.#target.port, this.#target.host);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    server.listen(this.port, "127.0.0.1");
    await once(server, "listening");
    this.port = (server.address() as { port: number }).port;
    this.#server = server;
  }
  async cut(): Promise<void> {
    const closed = new Promise((resolve) => this.#server?.close(resolve));
    for (const s of this.#sockets) s.destroy();
    await closed;
  }
}

const mysqlUrl = process.env.LARS_TEST_MYSQL_URL;
describe.skipIf(openStore === undefined || mysqlUrl === undefined)(
  "DnsServer while its MariaDB goes away and comes back (skipped without LARS_TEST_MYSQL_URL)",
  () => {
    it("serves the last table, logs once, recovers by itself and pushes what changed meanwhile", async () => {
      const real = new URL(mysqlUrl!);
      const proxy = new OutageProxy({ host: real.hostname, port: Number(real.port || 3306) });
      await proxy.start();
      const viaProxy = new URL(mysqlUrl!);
      viaProxy.hostname = "127.0.0.1";
      viaProxy.port = String(proxy.port);
      const MOD = 790_000 + Math.floor(Math.random() * 10_000) * 10;
      const direct = await openStore!({ type: "mysql", url: mysqlUrl });
      cleanups.push(() => direct.close());
      await direct.replaceHosts(MOD, 1, [{ ip: 167772161, port: 80 }]);
      const store = await openStore!({ type: "mysql", url: viaProxy.toString() });
      cleanups.push(() => store.close());
      cleanups.push(() => proxy.cut().catch(() => undefined));
      const logger = eventLogger();
      const dns = new DnsServer({ store, port: 0, pollIntervalMs: 20, maxBackoffMs: 80, fullReloadMs: 3_600_000, logger });
      const { port } = await dns.start();
      cleanups.push(() => dns.close());
      const agent = new Agent(port);
      cleanups.push(() => agent.close());
      await agent.connected;
      agent.query(MOD, 1);
      await agent.next((r) => r.modid === MOD);

      await proxy.cut(); // the database is gone
      const first = await logger.waitFor((l) => l.level === "warn" && l.obj.code === "LARS_DNS_RELOAD_FAILED");
      expect((first.obj.err as Error).cause).toBeInstanceOf(StoreUnavailableError);
      await logger.waitFor((l) => l.level === "debug" && l.obj.failures === 3);
      expect(logger.lines.filter((l) => l.level === "warn")).toHaveLength(1);
      let from = agent.received.length;
      agent.query(MOD, 1);
      expect((await agent.next((r) => r.modid === MOD, from)).host).toEqual([{ ip: 167772161, port: 80 }]);

      from = agent.received.length;
      const { version } = await direct.replaceHosts(MOD, 1, [{ ip: 167772162, port: 81 }]); // written while dns cannot read
      await proxy.start(); // back, same port
      await logger.waitFor((l) => l.level === "info" && /available again/.test(l.msg ?? ""));
      expect((await agent.next((r) => r.host[0]?.port === 81, from)).host).toEqual([{ ip: 167772162, port: 81 }]);
      expect(dns.stats()).toMatchObject({ storeDown: false, backoffMs: 0 });
      expect(dns.stats().version).toBeGreaterThanOrEqual(version);
      await direct.deleteRoute(MOD, 1);
    });
  },
);
