import { afterEach, describe, expect, it } from "vitest";
import { HandlerError, LarsError, UnknownMsgidError } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import { HookError, TcpServer } from "../src/index.js";
import { echo, startServer, teardownAll } from "./helpers/harness.js";
import { RawClient } from "./helpers/raw-client.js";
import { Writable } from "node:stream";
import { pino } from "pino";

afterEach(teardownAll);

describe("errors are reported and the server serves on", () => {
  it("an unknown msgid goes to onError (LARS_ROUTE_UNKNOWN); the connection stays open", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    const { client, conn } = await h.connectStarted();

    client.send(404, "nobody home");
    const reported = await h.errors.waitCount(1);
    expect(reported[0]!.err).toBeInstanceOf(UnknownMsgidError);
    expect(reported[0]!.err.code).toBe("LARS_ROUTE_UNKNOWN");
    expect(reported[0]!.conn).toBe(conn);

    expect((await client.roundTrip(1, "still open")).body.toString()).toBe("still open");
    expect(conn.closed).toBe(false);
    expect(h.closes.length).toBe(0);
    expect(h.server.stats()).toMatchObject({ routeErrors: 1, messagesIn: 2, messagesOut: 1 });
  });

  it("a throwing handler goes to onError (LARS_HANDLER_ERROR, cause kept); the connection stays open", async () => {
    const boom = new Error("handler boom");
    const h = await startServer({}, (s) => {
      s.addMsgRouter(1, echo);
      s.addMsgRouter(2, () => {
        throw boom;
      });
    });
    const { client, conn } = await h.connectStarted();

    // The throwing frame sits between two good ones in the same write: both good ones are served.
    client.send(1, "a");
    client.send(2, "b");
    client.send(1, "c");
    const frames = await client.waitFrames(2);
    expect(frames.map((f) => f.body.toString())).toEqual(["a", "c"]);

    const [reported] = await h.errors.waitCount(1);
    expect(reported!.err).toBeInstanceOf(HandlerError);
    expect(reported!.err.code).toBe("LARS_HANDLER_ERROR");
    expect(reported!.err.cause).toBe(boom);
    expect((reported!.err as HandlerError).msgid).toBe(2);
    expect(reported!.conn).toBe(conn);
    expect(conn.closed).toBe(false);
    expect(h.server.stats().routeErrors).toBe(1);
  });

  it("a handler throwing a LarsError is reported with that error's own code", async () => {
    const h = await startServer({}, (s) =>
      s.addMsgRouter(3, () => {
        throw new LarsError("APP_REFUSED", "not today");
      }),
    );
    const client = await h.connect();
    client.send(3, "x");
    const [reported] = await h.errors.waitCount(1);
    expect(reported!.err.code).toBe("APP_REFUSED");
  });

  it("a throwing onConnStart is reported (LARS_HOOK_ERROR) and the server serves on", async () => {
    let calls = 0;
    const h = await startServer(
      {
        onConnStart: () => {
          if (++calls === 1) throw new Error("start boom");
        },
      },
      (s) => s.addMsgRouter(1, echo),
    );
    const { client: first, conn: firstConn } = await h.connectStarted();
    const [reported] = await h.errors.waitCount(1);
    expect(reported!.err).toBeInstanceOf(HookError);
    expect(reported!.err.code).toBe("LARS_HOOK_ERROR");
    expect((reported!.err as HookError).hook).toBe("onConnStart");
    expect((reported!.err.cause as Error).message).toBe("start boom");
    expect(reported!.conn).toBe(firstConn);

    // The connection whose start hook threw is still served, and so are new ones.
    expect((await first.roundTrip(1, "one")).body.toString()).toBe("one");
    const second = await h.connect();
    expect((await second.roundTrip(1, "two")).body.toString()).toBe("two");
    expect(h.server.stats()).toMatchObject({ current: 2, total: 2 });
  });

  it("a throwing onError goes to the logger and nothing else breaks", async () => {
    const logged: { level: string; message: string }[] = [];
    const logger: Logger = {
      error: (_obj, message = "") => logged.push({ level: "error", message }),
      warn: (_obj, message = "") => logged.push({ level: "warn", message }),
    };
    const h = await startServer(
      {
        logger,
        onError: () => {
          throw new Error("onError boom");
        },
      },
      (s) => s.addMsgRouter(1, echo),
    );
    const client = await h.connect();
    client.send(99, "unknown");
    expect((await client.roundTrip(1, "fine")).body.toString()).toBe("fine");
    expect(logged).toEqual([{ level: "error", message: expect.stringContaining("onError hook threw") as string }]);
  });

  it("a pino logger drops in: fields first, message second, and a child keeps its context", async () => {
    const lines: Record<string, unknown>[] = [];
    let gotLine!: () => void;
    const oneLine = new Promise<void>((resolve) => (gotLine = resolve));
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString().split("\n").filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        gotLine();
        done();
      },
    });
    const logger = pino({ level: "warn" }, sink).child({ service: "dns" });
    const loop = new EventLoop({ monitorDelay: false });
    const server = new TcpServer(loop, { host: "127.0.0.1", logger });
    const { port } = await server.listen();
    const client = await RawClient.connect(port);
    try {
      client.send(7, "nobody listens to 7");
      await oneLine;
    } finally {
      await client.destroy();
      await loop.stop();
    }
    expect(lines[0]).toMatchObject({ level: 40, service: "dns", code: "LARS_ROUTE_UNKNOWN", msg: expect.stringContaining("no handler for msgid 7") as string });
    expect((lines[0]!.err as { type?: string } | undefined)?.type).toBe("UnknownMsgidError");
  });

  it("without onError, reports go to the logger's warn", async () => {
    const warned: { message: string; meta: Record<string, unknown> | undefined }[] = [];
    let twoWarnings!: () => void;
    const gotTwo = new Promise<void>((resolve) => (twoWarnings = resolve));
    const loop = new EventLoop({ monitorDelay: false });
    const pool = new BufPool({ track: true });
    const server = new TcpServer(loop, {
      host: "127.0.0.1",
      pool,
      logger: {
        error: () => {},
        warn: (meta, message = "") => {
          if (warned.push({ message, meta }) === 2) twoWarnings();
        },
      },
    });
    const { port } = await server.listen();
    const client = await RawClient.connect(port);
    try {
      client.send(5, "x");
      client.send(5, "y");
      await gotTwo;
      expect(warned.map((w) => w.meta?.code)).toEqual(["LARS_ROUTE_UNKNOWN", "LARS_ROUTE_UNKNOWN"]);
      expect(warned[0]!.message).toContain("no handler for msgid 5");
    } finally {
      await client.destroy();
      await loop.stop();
    }
    pool.assertNoLeaks();
  });
});
