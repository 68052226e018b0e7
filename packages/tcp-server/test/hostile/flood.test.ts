import { fork } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "@lars/codec";
import { BufPool } from "@lars/iobuf";
import type { TcpServerStats } from "../../src/index.js";
import { echo, nextTurn, patterned, startServer, teardownAll } from "../helpers/harness.js";
import { RawClient, WAIT_MS } from "../helpers/raw-client.js";

const FIXTURE = fileURLToPath(new URL("../fixtures/flood-server.mjs", import.meta.url));
const MAX_BODY = 65_527;
const FLOOD_MS = 3000;
const FLOODERS = 6;
const POOL_CAP = 64 * 1024 * 1024;
/** Generous bound on the server's RSS growth under the flood. */
const RSS_GROWTH_BOUND = 400 * 1024 * 1024;
const MiB = 1024 * 1024;

interface Sample {
  port?: number;
  rss: number;
  heapUsed: number;
  pool: { bytes: number; inUseBytes: number; capBytes: number; maxBytes: number };
  stats: TcpServerStats;
  refused: number;
  errors: Record<string, number>;
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
  await teardownAll();
});

/** The server child: `ask()` sends "sample" and resolves with the answer. */
async function startServerChild(): Promise<{ port: number; ask: () => Promise<Sample>; stop: () => Promise<number | null> }> {
  const child: ChildProcess = fork(FIXTURE, [], {
    env: { ...process.env, LARS_FLOOD_POOL_CAP: String(POOL_CAP) },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const inbox: Sample[] = [];
  const events = new EventEmitter();
  child.on("message", (m: Sample) => {
    inbox.push(m);
    events.emit("message");
  });
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGKILL");
      await exited;
    }
  });
  const next = (): Promise<Sample> =>
    new Promise((resolve, reject) => {
      if (inbox.length > 0) return resolve(inbox.shift()!);
      const timer = setTimeout(() => reject(new Error("the flood server did not answer")), WAIT_MS);
      events.once("message", () => {
        clearTimeout(timer);
        resolve(inbox.shift()!);
      });
    });
  const { port } = await next();
  return {
    port: port!,
    ask: () => {
      child.send("sample");
      return next();
    },
    stop: () => {
      child.send("stop");
      return exited;
    },
  };
}

/**
 * A peer that writes maximum-size frames as fast as its socket takes them and
 * reads little: `reads` false never reads; true reads one chunk now and then.
 */
function flooder(port: number, reads: boolean): { socket: Socket; sent: () => number; stop: () => void } {
  const socket = connect({ port, host: "127.0.0.1" });
  socket.on("error", () => {});
  const burst = Buffer.concat(Array.from({ length: 16 }, () => encodeFrame(1, Buffer.alloc(MAX_BODY, 0x5a))));
  let sent = 0;
  let stopped = false;
  const pump = (): void => {
    while (!stopped && !socket.destroyed) {
      sent += burst.length;
      if (!socket.write(burst)) return; // wait for 'drain'
    }
  };
  socket.on("drain", pump);
  socket.once("connect", () => {
    socket.pause();
    pump();
  });
  let sip: NodeJS.Timeout | undefined;
  if (reads) {
    // Sip: read for a moment every 100 ms.
    sip = setInterval(() => {
      socket.resume();
      setImmediate(() => socket.pause());
    }, 100);
  }
  return {
    socket,
    sent: () => sent,
    stop: () => {
      stopped = true;
      if (sip !== undefined) clearInterval(sip);
      socket.destroy();
    },
  };
}

