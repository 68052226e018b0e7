import { afterEach, describe, expect, it } from "vitest";
import { SendError } from "@lars/codec";
import { echo, nextTurn, startServer, teardownAll } from "./helpers/harness.js";

afterEach(teardownAll);

const OUTPUT_CAP = 512 * 1024;
const HIGH_WATER = 128 * 1024;
const BODY = 60_000;

/** A body carrying its sequence number in its first 4 bytes and a checkable pattern after. */
function numbered(seq: number): Buffer {
  const b = Buffer.alloc(BODY);
  for (let i = 4; i < BODY; i++) b[i] = (seq + i) % 251;
  b.writeUInt32LE(seq, 0);
  return b;
}

describe("output cap and backpressure with a peer that never reads", () => {
  it("signals high water (false + onBackpressure), refuses past the cap (LARS_OUTPUT_FULL), drains, loses nothing", async () => {
    const signals: string[] = [];
    const h = await startServer(
      {
        outputCap: OUTPUT_CAP,
        highWaterMark: HIGH_WATER,
        onBackpressure: (c) => {
          expect(c.pendingBytes).toBeGreaterThan(HIGH_WATER);
          signals.push("high");
        },
        onDrain: (c) => {
          expect(c.pendingBytes).toBeLessThanOrEqual(HIGH_WATER / 2); // the default low-water mark
          signals.push("low");
        },
      },
      (s) => s.addMsgRouter(1, echo),
    );
    const other = await h.connect();
    const { client: slow, conn } = await h.connectStarted();
    slow.pause(); // reads nothing from now on

    const results: boolean[] = [];
    let refusal: unknown;
    // Send turn after turn: within a turn until sendMessage says false, then let
    // the loop flush into the socket (and the kernel) and go on, until refused.
    for (let turn = 0; turn < 5000 && refusal === undefined; turn++) {
      for (;;) {
        let ok: boolean;
        try {
          ok = conn.sendMessage(numbered(results.length), 7);
        } catch (err) {
          refusal = err;
          break;
        }
        results.push(ok);
        if (!ok) break;
      }
      await nextTurn();
    }
    const accepted = results.length;

    expect(refusal).toBeInstanceOf(SendError);
    expect((refusal as SendError).code).toBe("LARS_OUTPUT_FULL");
    // The first frames were accepted under the mark; false came before the refusal.
    expect(results.slice(0, Math.floor(HIGH_WATER / (BODY + 8)))).toEqual(Array(Math.floor(HIGH_WATER / (BODY + 8))).fill(true));
    expect(results).toContain(false);
    expect(results[results.length - 1]).toBe(false);
    // Signals alternate, once per crossing: high, (low, high)*; it is above the mark now.
    expect(signals.join(",")).toMatch(/^high(,low,high)*$/);
    expect(h.backpressure.items.every((c) => c === conn)).toBe(true);
    // Bounded: what is held unsent never passes the cap.
    expect(conn.pendingBytes).toBeLessThanOrEqual(OUTPUT_CAP);
    expect(conn.pendingBytes + BODY + 8).toBeGreaterThan(OUTPUT_CAP);

    // Refused, not closed (closeOnOutputFull is off), and refusing again is stable.
    expect(conn.closed).toBe(false);
    expect(() => conn.sendMessage(numbered(accepted), 7)).toThrow(expect.objectContaining({ code: "LARS_OUTPUT_FULL" }));
    expect(h.server.stats().messagesOut).toBe(accepted);

    // Meanwhile another client is served normally.
    for (const text of ["still", "served"]) expect((await other.roundTrip(1, text)).body.toString()).toBe(text);

    // The slow peer reads again: every accepted frame arrives, in order, intact; onDrain fires.
    slow.resume();
    const frames = await slow.waitFrames(accepted);

    await h.drains.waitCount(h.backpressure.length);
    expect(signals.join(",")).toMatch(/^high(,low,high)*,low$/);
    expect(h.drains.items.every((c) => c === conn)).toBe(true);
    expect(frames.map((f) => f.body.readUInt32LE(0))).toEqual(results.map((_, i) => i));
    expect(frames.every((f, i) => f.msgid === 7 && f.body.equals(numbered(i)))).toBe(true);
    expect(conn.pendingBytes).toBe(0);
    expect(slow.frames.length).toBe(accepted);

    // Below the mark again: sending is accepted with true.
    expect(conn.sendMessage("after drain", 8)).toBe(true);
    const [, last] = [await slow.waitFrames(accepted + 1), slow.frames[accepted]];
    expect(last).toEqual({ msgid: 8, body: Buffer.from("after drain") });
  });

  it("refuses a frame that would pass the cap even within one loop turn, and the connection goes on", async () => {
    const h = await startServer({ outputCap: 128 * 1024, highWaterMark: 64 * 1024 }, (s) => s.addMsgRouter(1, echo));
    const { client, conn } = await h.connectStarted();
    const results: boolean[] = [];
    let refusal: unknown;
    for (let i = 0; i < 10 && refusal === undefined; i++) {
      try {
        results.push(conn.sendMessage(numbered(i), 7));
      } catch (err) {
        refusal = err;
      }
    }
    // 60008-byte frames: two fit in 128 KiB, the third does not; the second passes 64 KiB.
    expect(results).toEqual([true, false]);
    expect(refusal).toMatchObject({ code: "LARS_OUTPUT_FULL" });
    const frames = await client.waitFrames(2);
    expect(frames.map((f) => f.body.readUInt32LE(0))).toEqual([0, 1]);
    await h.drains.waitCount(1);
    expect((await client.roundTrip(1, "ok")).body.toString()).toBe("ok");
  });

  it("broadcast reports a refusal for the full connection and still reaches the others", async () => {
    const h = await startServer({ outputCap: 128 * 1024, highWaterMark: 64 * 1024 });
    const { client: slow, conn: slowConn } = await h.connectStarted();
    const { client: fast } = await h.connectStarted();
    slow.pause();
    // Fill the slow one's output in one turn (nothing is flushed until the turn ends).
    slowConn.sendMessage(numbered(0), 7);
    slowConn.sendMessage(numbered(1), 7);

    const result = h.server.broadcast(numbered(2), 7);
    expect(result).toEqual({ sent: 1, refused: 1 });
    const reported = await h.errors.waitFind((e) => e.err.code === "LARS_OUTPUT_FULL");
    expect(reported.conn).toBe(slowConn);
    expect((await fast.waitFrames(1))[0]!.body.equals(numbered(2))).toBe(true);

    slow.resume();
    expect((await slow.waitFrames(2)).map((f) => f.body.readUInt32LE(0))).toEqual([0, 1]);
  });
});
