import { afterEach, describe, expect, it } from "vitest";
import { HandlerError, HookError } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { ReadyError, TcpClient } from "../src/index.js";
import type { ClientStatus } from "../src/index.js";
import { FrameServer, deadPort, poll } from "./helpers.js";

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function newLoop(): EventLoop {
  const loop = new EventLoop({ monitorDelay: false });
  cleanup.push(() => loop.stop());
  return loop;
}

describe("issue 10 defect 6: ready() is bounded, connect failures are visible, backoff needs a stable connection", () => {
  it("ready({ timeoutMs }) against a closed port rejects with ReadyError LARS_READY_TIMEOUT carrying the last connect error", async () => {
    const loop = newLoop();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort(), reconnect: { initialDelayMs: 5, jitter: 0 } });
    const err = await client.ready({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadyError);
    expect(err).toMatchObject({ code: "LARS_READY_TIMEOUT", cause: { code: "LARS_CONNECT_FAILED" } });
    expect(client.status.state).toBe("reconnecting");
  });

  it("ready({ signal }) rejects with LARS_READY_ABORTED when the signal aborts (and at once if already aborted)", async () => {
    const loop = newLoop();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort() });
    const ac = new AbortController();
    const p = client.ready({ signal: ac.signal });
    ac.abort(new Error("stop waiting"));
    await expect(p).rejects.toMatchObject({ name: "ReadyError", code: "LARS_READY_ABORTED", cause: new Error("stop waiting") });
    await expect(client.ready({ signal: AbortSignal.abort() })).rejects.toMatchObject({ code: "LARS_READY_ABORTED" });
    expect(() => client.ready({ timeoutMs: -1 })).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT" }));
  });

  it("ready({ timeoutMs }) still resolves when the connection comes first, and leaves no timer behind", async () => {
    const server = await FrameServer.start();
    cleanup.push(() => server.close());
    const loop = newLoop();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port });
    await client.ready({ timeoutMs: 5000 });
    expect(client.connected).toBe(true);
    expect(loop.stats().timersPending).toBe(0);
  });

  it("connect failures reach the logger when no onError is given", async () => {
    const warned: string[] = [];
    const loop = newLoop();
    new TcpClient(loop, {
      host: "127.0.0.1",
      port: await deadPort(),
      reconnect: { initialDelayMs: 5, jitter: 0, maxAttempts: 1 },
      logger: { warn: (_obj, m = "") => void warned.push(m), error: () => {} },
    });
    await poll(() => warned.length >= 2, "two connect failures logged");
    expect(warned[0]).toMatch(/ECONNREFUSED|refused|connect/i);
  });

  it("a server that accepts and closes at once is retried with growing delays (attempts reset only after stableAfterMs)", async () => {
    const server = await FrameServer.start({ onConnection: (socket) => socket.destroy() });
    cleanup.push(() => server.close());
    const loop = newLoop();
    const retries: { attempt: number; delayMs: number }[] = [];
    new TcpClient(loop, {
      host: "127.0.0.1",
      port: server.port,
      reconnect: { initialDelayMs: 5, factor: 2, jitter: 0, stableAfterMs: 1000 },
      onStatusChange: (_c, s: ClientStatus) => {
        if (s.state === "reconnecting") retries.push({ attempt: s.attempt, delayMs: s.delayMs });
      },
    });
    await poll(() => retries.length >= 4, "four reconnects");
    expect(retries.slice(0, 4).map((r) => r.delayMs)).toEqual([5, 10, 20, 40]);
    expect(retries.slice(0, 4).map((r) => r.attempt)).toEqual([1, 2, 3, 4]);
  });

  it("with stableAfterMs 0 a lost connection starts the backoff over (old behaviour, opt-in)", async () => {
    const server = await FrameServer.start({ onConnection: (socket) => socket.destroy() });
    cleanup.push(() => server.close());
    const loop = newLoop();
    const delays: number[] = [];
    new TcpClient(loop, {
      host: "127.0.0.1",
      port: server.port,
      reconnect: { initialDelayMs: 5, factor: 2, jitter: 0, stableAfterMs: 0 },
      onStatusChange: (_c, s: ClientStatus) => {
        if (s.state === "reconnecting") delays.push(s.delayMs);
      },
    });
    await poll(() => delays.length >= 3, "three reconnects");
    expect(delays.slice(0, 3)).toEqual([5, 5, 5]);
  });
});

describe("issue 10 defect 1 (client): async handlers and hooks never crash", () => {
  it("an async route handler that rejects is reported to onError as HandlerError LARS_HANDLER_ERROR; the connection stays up", async () => {
    const server = await FrameServer.start({ echo: true });
    cleanup.push(() => server.close());
    const loop = newLoop();
    const errors: Error[] = [];
    const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port, onError: (_c, e) => void errors.push(e) });
    client.addMsgRouter(5, async () => {
      await Promise.resolve();
      throw new Error("async handler failed");
    });
    await client.ready({ timeoutMs: 5000 });
    client.sendMessage("x", 5);
    await poll(() => errors.length >= 1, "the handler error");
    expect(errors[0]).toBeInstanceOf(HandlerError);
    expect(errors[0]).toMatchObject({ code: "LARS_HANDLER_ERROR", msgid: 5, cause: new Error("async handler failed") });
    expect(client.connected).toBe(true);
  });

  it("an async hook that rejects is reported as HookError (kind rejected); with no onError nor logger it is counted, not thrown", async () => {
    const server = await FrameServer.start({ echo: true });
    cleanup.push(() => server.close());
    const loop = newLoop();
    const errors: Error[] = [];
    const client = new TcpClient(loop, {
      host: "127.0.0.1",
      port: server.port,
      onConnStart: async () => Promise.reject(new Error("async hook failed")),
      onError: (_c, e) => void errors.push(e),
    });
    await client.ready({ timeoutMs: 5000 });
    await poll(() => errors.length >= 1, "the hook error");
    expect(errors[0]).toBeInstanceOf(HookError);
    expect(errors[0]).toMatchObject({ code: "LARS_HOOK_ERROR", hook: "onConnStart", kind: "rejected" });

    const silent = new TcpClient(newLoop(), {
      host: "127.0.0.1",
      port: server.port,
      onConnStart: () => {
        throw new Error("sync hook failed");
      },
    });
    await silent.ready({ timeoutMs: 5000 });
    await poll(() => silent.stats().unreportedErrors >= 1, "the unreported count");
    expect(silent.connected).toBe(true);
  });
});

describe("whenClosed()", () => {
  it("resolves once close() finished, and once the client gave up; the same promise every call", async () => {
    const server = await FrameServer.start();
    cleanup.push(() => server.close());
    const loop = newLoop();
    const client = new TcpClient(loop, { host: "127.0.0.1", port: server.port });
    const ended = client.whenClosed();
    expect(client.whenClosed()).toBe(ended);
    await client.ready({ timeoutMs: 5000 });
    let settled = false;
    void ended.then(() => (settled = true));
    await new Promise((r) => setImmediate(r));
    expect(settled).toBe(false);
    await client.close();
    await ended;
    expect(client.closed).toBe(true);

    const gaveUp = new TcpClient(loop, { host: "127.0.0.1", port: await deadPort(), reconnect: false });
    await gaveUp.whenClosed();
    expect(gaveUp.status).toMatchObject({ state: "closed", reason: "gave-up" });
  });
});