describe("flood: several peers send maximum-size frames at an echo server and hardly read", () => {
  it(`the server's RSS growth stays under ${RSS_GROWTH_BOUND / MiB} MiB, its pool under its cap, and it serves a good client throughout`, async () => {
    const server = await startServerChild();
    const good = await RawClient.connect(server.port);
    cleanup.push(() => good.destroy());
    expect((await good.roundTrip(1, "warm-up")).body.toString()).toBe("warm-up");
    const base = await server.ask();

    const flooders = Array.from({ length: FLOODERS }, (_, i) => flooder(server.port, i % 2 === 1));
    cleanup.push(() => {
      flooders.forEach((f) => f.stop());
      return Promise.resolve();
    });
    const samples: Sample[] = [];
    const rtts: number[] = [];
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < FLOOD_MS) {
      // A good round trip, then a sample of the server: one after the other, all along the flood.
      const t = performance.now();
      expect((await good.roundTrip(1, `good ${n}`)).body.toString()).toBe(`good ${n}`);
      rtts.push(performance.now() - t);
      n++;
      samples.push(await server.ask());
    }
    const peak = samples.reduce((a, s) => (s.rss > a.rss ? s : a));
    const during = samples.at(-1)!;
    const sentBytes = flooders.reduce((a, f) => a + f.sent(), 0);
    flooders.forEach((f) => f.stop());
    // The flooders are gone: their connections close, their buffers go back to the pool.
    let after = await server.ask();
    const end = Date.now() + WAIT_MS;
    while ((after.stats.current !== 1 || after.pool.inUseBytes > 64 * 1024) && Date.now() < end) after = await server.ask();

    console.log(
      `flood: ${FLOODERS} peers sent ${(sentBytes / MiB).toFixed(0)} MiB of ${MAX_BODY}-byte frames in ${FLOOD_MS} ms; ` +
        `server got ${during.stats.messagesIn} frames (${(during.stats.bytesIn / MiB).toFixed(0)} MiB), echoed ${during.stats.messagesOut}, dropped ${during.refused} (LARS_OUTPUT_FULL); ` +
        `RSS ${(base.rss / MiB).toFixed(0)} -> peak ${(peak.rss / MiB).toFixed(0)} MiB (+${((peak.rss - base.rss) / MiB).toFixed(0)}), after ${(after.rss / MiB).toFixed(0)} MiB; ` +
        `pool peak ${(Math.max(...samples.map((s) => s.pool.maxBytes)) / MiB).toFixed(1)} MiB of cap ${POOL_CAP / MiB} MiB, in use after ${after.pool.inUseBytes} B; ` +
        `good client ${n} round trips, max ${Math.max(...rtts).toFixed(1)} ms`,
    );
    expect(during.stats.messagesIn).toBeGreaterThan(100);
    expect(during.refused).toBeGreaterThan(0); // the peers that never read did fill their output
    expect(peak.rss - base.rss).toBeLessThan(RSS_GROWTH_BOUND);
    for (const s of samples) {
      expect(s.pool.bytes).toBeLessThanOrEqual(POOL_CAP);
      expect(s.pool.maxBytes).toBeLessThanOrEqual(POOL_CAP);
    }
    // Nothing went wrong inside the server: no frame errors, no pool exhaustion, no handler errors.
    expect(during.errors).toEqual({});
    expect(after.stats.current).toBe(1);
    expect(after.pool.inUseBytes).toBe(0);
    expect((await good.roundTrip(1, "after the flood")).body.toString()).toBe("after the flood");
    await good.destroy();
    expect(await server.stop()).toBe(0);
  }, 30_000);
});

describe("pool cap: when peers that do not read hold the whole pool, sends are refused (typed), never more memory", () => {
  it("LARS_POOL_EXHAUSTED is reported, the pool never passes its cap, the server stays up, and everything comes back when the peers go", async () => {
    const capBytes = 4 * MiB;
    const pool = new BufPool({ capBytes, maxFreeBytes: 0, track: true });
    let peakBytes = 0;
    const h = await startServer({ pool, outputCap: 2 * MiB, highWaterMark: 512 * 1024 }, (s) => {
      s.addMsgRouter(1, echo);
      // A pull: 40 x 60 KB back, as long as they are taken; each refusal is thrown and reported.
      s.addMsgRouter(5, (_b, msgid, conn) => {
        for (let i = 0; i < 40; i++) {
          conn.sendMessage(patterned(60_000, i), msgid);
          peakBytes = Math.max(peakBytes, pool.stats().bytes);
        }
      });
    });
    // Four peers that pull and never read: together they could hold 8 MiB, the pool has 4.
    const hogs = await Promise.all(Array.from({ length: 4 }, () => h.connect()));
    for (const hog of hogs) hog.pause();
    for (let round = 0; round < 10; round++) {
      for (const hog of hogs) hog.send(5, "more");
      await nextTurn();
    }
    await h.errors.waitFind((e) => e.err.code === "LARS_POOL_EXHAUSTED", "pool exhausted");
    const codes = new Set(h.errors.items.map((e) => e.err.code));
    expect([...codes].every((c) => c === "LARS_POOL_EXHAUSTED" || c === "LARS_OUTPUT_FULL")).toBe(true);
    expect(peakBytes).toBeLessThanOrEqual(capBytes);
    expect(pool.stats().bytes).toBeLessThanOrEqual(capBytes);
    expect(h.server.connectionCount).toBe(4);

    // The hogs leave: their buffers come back, and a newcomer is served.
    await Promise.all(hogs.map((hog) => hog.destroy()));
    await h.closes.waitCount(4);
    expect(pool.inUse).toBe(0);
    const late = await h.connect();
    expect((await late.roundTrip(1, "room again")).body.toString()).toBe("room again");
    console.log(
      `pool cap: ${h.errors.items.filter((e) => e.err.code === "LARS_POOL_EXHAUSTED").length} sends refused LARS_POOL_EXHAUSTED, ` +
        `${h.errors.items.filter((e) => e.err.code === "LARS_OUTPUT_FULL").length} LARS_OUTPUT_FULL; pool peak ${(peakBytes / MiB).toFixed(2)} MiB of cap ${capBytes / MiB} MiB`,
    );
  });
});
