import { afterEach, describe, expect, it } from "vitest";
import { HandlerError } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import type { Logger } from "@lars/iobuf";
import { HookError, TaskError, TcpServer } from "../src/index.js";
import { echo, startServer, teardownAll } from "./helpers/harness.js";

// Issue 10, defect 1 (server part): async hooks, tasks and route handlers that
// reject are reported exactly like a sync throw and never crash the process.

afterEach(teardownAll);

/** Records unhandled rejections while a test runs (there must be none). */
function watchUnhandled(): { list: unknown[]; stop: () => void } {
  const list: unknown[] = [];
  const on = (reason: unknown): void => void list.push(reason);
  process.on("unhandledRejection", on);
  return { list, stop: () => process.off("unhandledRejection", on) };
}

/** One more macrotask turn, so a would-be unhandled rejection has surfaced. */
const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("issue 10 defect 1: a rejecting async hook is reported like a throw", () => {
  it("an async onConnStart that rejects is reported as HookError LARS_HOOK_ERROR (kind 'rejected'); the server serves on", async () => {
    const unhandled = watchUnhandled();
    try {
      const h = await startServer(
        {
          onConnStart: async () => {
            await Promise.resolve();
            throw new Error("async start boom");
          },
        },
        (s) => s.addMsgRouter(1, echo),
      );
      const { client, conn } = await h.connectStarted();
      const [reported] = await h.errors.waitCount(1);
      expect(reported!.err).toBeInstanceOf(HookError);
      expect(reported!.err.code).toBe("LARS_HOOK_ERROR");
      expect((reported!.err as HookError).hook).toBe("onConnStart");
      expect((reported!.err as HookError).kind).toBe("rejected");
      expect((reported!.err.cause as Error).message).toBe("async start boom");
      expect(reported!.conn).toBe(conn);
      expect((await client.roundTrip(1, "still served")).body.toString()).toBe("still served");
      await h.teardown();
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it("an async onConnClose that rejects is reported (LARS_HOOK_ERROR) and close() still finishes", async () => {
    const unhandled = watchUnhandled();
    try {
      const h = await startServer({
        onConnClose: () => Promise.reject(new Error("async close boom")),
      });
      const { client } = await h.connectStarted();
      await client.end();
      await h.closes.waitCount(1);
      const reported = await h.errors.waitFind((e) => e.err.code === "LARS_HOOK_ERROR", "hook");
      expect((reported.err as HookError).hook).toBe("onConnClose");
      expect((reported.err.cause as Error).message).toBe("async close boom");
      await h.teardown();
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });

  it("without onError, a rejecting hook goes to logger.warn with its code", async () => {
    const unhandled = watchUnhandled();
    const logged: { message: string; meta: Record<string, unknown> | undefined }[] = [];
    let resolveLogged: () => void = () => {};
    const seen = new Promise<void>((resolve) => (resolveLogged = resolve));
    const logger: Logger = {
      error: (meta, message = "") => void logged.push({ message, meta }),
      warn: (meta, message = "") => {
        logged.push({ message, meta });
        resolveLogged();
      },
    };
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, {
      host: "127.0.0.1",
      port: 0,
      logger,
      onConnRefused: () => Promise.reject(new Error("refused hook boom")),
      maxConn: 1,
    });
    try {
      const { port } = await server.listen();
      const { connectMany } = await import("./helpers/raw-client.js");
      const clients = await connectMany(port, 2);
      await seen;
      expect(logged[0]!.meta).toMatchObject({ code: "LARS_HOOK_ERROR" });
      expect(logged[0]!.message).toMatch(/onConnRefused rejected: refused hook boom/);
      await Promise.all(clients.map((c) => c.destroy()));
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
      await server.close();
      await loop.stop();
    }
  });

  it("an async onError that rejects goes to logger.error, never an unhandled rejection", async () => {
    const unhandled = watchUnhandled();
    const logged: string[] = [];
    let resolveLogged: () => void = () => {};
    const seen = new Promise<void>((resolve) => (resolveLogged = resolve));
    const logger: Logger = {
      error: (_obj, message = "") => {
        logged.push(message);
        resolveLogged();
      },
      warn: (_obj, message = "") => void logged.push(message),
    };
    const h = await startServer({ logger, onError: () => Promise.reject(new Error("onError boom")) });
    try {
      const client = await h.connect();
      client.send(77, "nobody routes this");
      await seen;
      expect(logged).toEqual(["lars tcp-server: onError hook rejected"]);
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

describe("issue 10 defect 1: a rejecting async task handler is reported like a throw", () => {
  it("sendTask to an async handler that rejects: TaskError LARS_TASK_FAILED reaches onError", async () => {
    const unhandled = watchUnhandled();
    try {
      const h = await startServer({}, (s) =>
        s.onTask("later", async (payload) => {
          await Promise.resolve();
          throw new Error(`task boom ${String(payload)}`);
        }),
      );
      expect(h.server.sendTask("later", 42)).toBe(1);
      const [reported] = await h.errors.waitCount(1);
      expect(reported!.err).toBeInstanceOf(TaskError);
      expect(reported!.err.code).toBe("LARS_TASK_FAILED");
      expect((reported!.err as TaskError).task).toBe("later");
      expect(reported!.err.message).toMatch(/rejected: task boom 42/);
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});

describe("issue 10 defect 1: a rejecting async route handler is reported like a throw", () => {
  it("LARS_HANDLER_ERROR reaches onError with the connection, counted in routeErrors; the connection is still served", async () => {
    const unhandled = watchUnhandled();
    try {
      const h = await startServer({}, (s) =>
        s
          .addMsgRouter(2, async () => {
            await Promise.resolve();
            throw new Error("route boom");
          })
          .addMsgRouter(1, echo),
      );
      const { client, conn } = await h.connectStarted();
      client.send(2, "x");
      const [reported] = await h.errors.waitCount(1);
      expect(reported!.err).toBeInstanceOf(HandlerError);
      expect(reported!.err.code).toBe("LARS_HANDLER_ERROR");
      expect((reported!.err.cause as Error).message).toBe("route boom");
      expect(reported!.conn).toBe(conn);
      expect(h.server.stats().routeErrors).toBe(1);
      expect((await client.roundTrip(1, "ok")).body.toString()).toBe("ok");
      await turn();
      expect(unhandled.list).toEqual([]);
    } finally {
      unhandled.stop();
    }
  });
});
