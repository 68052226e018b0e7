import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MAX_MESSAGE_LENGTH } from "@lars/codec";
import { addStats } from "../src/index.js";
import type { TcpServerStats } from "../src/index.js";
import { echo, startServer, teardownAll } from "./helpers/harness.js";

afterEach(teardownAll);

describe("broadcast", () => {
  it("sends one frame to each of 3 clients", async () => {
    const h = await startServer();
    const clients = [await h.connectStarted(), await h.connectStarted(), await h.connectStarted()];

    expect(h.server.broadcast("to everyone", 9)).toEqual({ sent: 3, refused: 0 });
    for (const { client } of clients) {
      const [frame] = await client.waitFrames(1);
      expect(frame).toEqual({ msgid: 9, body: Buffer.from("to everyone") });
    }
    // Binary bodies too, and each client gets exactly what was broadcast, once.
    expect(h.server.broadcast(Buffer.from([0, 1, 2, 255]), -5)).toEqual({ sent: 3, refused: 0 });
    for (const { client } of clients) {
      await client.waitFrames(2);
      expect(client.frames).toEqual([
        { msgid: 9, body: Buffer.from("to everyone") },
        { msgid: -5, body: Buffer.from([0, 1, 2, 255]) },
      ]);
    }
  });

  it("skips a closing connection (refusal reported) and throws for a body too long", async () => {
    const h = await startServer();
    const a = await h.connectStarted();
    const b = await h.connectStarted();
    b.conn.close();

    expect(h.server.broadcast("x", 1)).toEqual({ sent: 1, refused: 1 });
    const reported = await h.errors.waitFind((e) => e.err.code === "LARS_CONN_CLOSED");
    expect(reported.conn).toBe(b.conn);
    expect((await a.client.waitFrames(1))[0]!.body.toString()).toBe("x");
    await b.client.waitClose();
    expect(b.client.frames).toEqual([]);

    expect(() => h.server.broadcast(Buffer.alloc(DEFAULT_MAX_MESSAGE_LENGTH + 1), 1)).toThrow(
      expect.objectContaining({ code: "LARS_FRAME_TOO_LONG" }),
    );
  });

  it("with no connections sends nothing", async () => {
    const h = await startServer();
    expect(h.server.broadcast("nobody", 1)).toEqual({ sent: 0, refused: 0 });
  });
});

describe("stats()", () => {
  it("counts connections, messages and bytes both ways, and closes by reason, across connections that are gone", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    // Every counter starts at 0 (whatever counters the server has: compare against this snapshot).
    const zero = h.server.stats();
    for (const [key, value] of Object.entries(zero)) expect([key, value]).toEqual([key, key === "closes" ? {} : 0]);


    const a = await h.connectStarted();
    const b = await h.connectStarted();
    const c = await h.connectStarted();
    await a.client.roundTrip(1, "abc"); // 11 bytes each way
    await a.client.roundTrip(1, ""); // 8 bytes each way
    await b.client.roundTrip(1, "0123456789"); // 18 bytes each way
    b.client.send(77, "??"); // 10 bytes in, unknown msgid
    await h.errors.waitCount(1);
    h.server.broadcast("hello", 9); // 13 bytes to each of 3
    await Promise.all([a.client.waitFrames(3), b.client.waitFrames(2), c.client.waitFrames(1)]);

    expect(h.server.stats()).toEqual({
      ...zero,
      current: 3,
      total: 3,
      messagesIn: 4,
      messagesOut: 6,
      bytesIn: 11 + 8 + 18 + 10,
      bytesOut: 11 + 8 + 18 + 3 * 13,
      routeErrors: 1,
    });
    // Per connection as well.
    expect([a.conn.messagesIn, a.conn.messagesOut, a.conn.bytesIn, a.conn.bytesOut]).toEqual([2, 3, 19, 32]);

    // b leaves: its counters stay in the totals.
    await b.client.end();
    await h.closes.waitCount(1);
    // a sends a bad header: 8 more bytes in, a decode error.
    await a.client.write(Buffer.from("01000000f8ff0000", "hex"));
    await h.closes.waitCount(2);
    expect(h.server.stats()).toEqual({
      ...zero,
      current: 1,
      total: 3,
      messagesIn: 4,
      messagesOut: 6,
      bytesIn: 11 + 8 + 18 + 10 + 8,
      bytesOut: 11 + 8 + 18 + 3 * 13,
      routeErrors: 1,
      decodeErrors: 1,
      closes: { "peer-closed": 1, "bad-frame": 1 },
    });

    await h.server.close();
    expect(h.server.stats()).toMatchObject({ current: 0, total: 3, closes: { "peer-closed": 1, "bad-frame": 1, shutdown: 1 } });
    // A snapshot is a copy: changing it changes nothing.
    const snap = h.server.stats();
    snap.closes.shutdown = 99;
    expect(h.server.stats().closes.shutdown).toBe(1);
  });

  it("addStats sums two snapshots field by field (for workers)", async () => {
    const h = await startServer();
    const fields = Object.keys(h.server.stats()).filter((k) => k !== "closes");
    expect(fields).toEqual(
      expect.arrayContaining(["current", "total", "refused", "messagesIn", "messagesOut", "bytesIn", "bytesOut", "decodeErrors", "routeErrors"]),
    );
    const make = (f: (i: number) => number, closes: TcpServerStats["closes"]): TcpServerStats =>
      ({ ...Object.fromEntries(fields.map((k, i) => [k, f(i)])), closes }) as unknown as TcpServerStats;
    const s1 = make((i) => i + 1, { idle: 1, shutdown: 2 });
    const s2 = make((i) => 100 * (i + 1), { shutdown: 5, "bad-frame": 1 });
    expect(addStats(s1, s2)).toEqual(make((i) => 101 * (i + 1), { idle: 1, shutdown: 7, "bad-frame": 1 }));
    expect(s1.closes).toEqual({ idle: 1, shutdown: 2 }); // inputs untouched
    expect(s2.closes).toEqual({ shutdown: 5, "bad-frame": 1 });
  });
});
