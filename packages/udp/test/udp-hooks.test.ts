// Issue 10, one hook-failure policy: a UDP hook or route handler that throws
// or rejects is reported (onError / logger) as a HookError or HandlerError,
// is never rethrown, and the socket goes on serving. (Before, a throwing hook
// without a logger was rethrown as an uncaughtException, and an async one's
// rejection was unhandled; vitest fails a run on either.)
import { afterEach, describe, expect, it, vi } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { HookError } from "@lars/codec";
import type { LarsError } from "@lars/iobuf";
import { UdpServer } from "../src/index.js";
import type { UdpServerOptions } from "../src/index.js";
import { Queue, RawPeer, rawFrame } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function serve(options: Partial<UdpServerOptions>) {
  const loop = new EventLoop({ monitorDelay: false });
  const server = new UdpServer(loop, { host: "127.0.0.1", port: 0, ...options });
  server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
  server.addMsgRouter(2, async () => {
    await Promise.resolve();
    throw new Error("async handler bug");
  });
  const { port } = await server.bind();
  const raw = await RawPeer.open();
  cleanups.push(async () => {
    await raw.close();
    await loop.stop(1000);
  });
  const roundTrip = async (text: string): Promise<string> => {
    await raw.send(rawFrame(1, Buffer.byteLength(text), Buffer.from(text)), port);
    return (await raw.received.next()).msg.subarray(8).toString();
  };
  return { server, raw, port, roundTrip };
}

describe("UDP hook failures", () => {
  it("an async hook that rejects and an async handler that rejects reach onError; serving goes on", async () => {
    const errors = new Queue<LarsError>();
    const { server, raw, port, roundTrip } = await serve({
      onDatagramDropped: () => Promise.reject(new Error("async hook bug")),
      onError: (err) => errors.push(err),
    });
    await raw.send(Buffer.from("00", "hex"), port);
    const hookErr = await errors.next();
    expect(hookErr).toBeInstanceOf(HookError);
    expect(hookErr).toMatchObject({ code: "LARS_HOOK_ERROR", hook: "onDatagramDropped", kind: "rejected" });
    await raw.send(rawFrame(2, 0), port);
    expect(await errors.next()).toMatchObject({ code: "LARS_HANDLER_ERROR" });
    expect(await roundTrip("still serving")).toBe("still serving");
    expect(server.stats()).toMatchObject({ hookErrors: 1, routeErrors: 1 });
  });

  it("without onError or a logger a throwing hook is counted, never rethrown (no uncaughtException)", async () => {
    const uncaught = vi.fn();
    process.on("uncaughtException", uncaught);
    try {
      const { server, raw, port, roundTrip } = await serve({
        onDatagramDropped: () => {
          throw new Error("hook bug");
        },
      });
      await raw.send(Buffer.from("00", "hex"), port);
      await raw.send(rawFrame(2, 0), port); // async handler rejection, nowhere to report: counted
      expect(await roundTrip("after")).toBe("after");
      await vi.waitFor(() => expect(server.stats().routeErrors).toBe(1));
      expect(server.stats().hookErrors).toBe(1);
      await new Promise((resolve) => setImmediate(resolve));
      expect(uncaught).not.toHaveBeenCalled();
    } finally {
      process.off("uncaughtException", uncaught);
    }
  });

  it("an onError that throws goes to the logger and is not called again for its own failure", async () => {
    const logged = new Queue<string>();
    let calls = 0;
    const { raw, port, roundTrip } = await serve({
      logger: { warn: () => {}, error: (_obj: Record<string, unknown>, m = "") => logged.push(m) },
      onError: () => {
        calls++;
        throw new Error("onError bug");
      },
    });
    await raw.send(Buffer.from("00", "hex"), port);
    expect(await logged.next()).toMatch(/onError threw: .*onError bug/);
    expect(await roundTrip("ok")).toBe("ok");
    expect(calls).toBe(1);
  });
});
