import { createServer, connect, type Server, type Socket } from "node:net";
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { MsgId, reportStatusRequestCodec } from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { ReporterServer, createStoreWriter } from "../src/index.js";
import { openStore, storeModule } from "./store-helpers.js";

const mysqlUrl = process.env.LARS_TEST_MYSQL_URL;

/** A TCP proxy in front of MariaDB: `cut()` kills every connection and stops listening (the database is gone), `restore()` brings it back on the same port. */
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

describe.skipIf(mysqlUrl === undefined)(`a MariaDB lost while running${mysqlUrl === undefined ? " (skipped: LARS_TEST_MYSQL_URL is not set)" : ""}`, () => {
  it("keeps accepting, keeps the queue bounded, counts the drops, reconnects and stores again", async () => {
    const real = new URL(mysqlUrl!);
    const proxy = new OutageProxy({ host: real.hostname, port: Number(real.port || 3306) });
    await proxy.start();
    const viaProxy = new URL(mysqlUrl!);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    const modid = 800_000 + Math.floor(Math.random() * 99_999);
    const loop = new EventLoop();
    const writer = createStoreWriter({ type: "mysql", url: viaProxy.toString() }, { storeModule });
    const reporter = new ReporterServer(loop, { writer, port: 0, queueCap: 300, batchSize: 100, flushIntervalMs: 5, retryInitialMs: 10, retryMaxMs: 50 });
    const { port } = await reporter.listen();
    try {
      const agent = new TcpClient(loop, { host: "127.0.0.1", port, reconnect: false });
      await agent.ready();
      const send = (from: number): void => {
        const results = Array.from({ length: 100 }, (_, i) => ({ ip: from + i, port: 1, succ: from + i, err: 0, overload: false }));
        agent.sendMessage(reportStatusRequestCodec.encode({ modid, cmdid: 1, caller: 1, ts: 1, results }), MsgId.ReportStatusRequest);
      };
      send(0);
      await waitFor(() => reporter.stats().flusher.stored === 100);

      await proxy.cut();
      for (let k = 1; k <= 20; k++) send(k * 100);
      await waitFor(() => reporter.stats().queue.received === 2100 && reporter.stats().flusher.failures >= 2);
      const down = reporter.stats();
      expect(down.flusher.storeDown).toBe(true);
      expect(down.queue.maxPending).toBeLessThanOrEqual(300);
      expect(down.queue.dropped).toBe(1700);
      expect(down.flusher.stored).toBe(100);
      expect(agent.connected).toBe(true);

      await proxy.start(); // same port: the database is back
      await waitFor(() => reporter.stats().flusher.stored === 400);
      expect(reporter.stats().flusher.storeDown).toBe(false);
    } finally {
      await reporter.close();
      await loop.stop();
      await proxy.cut();
    }
    const store = await openStore({ type: "mysql", url: mysqlUrl! });
    try {
      const rows = await store.listCallStatus({ modid });
      // the first report, plus the 300 results the bounded queue kept while the database was gone
      expect(rows).toHaveLength(400);
    } finally {
      await store.close();
    }
  });
});

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (cond()) resolve();
      else setTimeout(tick, 5);
    };
    tick();
  });
}
