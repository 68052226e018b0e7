import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { MsgId, ipToInt32, reportStatusRequestCodec } from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { ReporterServer, createStoreWriter, storeBatchWriter } from "../src/index.js";
import type { ReporterStoreOptions } from "../src/index.js";
import { openStore, storeModule } from "./store-helpers.js";

const dir = mkdtempSync(join(tmpdir(), "lars-reporter-e2e-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const mysqlUrl = process.env.LARS_TEST_MYSQL_URL;

async function endToEnd(storeOptions: ReporterStoreOptions, modid: number): Promise<void> {
  const loop = new EventLoop();
  const writer = createStoreWriter(storeOptions, { storeModule });
  await writer.open();
  const reporter = new ReporterServer(loop, { writer, port: 0, batchSize: 100, flushIntervalMs: 10 });
  const { port } = await reporter.listen();
  try {
    const agents: TcpClient[] = [];
    for (let a = 0; a < 3; a++) {
      const c = new TcpClient(loop, { host: "127.0.0.1", port, reconnect: false });
      await c.ready();
      agents.push(c);
    }
    // each agent reports 250 hosts of the route, twice: the second snapshot must win
    for (const round of [1, 2]) {
      for (const [a, c] of agents.entries()) {
        for (let part = 0; part < 5; part++) {
          const results = Array.from({ length: 50 }, (_, i) => {
            const h = part * 50 + i;
            return { ip: ipToInt32(`192.168.${h >> 8}.${h & 255}`), port: 8000 + a, succ: h * round, err: a + round, overload: h % 2 === 0 };
          });
          c.sendMessage(reportStatusRequestCodec.encode({ modid, cmdid: 7, caller: ipToInt32(`10.0.0.${a + 1}`), ts: 1_700_000_000 + round, results }), MsgId.ReportStatusRequest);
        }
      }
    }
    await waitFor(() => reporter.stats().queue.received === 1500);
    await reporter.close();
    const s = reporter.stats();
    expect(s.queue.dropped).toBe(0);
    expect(s.flusher.stored + s.queue.coalesced).toBe(1500);
  } finally {
    await reporter.close();
    await loop.stop();
  }
  const store = await openStore(storeOptions);
  try {
    const rows = await store.listCallStatus({ modid });
    expect(rows).toHaveLength(750);
    const one = rows.find((r) => r.caller === ipToInt32("10.0.0.2") && r.ip === ipToInt32("192.168.0.177"));
    expect(one).toEqual({ modid, cmdid: 7, ip: ipToInt32("192.168.0.177"), port: 8001, caller: ipToInt32("10.0.0.2"), succCnt: 354, errCnt: 3, ts: 1_700_000_002, overload: false });
    expect(rows.every((r) => r.ts === 1_700_000_002)).toBe(true);
  } finally {
    await store.close();
  }
}

describe(`end to end into SQLite (@lars/store)`, () => {
  it("reports of three agents land in ServerCallStatus with the right values, written from the worker thread", async () => {
    await endToEnd({ type: "sqlite", path: join(dir, "e2e.db") }, 201);
  });
});

describe(`a store closed while running (@lars/store)`, () => {
  it("keeps accepting, keeps the queue bounded, counts the drops", async () => {
    const store = await openStore({ type: "sqlite", path: join(dir, "closed.db") });
    const loop = new EventLoop();
    const reporter = new ReporterServer(loop, { writer: storeBatchWriter(store), port: 0, queueCap: 300, batchSize: 100, flushIntervalMs: 5, retryInitialMs: 5, retryMaxMs: 20 });
    const { port } = await reporter.listen();
    try {
      const c = new TcpClient(loop, { host: "127.0.0.1", port, reconnect: false });
      await c.ready();
      const send = (from: number): void => {
        const results = Array.from({ length: 100 }, (_, i) => ({ ip: from + i, port: 1, succ: 1, err: 0, overload: false }));
        c.sendMessage(reportStatusRequestCodec.encode({ modid: 202, cmdid: 1, caller: 1, ts: 1, results }), MsgId.ReportStatusRequest);
      };
      send(0);
      await waitFor(() => reporter.stats().flusher.stored === 100);
      await store.close();
      for (let k = 1; k <= 20; k++) send(k * 100);
      await waitFor(() => reporter.stats().queue.received === 2100 && reporter.stats().flusher.failures >= 2);
      const s = reporter.stats();
      expect(s.queue.maxPending).toBeLessThanOrEqual(300);
      expect(s.queue.dropped).toBe(1700);
      expect(s.flusher.stored).toBe(100);
      expect(s.flusher.storeDown).toBe(true);
      expect(c.connected).toBe(true);
    } finally {
      await loop.stop();
    }
  });
});

describe.skipIf(mysqlUrl === undefined)(`end to end into MariaDB${mysqlUrl === undefined ? " (skipped: LARS_TEST_MYSQL_URL is not set)" : ""}`, () => {
  it("reports of three agents land with the right values", async () => {
    await endToEnd({ type: "mysql", url: mysqlUrl! }, 700_000 + Math.floor(Math.random() * 99_999));
  });
});

function waitFor(cond: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const tick = (): void => {
      if (cond()) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
}
