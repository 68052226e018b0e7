import { afterEach, describe, expect, it } from "vitest";
import type { Socket } from "node:net";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { SendError, TcpClient } from "../src/index.js";
import { FrameServer, HookLog, WAIT_MS } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

const KiB = 1024;

/**
 * Send 32 KiB frames, one loop turn after another, each turn until
 * sendMessage returns false, until a send is refused. Only a peer that
 * does not read lets the unsent bytes reach the cap across turns.
 */
async function fillUntilRefused(client: TcpClient): Promise<{ falseSeen: boolean; refused: SendError; turns: number }> {
  const body = Buffer.alloc(32 * KiB, 1);
  let falseSeen = false;
  const end = Date.now() + WAIT_MS;
  for (let turns = 1; Date.now() < end; turns++) {
    try {
      while (client.sendMessage(body, 1)) {
        /* below the high-water mark: keep going this turn */
      }
      falseSeen = true;
    } catch (err) {
      if (!(err instanceof SendError)) throw err;
      return { falseSeen, refused: err, turns };
    }
    await new Promise((r) => setImmediate(r));
  }
  throw new Error("output never reached its cap");
}

describe("output cap and backpressure with a never-reading peer", () => {
  it("returns false past the high-water mark (onBackpressure once), refuses with LARS_OUTPUT_FULL at the cap, drains when the peer reads", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const pool = new BufPool({ track: true });
    let peer: Socket | undefined;
    const server = await FrameServer.start({ echo: false, onConnection: (s) => ((peer = s), s.pause()) });
    const log = new HookLog();
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: server.port,
      pool,
      outputCap: 512 * KiB,
      highWaterMark: 256 * KiB,
      lowWaterMark: 64 * KiB,
      closeTimeoutMs: 1000,
      ...log.hooks(),
    });
    log.client = client;
    cleanup.push(async () => {
      await loop.stop();
      await server.close();
      pool.assertNoLeaks();
    });
    await client.ready();
    await server.waitConnections(1);

    const { falseSeen, refused } = await fillUntilRefused(client);
    expect(falseSeen).toBe(true);
    expect(refused.code).toBe("LARS_OUTPUT_FULL");
    // While the kernel still took the bytes, each turn crossed the mark and drained again;
    // at the end the mark was crossed and never drained: one more backpressure than drain.
    const signals = log.events.filter((e) => e.name === "backpressure" || e.name === "drain").map((e) => e.name);
    expect(signals.length).toBeGreaterThanOrEqual(1);
    expect(signals.every((name, i) => name === (i % 2 === 0 ? "backpressure" : "drain"))).toBe(true);
    expect(signals.at(-1)).toBe("backpressure");
    expect(client.pendingBytes).toBeLessThanOrEqual(512 * KiB);
    expect(client.pendingBytes + 8 + 32 * KiB).toBeGreaterThan(512 * KiB);
    expect(client.connected).toBe(true); // refusing is not closing (closeOnOutputFull is off)
    const drains = log.count("drain");

    peer!.resume(); // the peer reads now: output drains below the low-water mark
    await log.wait("drain", drains + 1);
    expect(client.pendingBytes).toBeLessThanOrEqual(64 * KiB);
    expect(client.sendMessage("fine again", 1)).toBe(true);
  });

  it("closeOnOutputFull: the refused send also closes the connection with reason output-full", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const pool = new BufPool({ track: true });
    const server = await FrameServer.start({ echo: false, onConnection: (s) => s.pause() });
    const log = new HookLog();
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: server.port,
      pool,
      outputCap: 256 * KiB,
      highWaterMark: 128 * KiB,
      closeOnOutputFull: true,
      closeTimeoutMs: 50,
      reconnect: false,
      ...log.hooks(),
    });
    log.client = client;
    cleanup.push(async () => {
      await loop.stop();
      await server.close();
      pool.assertNoLeaks();
    });
    await client.ready();
    const { refused } = await fillUntilRefused(client);
    expect(refused.code).toBe("LARS_OUTPUT_FULL");
    await log.wait("close");
    expect(log.of("close")).toEqual([{ name: "close", reason: "output-full", error: refused }]);
  });
});
