import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { MsgId, ipToInt32, reportStatusRequestCodec } from "@lars/proto";
import type { ReportStatusRequest } from "@lars/proto";
import { TcpClient } from "@lars/tcp-client";
import { ReporterServer } from "../src/reporter-server.js";
import { FakeWriter, memoryLogger } from "./helpers.js";

const loops: EventLoop[] = [];
afterEach(async () => {
  await Promise.all(loops.splice(0).map((l) => l.stop()));
});

async function start(writer: FakeWriter, extra: Partial<ConstructorParameters<typeof ReporterServer>[1]> = {}) {
  const loop = new EventLoop();
  loops.push(loop);
  const logger = memoryLogger();
  const reporter = new ReporterServer(loop, { writer, port: 0, flushIntervalMs: 5, logger, ...extra });
  const { port } = await reporter.listen();
  const agent = async (): Promise<TcpClient> => {
    const c = new TcpClient(loop, { host: "127.0.0.1", port, reconnect: false });
    await c.ready();
    return c;
  };
  return { loop, reporter, agent, logger };
}

function report(modid: number, caller: string, hosts: [string, number, number, number, boolean][], ts = 1_700_000_000): Uint8Array {
  const msg: ReportStatusRequest = {
    modid,
    cmdid: 2,
    caller: ipToInt32(caller),
    ts,
    results: hosts.map(([ip, port, succ, err, overload]) => ({ ip: ipToInt32(ip), port, succ, err, overload })),
  };
  return reportStatusRequestCodec.encode(msg);
}

describe("ReporterServer", () => {
  it("stores the reports of several agents, one row per (route, host, caller), latest snapshot wins", async () => {
    const writer = new FakeWriter();
    const { reporter, agent } = await start(writer);
    const a = await agent();
    const b = await agent();
    const c = await agent();
    a.sendMessage(report(101, "10.0.0.1", [["192.168.1.177", 80, 10, 1, false], ["192.168.1.178", 80, 3, 0, false]]), MsgId.ReportStatusRequest);
    b.sendMessage(report(101, "10.0.0.2", [["192.168.1.177", 80, 7, 2, true]]), MsgId.ReportStatusRequest);
    c.sendMessage(report(102, "10.0.0.3", [["192.168.1.177", 8080, 1, 9, true]]), MsgId.ReportStatusRequest);
    a.sendMessage(report(101, "10.0.0.1", [["192.168.1.177", 80, 20, 4, false]], 1_700_000_010), MsgId.ReportStatusRequest);
    await writer.waitRows(4);
    await reporter.flusher.idle();
    const row = writer.table.get(`101:2:${ipToInt32("192.168.1.177")}:80:${ipToInt32("10.0.0.1")}`);
    expect(row).toEqual({
      modid: 101,
      cmdid: 2,
      ip: -1062731343,
      port: 80,
      caller: ipToInt32("10.0.0.1"),
      succCnt: 20,
      errCnt: 4,
      ts: 1_700_000_010,
      overload: false,
    });
    expect(writer.table.get(`101:2:${ipToInt32("192.168.1.177")}:80:${ipToInt32("10.0.0.2")}`)).toMatchObject({ succCnt: 7, errCnt: 2, overload: true });
    expect(writer.table.get(`102:2:${ipToInt32("192.168.1.177")}:8080:${ipToInt32("10.0.0.3")}`)).toMatchObject({ succCnt: 1, errCnt: 9, overload: true });
    expect(writer.table.size).toBe(4);
    const s = reporter.stats();
    expect(s.reports).toBe(4);
    expect(s.queue.received).toBe(5);
    expect(s.flusher.stored + s.queue.coalesced).toBe(5);
  });

  it("skips an undecodable body, reports it, and keeps the connection", async () => {
    const writer = new FakeWriter();
    const { reporter, agent, logger } = await start(writer);
    const a = await agent();
    a.sendMessage(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x0f]), MsgId.ReportStatusRequest);
    a.sendMessage(report(103, "10.0.0.9", [["10.1.1.1", 81, 5, 0, false]]), MsgId.ReportStatusRequest);
    await writer.waitRows(1);
    expect(reporter.stats().decodeErrors).toBe(1);
    expect(logger.entries.some((e) => e.msg === "undecodable report skipped")).toBe(true);
    expect(a.connected).toBe(true);
    expect([...writer.table.values()][0]).toMatchObject({ modid: 103, port: 81, succCnt: 5 });
  });

  it("during a storage outage keeps accepting, drops and counts past the cap, then recovers", async () => {
    const writer = new FakeWriter();
    writer.failing = true;
    const { reporter, agent, logger } = await start(writer, { queueCap: 100, batchSize: 50, retryInitialMs: 10, retryMaxMs: 40 });
    const a = await agent();
    const hosts = (from: number): [string, number, number, number, boolean][] =>
      Array.from({ length: 100 }, (_, i) => [`10.2.${Math.floor((from + i) / 250)}.${(from + i) % 250}`, 80, 1, 0, false]);
    for (let k = 0; k < 10; k++) a.sendMessage(report(104, "10.0.0.1", hosts(k * 100)), MsgId.ReportStatusRequest);
    await waitFor(() => reporter.stats().queue.received === 1000 && reporter.stats().flusher.failures >= 2);
    const s = reporter.stats();
    expect(s.queue.maxPending).toBeLessThanOrEqual(100);
    expect(s.queue.dropped).toBeGreaterThanOrEqual(900);
    expect(s.flusher.storeDown).toBe(true);
    expect(a.connected).toBe(true);
    writer.failing = false;
    await waitFor(() => reporter.stats().flusher.stored === 100);
    await reporter.flusher.idle();
    expect(writer.table.size).toBe(100);
    await reporter.close();
    expect(logger.entries.some((e) => e.msg?.includes("dropped") && (e.obj as { totalDropped: number }).totalDropped === 900)).toBe(true);
    expect(writer.closed).toBe(true);
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
