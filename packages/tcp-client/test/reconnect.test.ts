import { afterEach, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import { ConnectError, ConnectionLostError, GaveUpError, TcpClient } from "../src/index.js";
import type { ClientStatus } from "../src/index.js";
import { FrameServer, HookLog, Inbox, deadPort, turns } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function reconnecting(log: HookLog): Extract<ClientStatus, { state: "reconnecting" }>[] {
  return log.of("status").flatMap((e) => (e.status.state === "reconnecting" ? [e.status] : []));
}

describe("reconnect", () => {
  it("reconnects after the server restarts on the same port; delays grow, are capped, jitter within bounds; attributes survive", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const pool = new BufPool({ track: true });
    let server = await FrameServer.start();
    const port = server.port;
    const log = new HookLog();
    const inbox = new Inbox();
    const policy = { initialDelayMs: 10, maxDelayMs: 80, factor: 2, jitter: 0.2 };
    const client = new TcpClient(loop, { host: "127.0.0.1", port, pool, reconnect: policy, ...log.hooks() });
    log.client = client;
    cleanup.push(async () => {
      await loop.stop();
      await server.close();
      pool.assertNoLeaks();
    });
    client.addMsgRouter(1, inbox.handler);
    await client.ready();
    client.setAttr("session", 42);

    await server.close();
    await log.wait("close");
    expect(client.connected).toBe(false);
    expect(() => client.sendMessage("x", 1)).toThrow(expect.objectContaining({ code: "LARS_NOT_CONNECTED" }));
    // Let it fail 6 attempts against the closed port: 10, 20, 40, 80, 80, 80 ms (minus jitter).
    await log.wait("status", 1 + 7); // connected + reconnecting x7 (attempt 7 scheduled after 6 failures)
    server = await FrameServer.start({ port });
    await log.wait("start", 2);
    expect(client.status).toEqual({ state: "connected" });

    const tries = reconnecting(log);
    expect(tries.length).toBeGreaterThanOrEqual(7);
    expect(tries.map((t) => t.attempt)).toEqual(tries.map((_, i) => i + 1));
    for (const t of tries) {
      const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** (t.attempt - 1));
      expect(t.delayMs).toBeGreaterThanOrEqual(base * (1 - policy.jitter));
      expect(t.delayMs).toBeLessThanOrEqual(base);
    }
    // Grows until the cap: each lowest possible delay exceeds the previous highest.
    for (let i = 1; i < 4; i++) expect(tries[i]!.delayMs).toBeGreaterThan(tries[i - 1]!.delayMs);
    expect(Math.max(...tries.map((t) => t.delayMs))).toBeLessThanOrEqual(policy.maxDelayMs);
    // What failed: first the lost connection, then refused connects.
    expect(tries[0]!.lastError).toBeInstanceOf(ConnectionLostError);
    expect(tries[1]!.lastError).toBeInstanceOf(ConnectError);
    expect(tries[1]!.lastError).toMatchObject({ code: "LARS_CONNECT_FAILED", attempt: 1 });
    expect(log.of("error").every((e) => e.err instanceof ConnectError)).toBe(true);
    // Never a tight loop: one connect per scheduled attempt, plus the first.
    expect(client.stats().connectAttempts).toBe(1 + tries.length);

    expect(client.getAttr("session")).toBe(42);
    client.sendMessage("after restart", 1);
    await inbox.wait(1);
    expect(inbox.frames[0]!.body.toString()).toBe("after restart");
    expect(log.count("close")).toBe(1);
    expect(client.stats().connections).toBe(2);
  });

  it("maxAttempts: gives up after that many reconnect attempts, status closed, terminal events once", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    cleanup.push(() => loop.stop());
    const port = await deadPort();
    const log = new HookLog();
    const delays: [number, Error][] = [];
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port,
      reconnect: { maxAttempts: 3, delay: (attempt, lastError) => (delays.push([attempt, lastError]), attempt * 3) },
      ...log.hooks(),
    });
    log.client = client;
    const ready = client.ready();
    const readyErr = ready.catch((e: unknown) => e);
    await log.wait("giveUp");
    await turns();

    expect(delays.map(([a]) => a)).toEqual([1, 2, 3]);
    expect(reconnecting(log).map((s) => s.delayMs)).toEqual([3, 6, 9]);
    const [giveUp] = log.of("giveUp");
    expect(log.count("giveUp")).toBe(1);
    expect(giveUp!.attempts).toBe(3);
    expect(giveUp!.lastError).toMatchObject({ code: "LARS_CONNECT_FAILED", attempt: 3 });
    expect(client.status).toMatchObject({ state: "closed", reason: "gave-up" });
    const status = client.status as Extract<ClientStatus, { state: "closed" }>;
    expect(status.error).toBeInstanceOf(GaveUpError);
    expect(status.error.cause).toBe(giveUp!.lastError);
    expect(await readyErr).toBe(status.error);
    await expect(client.ready()).rejects.toBe(status.error);
    expect(client.stats().connectAttempts).toBe(4);
    expect(log.count("close")).toBe(0); // failed connects are not closes
    expect(client.closed).toBe(true);
    expect(() => client.sendMessage("x", 1)).toThrow(expect.objectContaining({ code: "LARS_CONN_CLOSED" }));
    await client.close(); // idempotent, resolves at once
    expect(loop.stats().ownedResources).toBe(0);
    expect(log.of("status").at(-1)!.status.state).toBe("closed");
  });

  it("reconnect: false — a lost connection ends the client: one close, then give-up with ConnectionLostError", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const server = await FrameServer.start();
    cleanup.push(async () => {
      await loop.stop();
      await server.close();
    });
    const log = new HookLog();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port, reconnect: false, ...log.hooks() });
    log.client = client;
    await client.ready();
    await server.waitConnections(1);
    server.socket.end();
    await log.wait("giveUp");
    await turns();
    expect(log.of("close")).toEqual([{ name: "close", reason: "peer-closed", error: undefined }]);
    expect(log.of("giveUp")).toMatchObject([{ name: "giveUp", lastError: { code: "LARS_CONN_LOST", reason: "peer-closed" }, attempts: 0 }]);
    expect(client.stats().connectAttempts).toBe(1);
    expect(client.status.state).toBe("closed");
  });

  it("a user delay function that throws is reported and the exponential delay is used", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    cleanup.push(() => loop.stop());
    const log = new HookLog();
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: await deadPort(),
      reconnect: {
        maxAttempts: 1,
        initialDelayMs: 5,
        delay: () => {
          throw new Error("bad delay fn");
        },
      },
      ...log.hooks(),
    });
    log.client = client;
    await log.wait("giveUp");
    expect(log.of("error").map((e) => e.err)).toContainEqual(expect.objectContaining({ code: "LARS_HOOK_ERROR", hook: "reconnect.delay" }));
    const [r] = reconnecting(log);
    expect(r!.delayMs).toBeGreaterThanOrEqual(4);
    expect(r!.delayMs).toBeLessThanOrEqual(5);
  });

  it("close() while waiting to reconnect stops for good: no further attempt", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    cleanup.push(() => loop.stop());
    const log = new HookLog();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort(), reconnect: { initialDelayMs: 20 }, ...log.hooks() });
    log.client = client;
    await log.wait("status"); // reconnecting, attempt 1 in 20 ms
    const attempts = client.stats().connectAttempts;
    await client.close();
    expect(client.status).toMatchObject({ state: "closed", reason: "closed", error: { code: "LARS_CLIENT_CLOSED" } });
    expect(loop.stats().timersPending).toBe(0);
    expect(client.stats().connectAttempts).toBe(attempts);
    expect(log.count("giveUp")).toBe(0);
  });
});
