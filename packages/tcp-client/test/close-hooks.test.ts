import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { TcpClient } from "../src/index.js";
import type { TcpClientOptions } from "../src/index.js";
import { FrameServer, HookLog, poll, turns } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function connected(clientOpts: Partial<TcpClientOptions> = {}) {
  const loop = new EventLoop({ monitorDelay: false });
  const pool = new BufPool({ track: true });
  const server = await FrameServer.start();
  const log = new HookLog();
  const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port, pool, reconnect: false, ...log.hooks(), ...clientOpts });
  log.client = client;
  cleanup.push(async () => {
    await loop.stop();
    await server.close();
    pool.assertNoLeaks();
  });
  await client.ready();
  await server.waitConnections(1);
  return { loop, server, log, client };
}

/** After the close: let a duplicate show up if there were one, then check there is exactly one. */
async function closedOnce(log: HookLog) {
  await log.wait("close");
  await turns(10);
  expect(log.count("close")).toBe(1);
  return log.of("close")[0]!;
}

describe("onConnClose fires exactly once per connection", () => {
  it("local close(): reason shutdown, close() resolves after it, idempotent, no give-up", async () => {
    const { log, client, loop } = await connected();
    const p1 = client.close();
    const p2 = client.close(100);
    expect(p2).toBe(p1);
    expect(client.connected).toBe(false);
    expect(client.status.state).toBe("closed");
    await p1;
    expect(await closedOnce(log)).toEqual({ name: "close", reason: "shutdown", error: undefined });
    expect(log.count("giveUp")).toBe(0);
    expect(loop.stats().ownedResources).toBe(0);
  });

  it("peer close (FIN): reason peer-closed", async () => {
    const { log, server } = await connected();
    server.socket.end();
    expect(await closedOnce(log)).toMatchObject({ reason: "peer-closed" });
  });

  it("peer reset (RST): reason peer-closed, once", async () => {
    const { log, server } = await connected();
    server.socket.resetAndDestroy();
    const e = await closedOnce(log);
    expect(e.reason).toBe("peer-closed");
  });

  it("bad frame from the server (negative length): reason bad-frame with LARS_FRAME_NEGATIVE_LENGTH", async () => {
    const { log, server } = await connected();
    const header = Buffer.alloc(8);
    header.writeInt32LE(1, 0);
    header.writeInt32LE(-1, 4);
    server.socket.write(header);
    const e = await closedOnce(log);
    expect(e).toMatchObject({ reason: "bad-frame", error: { code: "LARS_FRAME_NEGATIVE_LENGTH" } });
  });

  it("bad frame (too long) with reconnect on: that connection closes once, the client reconnects, the next close is its own", async () => {
    const { log, server, client } = await connected({ maxMessageLength: 1000, reconnect: { initialDelayMs: 5 } });
    const header = Buffer.alloc(8);
    header.writeInt32LE(1, 0);
    header.writeInt32LE(1001, 4);
    server.socket.write(header);
    await log.wait("start", 2);
    expect(log.of("close")).toMatchObject([{ name: "close", reason: "bad-frame", error: { code: "LARS_FRAME_TOO_LONG" } }]);
    await client.close();
    await turns(10);
    expect(log.of("close").map((e) => e.reason)).toEqual(["bad-frame", "shutdown"]);
  });

  it("close() from inside a handler is allowed (conn.close() on the client closes the client)", async () => {
    const { log, server, client } = await connected({ reconnect: { initialDelayMs: 5 } });
    client.addMsgRouter(1, (_b, _m, conn) => conn.close());
    client.sendMessage("bye", 1);
    await closedOnce(log);
    expect(log.of("close")[0]!.reason).toBe("shutdown");
    expect(client.status.state).toBe("closed");
    expect(server.connections).toBe(1);
  });

  it("close() from inside onConnClose stops the reconnect that would follow", async () => {
    let closing: Promise<void> | undefined;
    const { log, server, client, loop } = await connected({
      reconnect: { initialDelayMs: 5 },
      onConnClose: (c) => {
        closing = c.close();
      },
    });
    server.socket.end();
    await poll(() => closing !== undefined, "onConnClose");
    await closing;
    await turns(10);
    expect(client.status).toMatchObject({ state: "closed", reason: "closed" });
    expect(client.stats().connectAttempts).toBe(1);
    expect(log.count("status")).toBe(2); // connected, closed: never reconnecting
    expect(loop.stats().ownedResources).toBe(0);
  });

  it("loop.stop() closes the client (reason shutdown) and the loop owns nothing afterwards", async () => {
    const { log, client, loop } = await connected();
    await loop.stop();
    expect(await closedOnce(log)).toMatchObject({ reason: "shutdown" });
    expect(client.status).toMatchObject({ state: "closed", reason: "closed" });
    expect(loop.stats()).toMatchObject({ ownedResources: 0, timersPending: 0 });
  });
});
