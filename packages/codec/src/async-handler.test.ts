import { InvalidArgumentError, LarsError } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { EmbeddedConnection } from "./embedded-connection.js";
import { HandlerError } from "./errors.js";
import { MessageRouter } from "./message-router.js";
import type { NetConnection } from "./net-connection.js";
import type { HookError} from "./run-hook.js";
import { reportHookFailure, runHook } from "./run-hook.js";
import { typedRoute } from "./typed-route.js";
import { utf8Codec } from "./payload-codec.js";
import * as codec from "./index.js";

const body = Buffer.from("payload");

/** Resolves after pending promise reactions ran (a rejection reaction included). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe("issue 10 defect 1: async route handlers", () => {
  it("a rejecting async handler is reported as HandlerError LARS_HANDLER_ERROR through the transport's reporter, like a throw", async () => {
    const router = new MessageRouter();
    const conn = new EmbeddedConnection({ router });
    router.register(7, async () => {
      await Promise.resolve();
      throw new Error("async boom");
    });
    router.register(8, () => {
      throw new Error("sync boom");
    });
    const reported: [LarsError, NetConnection][] = [];
    expect(router.dispatch(7, body, conn, (err, c) => reported.push([err, c]))).toBeUndefined();
    const syncErr = router.dispatch(8, body, conn);
    await settle();
    expect(reported).toHaveLength(1);
    const [err, c] = reported[0]!;
    expect(err).toBeInstanceOf(HandlerError);
    expect(err.code).toBe("LARS_HANDLER_ERROR");
    expect(syncErr?.code).toBe(err.code);
    expect((err as HandlerError).msgid).toBe(7);
    expect((err.cause as Error).message).toBe("async boom");
    expect(c).toBe(conn);
  });

  it("an in-memory connection collects async handler failures in errors (no unhandled rejection)", async () => {
    const router = new MessageRouter();
    const conn = new EmbeddedConnection({ router });
    router.register(1, async () => Promise.reject(new Error("nope")));
    conn.receive(1, body);
    await settle();
    expect(conn.errors.map((e) => e.code)).toEqual(["LARS_HANDLER_ERROR"]);
  });

  it("a typed async route that rejects with a LarsError keeps that error; onUnknown may be async too", async () => {
    const seen: LarsError[] = [];
    const router = new MessageRouter({
      onAsyncError: (err) => seen.push(err),
      onUnknown: async () => Promise.reject(new Error("unknown async")),
    });
    router.register(
      2,
      typedRoute(utf8Codec, async () => Promise.reject(new LarsError("LARS_CUSTOM", "custom"))),
    );
    const conn = new EmbeddedConnection();
    router.dispatch(2, body, conn);
    router.dispatch(99, body, conn);
    await settle();
    expect(seen.map((e) => e.code).sort()).toEqual(["LARS_CUSTOM", "LARS_HANDLER_ERROR"]);
  });

  it("without any reporter a rejection is counted, never thrown nor left unhandled", async () => {
    const router = new MessageRouter();
    router.register(3, async () => Promise.reject(new Error("x")));
    expect(router.dispatch(3, body, new EmbeddedConnection())).toBeUndefined();
    await settle();
    expect(router.unreportedErrors).toBe(1);
  });

  it("a resolving async handler reports nothing", async () => {
    const router = new MessageRouter();
    const reported: LarsError[] = [];
    router.register(4, async () => {});
    router.dispatch(4, body, new EmbeddedConnection(), (e) => reported.push(e));
    await settle();
    expect(reported).toEqual([]);
    expect(router.unreportedErrors).toBe(0);
  });
});

describe("runHook / reportHookFailure / HookError", () => {
  it("reports a sync throw and an async rejection as HookError LARS_HOOK_ERROR", async () => {
    const seen: HookError[] = [];
    const report = (e: HookError): void => void seen.push(e);
    runHook("onA", (x: number) => {
      throw new Error(`sync ${x}`);
    }, report, 1);
    runHook("onB", async (x: number) => Promise.reject(new Error(`async ${x}`)), report, 2);
    runHook("onC", undefined, report);
    expect(runHook("onD", (a: number, b: number) => a + b, report, 2, 3)).toBe(5);
    await settle();
    expect(seen.map((e) => [e.hook, e.kind, e.code, (e.cause as Error).message])).toEqual([
      ["onA", "threw", "LARS_HOOK_ERROR", "sync 1"],
      ["onB", "rejected", "LARS_HOOK_ERROR", "async 2"],
    ]);
    expect(seen[0]).toBeInstanceOf(LarsError);
  });

  it("a throwing reporter is swallowed", () => {
    expect(() =>
      reportHookFailure("onX", new Error("a"), () => {
        throw new Error("reporter broke");
      }),
    ).not.toThrow();
  });

  it("codec re-exports the InvalidArgumentError class of @lars/iobuf", () => {
    expect(codec.InvalidArgumentError).toBe(InvalidArgumentError);
    const e = new codec.InvalidArgumentError("port", "must be 1..65535");
    expect(e.code).toBe("LARS_INVALID_ARGUMENT");
    expect(e.field).toBe("port");
    expect(e).toBeInstanceOf(codec.LarsError);
  });
});
