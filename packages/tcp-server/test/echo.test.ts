import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_MAX_MESSAGE_LENGTH, encodeFrame } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { echo, patterned, startServer, teardownAll } from "./helpers/harness.js";

afterEach(teardownAll);

describe("echo round trips", () => {
  it("echoes several msgids, an empty body, the largest body and a string body, byte-exact", async () => {
    const h = await startServer({}, (s) => {
      for (const id of [0, 1, 2, 7, -1, 2147483647, -2147483648]) s.addMsgRouter(id, echo);
    });
    const client = await h.connect();

    const cases: [number, Buffer][] = [
      [1, Buffer.from("hello lars!")],
      [2, Buffer.alloc(0)],
      [7, patterned(DEFAULT_MAX_MESSAGE_LENGTH)],
      [0, patterned(1000, 3)],
      [-1, Buffer.from([0])],
      [2147483647, Buffer.from("deadbeef", "hex")],
      [-2147483648, Buffer.from("x")],
    ];
    for (const [msgid, body] of cases) {
      const reply = await client.roundTrip(msgid, body);
      expect(reply.msgid).toBe(msgid);
      expect(reply.body.equals(body)).toBe(true);
    }

    // A string body goes out as UTF-8 and comes back as the same bytes.
    const text = "负载均衡 Lars ✓";
    const reply = await client.roundTrip(1, text);
    expect(reply.body.toString("utf8")).toBe(text);
    expect(reply.body.length).toBe(Buffer.byteLength(text));

    expect(h.errors.items).toEqual([]);
    expect(client.decodeError).toBeNull();
  });

  it("a handler may reply with a string body", async () => {
    const h = await startServer({}, (s) => {
      s.addMsgRouter(3, (body, _msgid, conn) => {
        conn.sendMessage(`you said: ${body.toString("utf8")}`, 4);
      });
    });
    const client = await h.connect();
    const reply = await client.roundTrip(3, "ping");
    expect(reply).toEqual({ msgid: 4, body: Buffer.from("you said: ping") });
  });

  it("routes by msgid, each handler getting its own userData and the connection", async () => {
    const seen: { route: string; msgid: number; conn: NetConnection }[] = [];
    const h = await startServer({}, (s) => {
      const tagged = (body: Buffer, msgid: number, conn: NetConnection, tag: { route: string; replyWith: number }): void => {
        seen.push({ route: tag.route, msgid, conn });
        conn.sendMessage(Buffer.concat([Buffer.from(`${tag.route}:`), body]), tag.replyWith);
      };
      s.addMsgRouter(10, tagged, { route: "ten", replyWith: 110 });
      s.addMsgRouter(20, tagged, { route: "twenty", replyWith: 120 });
      s.addMsgRouter(30, (body, msgid, conn, userData: number) => {
        conn.sendMessage(String(userData + body.length), msgid);
      }, 1000);
    });
    const { client, conn } = await h.connectStarted();

    expect(await client.roundTrip(20, "b")).toEqual({ msgid: 120, body: Buffer.from("twenty:b") });
    expect(await client.roundTrip(10, "a")).toEqual({ msgid: 110, body: Buffer.from("ten:a") });
    expect(await client.roundTrip(30, "abc")).toEqual({ msgid: 30, body: Buffer.from("1003") });
    expect(seen.map((s) => [s.route, s.msgid])).toEqual([
      ["twenty", 20],
      ["ten", 10],
    ]);
    // Handlers get the TcpConn itself: the one onConnStart saw.
    expect(seen.every((s) => s.conn === conn)).toBe(true);
  });

  it("refuses to register a msgid twice", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    expect(() => h.server.addMsgRouter(1, echo)).toThrow(expect.objectContaining({ code: "LARS_ROUTE_DUPLICATE" }));
  });
});

describe("framing over a real socket", () => {
  it("delivers frames split at every byte (one byte per write), in order and byte-exact", async () => {
    const got: { msgid: number; body: Buffer }[] = [];
    const h = await startServer({}, (s) => {
      s.addMsgRouter(5, (body, msgid, conn) => {
        got.push({ msgid, body: Buffer.from(body) });
        conn.sendMessage(body, msgid);
      });
    });
    const client = await h.connect();
    const bodies = [Buffer.from("a"), Buffer.alloc(0), patterned(300, 7), Buffer.from("last one")];
    const stream = Buffer.concat(bodies.map((b) => encodeFrame(5, b)));

    await client.writeByteByByte(stream);
    const echoed = await client.waitFrames(bodies.length);

    expect(got.map((f) => f.body)).toEqual(bodies);
    expect(echoed.map((f) => f.body)).toEqual(bodies);
    expect(echoed.every((f) => f.msgid === 5)).toBe(true);
    // Nothing is held between frames: the gathering buffer went back to the pool.
    expect(h.server.connections()[0]!.partialFrameBytes).toBe(0);
  });

  it("delivers hundreds of frames sent in one write, in order and byte-exact", async () => {
    const got: number[] = [];
    const h = await startServer({}, (s) => {
      s.addMsgRouter(9, (body, msgid, conn) => {
        got.push(body.readUInt32LE(0));
        conn.sendMessage(body, msgid);
      });
    });
    const client = await h.connect();
    const n = 500;
    const bodies = Array.from({ length: n }, (_, i) => {
      const b = patterned(4 + (i % 97), i);
      b.writeUInt32LE(i, 0);
      return b;
    });
    await client.write(Buffer.concat(bodies.map((b) => encodeFrame(9, b))));

    const echoed = await client.waitFrames(n);
    expect(got).toEqual(bodies.map((_, i) => i));
    expect(echoed.map((f) => f.body)).toEqual(bodies);
    expect(h.server.stats().messagesIn).toBe(n);
    expect(h.server.stats().messagesOut).toBe(n);
  });

  it("delivers largest-size frames written back to back in arbitrary chunks", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    const client = await h.connect();
    const bodies = [patterned(DEFAULT_MAX_MESSAGE_LENGTH, 1), patterned(DEFAULT_MAX_MESSAGE_LENGTH, 2), patterned(12345, 3)];
    const stream = Buffer.concat(bodies.map((b) => encodeFrame(1, b)));
    // Cut at awkward places: inside a header, right after a header, inside a body.
    for (const [from, to] of [
      [0, 5],
      [5, 8],
      [8, 70000],
      [70000, 131070],
      [131070, stream.length],
    ] as const) {
      await client.write(stream.subarray(from, to));
    }
    const echoed = await client.waitFrames(3);
    expect(echoed.map((f) => f.body)).toEqual(bodies);
  });
});
