import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { BufPool, LarsError } from "@lars/iobuf";
import { TcpClient } from "../src/index.js";
import { HookLog, deadPort, poll, until } from "./helpers.js";

const FIXTURE = fileURLToPath(new URL("./fixtures/chaos-server.mjs", import.meta.url));
const KILLS = 5;
const UP_MS = 400;
const DOWN_MS = 150;
/** Requests kept in flight by the pump. */
const IN_FLIGHT = 16;

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

/** Start the echo server on `port`; resolves once it listens. */
async function startServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [FIXTURE, String(port)], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (s: string) => {
    out += s;
    child.emit("lars-change");
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  cleanup.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  });
  child.once("exit", () => child.emit("lars-change"));
  await until(child, "lars-change", () => out.includes("listening") || child.exitCode !== null, "the chaos server to listen", 10_000);
  if (!out.includes("listening")) throw new Error(`the chaos server exited (${child.exitCode}) before listening`);
  return child;
}

async function kill(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

function numbered(seq: number): Buffer {
  const b = Buffer.alloc(4 + (seq % 200));
  b.writeUInt32LE(seq, 0);
  return b;
}

/** The typed failures a caller may be given; anything else is a bug. */
const REQUEST_FAILURES = new Set(["LARS_CONN_LOST", "LARS_NOT_CONNECTED", "LARS_REQUEST_TIMEOUT"]);
const SEND_REFUSALS = new Set(["LARS_NOT_CONNECTED", "LARS_QUEUE_FULL", "LARS_OUTPUT_FULL", "LARS_CONN_CLOSED"]);

describe("chaos: the server is killed (SIGKILL) and restarted under a numbered stream of requests and sends", () => {
  it("every request is answered with its own reply or rejected with a typed error, and every send is echoed, refused, dropped (reported) or lost with a reported connection: none vanish", async () => {
    const port = await deadPort();
    let server = await startServer(port);

    const loop = new EventLoop({ monitorDelay: false });
    const pool = new BufPool({ track: true });
    const log = new HookLog();

    // ---- plain sends (msgid 1, queued while disconnected): per-connection books
    let sendSeq = 0;
    const sendRefused: Record<string, number> = {};
    let queued: number[] = []; // accepted into the disconnected queue, not yet handed to a connection
    let onConn = new Set<number>(); // accepted by the current connection, not yet echoed
    const echoed = new Set<number>();
    let duplicates = 0;
    let dropped = 0;
    let lostWithConn = 0;
    let connections = 0;

    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port,
      pool,
      reconnect: { initialDelayMs: 20, maxDelayMs: 100 },
      requestTimeoutMs: 3000,
      queueWhileDisconnected: { maxMessages: 256 },
      ...log.hooks({
        onConnStart: () => {
          connections++;
          // The queue is flushed into this connection right after this hook.
          for (const s of queued) onConn.add(s);
          queued = [];
        },
        onConnClose: () => {
          // Reported: these were accepted by a connection that died before echoing them.
          lostWithConn += onConn.size;
          onConn = new Set();
        },
        onQueuedDropped: (_c, messages) => {
          for (const m of messages) {
            const s = Buffer.from(m.body as Uint8Array).readUInt32LE(0);
            if (onConn.delete(s)) dropped++;
          }
        },
      }),
    });
    log.client = client;
    cleanup.push(async () => {
      await loop.stop();
      pool.assertNoLeaks();
    });
    client.addMsgRouter(1, (body) => {
      const s = body.readUInt32LE(0);
      if (echoed.has(s)) duplicates++;
      echoed.add(s);
      onConn.delete(s);
    });

    // ---- requests (msgid 2, echoed): each must settle, with its own reply or a typed error
    let reqSeq = 0;
    let inFlight = 0;
    let answered = 0;
    let wrongReply = 0;
    const failed: Record<string, number> = {};
    const untyped: unknown[] = [];
    const request = (): void => {
      const id = reqSeq++;
      inFlight++;
      client.request(2, numbered(id)).then(
        (reply) => {
          inFlight--;
          if (reply.readUInt32LE(0) === id) answered++;
          else wrongReply++;
        },
        (err: unknown) => {
          inFlight--;
          const code = err instanceof LarsError ? err.code : undefined;
          if (code !== undefined && REQUEST_FAILURES.has(code)) failed[code] = (failed[code] ?? 0) + 1;
          else untyped.push(err);
        },
      );
    };

    // The pump: every 2 ms, top up the requests in flight (while disconnected: one, which is
    // refused at once) and send 4 numbered messages (queued while disconnected).
    const pump = loop.runEvery(2, () => {
      if (!client.connected) request();
      else while (inFlight < IN_FLIGHT) request();
      for (let i = 0; i < 4; i++) {
        const s = sendSeq++;
        const wasConnected = client.connected;
        try {
          client.sendMessage(numbered(s), 1);
          if (wasConnected) onConn.add(s);
          else queued.push(s);
        } catch (err) {
          const code = err instanceof LarsError ? err.code : "untyped";
          if (!SEND_REFUSALS.has(code)) untyped.push(err);
          sendRefused[code] = (sendRefused[code] ?? 0) + 1;
        }
      }
    });

    await client.ready();
    for (let k = 1; k <= KILLS; k++) {
      await new Promise((r) => setTimeout(r, UP_MS));
      const answeredBefore = answered;
      await kill(server);
      await log.wait("close", k);
      await new Promise((r) => setTimeout(r, DOWN_MS));
      server = await startServer(port);
      await log.wait("start", k + 1);
      // Traffic flows again on the new connection.
      await poll(() => answered > answeredBefore + IN_FLIGHT, `requests answered after restart ${k}`, 5000);
    }
    await new Promise((r) => setTimeout(r, UP_MS));
    pump.cancel();
    // Let everything settle: requests answered, sends echoed.
    await poll(() => inFlight === 0 && onConn.size === 0 && queued.length === 0, "the last requests and sends to settle", 5000);

    const sentRequests = reqSeq;
    const failedRequests = Object.values(failed).reduce((a, b) => a + b, 0);
    const refusedSends = Object.values(sendRefused).reduce((a, b) => a + b, 0);
    console.log(
      `chaos: ${KILLS} kills/restarts, ${connections} connections, ${client.stats().connectAttempts} connect attempts. ` +
        `requests: sent ${sentRequests} = answered ${answered} + failed ${failedRequests} ${JSON.stringify(failed)}; ` +
        `sends: ${sendSeq} = echoed ${echoed.size} + refused ${refusedSends} ${JSON.stringify(sendRefused)} + dropped from queue ${dropped} + lost with a closed connection ${lostWithConn}`,
    );
    expect(untyped).toEqual([]);
    expect(wrongReply).toBe(0);
    expect(answered + failedRequests).toBe(sentRequests);
    expect(duplicates).toBe(0);
    expect(echoed.size + refusedSends + dropped + lostWithConn).toBe(sendSeq);
    expect(log.count("close")).toBe(KILLS);
    expect(connections).toBe(KILLS + 1);
    expect(answered).toBeGreaterThan(KILLS * IN_FLIGHT);
    expect(failed.LARS_CONN_LOST ?? 0).toBeGreaterThan(0);
    await client.close();
    await kill(server);
  }, 40_000);
});
