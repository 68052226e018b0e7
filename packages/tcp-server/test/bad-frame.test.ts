import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { FrameNegativeLengthError, FrameTooLongError, encodeFrame } from "@lars/codec";
import { echo, startServer, teardownAll } from "./helpers/harness.js";

/** The golden vectors, vendored at the repository root (wire/vectors.json). */
const VECTORS_URL = new URL("../../../wire/vectors.json", import.meta.url);
const vectors = JSON.parse(readFileSync(VECTORS_URL, "utf8")) as {
  invalid_headers: { name: string; header_hex: string; error: "too long" | "negative length" }[];
};

const EXPECTED = {
  "too long": { code: "LARS_FRAME_TOO_LONG", type: FrameTooLongError },
  "negative length": { code: "LARS_FRAME_NEGATIVE_LENGTH", type: FrameNegativeLengthError },
} as const;

afterEach(teardownAll);

describe("a bad frame header closes only the offending connection", () => {
  it("the vectors file has invalid headers of both kinds", () => {
    const kinds = new Set(vectors.invalid_headers.map((v) => v.error));
    expect(kinds).toEqual(new Set(["too long", "negative length"]));
  });

  for (const vector of vectors.invalid_headers) {
    it(`${vector.name} (${vector.error})`, async () => {
      const { code, type } = EXPECTED[vector.error];
      const header = Buffer.from(vector.header_hex, "hex");
      const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
      const { client: good, conn: goodConn } = await h.connectStarted();
      const { client: bad, conn: badConn } = await h.connectStarted();

      expect((await good.roundTrip(1, "before")).body.toString()).toBe("before");
      // A valid frame, then the bad header, in one write: the valid one is still served.
      await bad.write(Buffer.concat([encodeFrame(1, "ok"), header, Buffer.from("trailing garbage")]));
      await bad.waitClose();

      expect(bad.frames.map((f) => f.body.toString())).toEqual(["ok"]);
      const [closed] = await h.closes.waitCount(1);
      expect(closed!.conn).toBe(badConn);
      expect(closed!.reason).toBe("bad-frame");
      expect(closed!.error).toBeInstanceOf(type);
      expect((closed!.error as FrameTooLongError | FrameNegativeLengthError).code).toBe(code);
      expect((closed!.error as FrameTooLongError | FrameNegativeLengthError).length).toBe(header.readInt32LE(4));

      const [reported] = await h.errors.waitCount(1);
      expect(reported!.err).toBe(closed!.error);
      expect(reported!.conn).toBe(badConn);

      const stats = h.server.stats();
      expect(stats.decodeErrors).toBe(1);
      expect(stats.closes).toEqual({ "bad-frame": 1 });
      expect(stats.current).toBe(1);

      // The other connection, opened before, is untouched and keeps echoing.
      expect(goodConn.closed).toBe(false);
      for (const text of ["after 1", "after 2"]) expect((await good.roundTrip(1, text)).body.toString()).toBe(text);
      expect(h.closes.length).toBe(1);
      expect(good.closed).toBe(false);
    });
  }

  it("detects a bad header that arrives one byte at a time", async () => {
    const h = await startServer({}, (s) => s.addMsgRouter(1, echo));
    const good = await h.connect();
    const { client: bad, conn: badConn } = await h.connectStarted();
    const header = Buffer.from(vectors.invalid_headers[0]!.header_hex, "hex");

    await bad.writeByteByByte(header);
    await bad.waitClose();

    const closed = await h.closes.waitFind((e) => e.conn === badConn);
    expect(closed.reason).toBe("bad-frame");
    expect(h.server.stats().decodeErrors).toBe(1);
    expect((await good.roundTrip(1, "still here")).body.toString()).toBe("still here");
  });

  it("enforces a lowered maxMessageLength: a body one byte over closes the connection", async () => {
    const h = await startServer({ maxMessageLength: 100 }, (s) => s.addMsgRouter(1, echo));
    const { client, conn } = await h.connectStarted();

    expect((await client.roundTrip(1, Buffer.alloc(100, 1))).body.length).toBe(100);
    client.send(1, Buffer.alloc(101, 2), 101);
    await client.waitClose();

    const closed = await h.closes.waitFind((e) => e.conn === conn);
    expect(closed.reason).toBe("bad-frame");
    expect(closed.error).toMatchObject({ code: "LARS_FRAME_TOO_LONG", length: 101, max: 100 });
    expect(h.server.stats().decodeErrors).toBe(1);
  });

  it("a server refuses to send a body over its maxMessageLength (typed error, nothing sent)", async () => {
    const h = await startServer({ maxMessageLength: 100 }, (s) => s.addMsgRouter(1, echo));
    const { client, conn } = await h.connectStarted();

    expect(() => conn.sendMessage(Buffer.alloc(101), 2)).toThrow(expect.objectContaining({ code: "LARS_FRAME_TOO_LONG" }));
    expect(() => conn.sendMessage(Buffer.alloc(1), 2 ** 31)).toThrow(expect.objectContaining({ code: "LARS_INVALID_MSGID" }));
    expect(conn.pendingBytes).toBe(0);
    // The connection is fine, and the refused frames never reach the peer.
    const reply = await client.roundTrip(1, "next");
    expect(client.frames).toEqual([reply]);
    expect(reply.body.toString()).toBe("next");
  });
});
