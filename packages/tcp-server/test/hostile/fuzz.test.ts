import fc from "fast-check";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { encodeFrame } from "@lars/codec";
import { echo, nextTurn, startServer, teardownAll } from "../helpers/harness.js";
import type { ServerHarness } from "../helpers/harness.js";
import { WAIT_MS } from "../helpers/raw-client.js";

/**
 * Fuzz a LIVE server: random byte streams and mutated valid streams, each
 * sent by its own raw connection, while a well-behaved client keeps
 * exchanging numbered frames on another. The server must never throw out of
 * its loop, must keep serving the good client in order, and must account for
 * every fuzzed connection exactly as an independent reference parser says:
 * closed as "bad-frame" (reported, with the right code) after delivering the
 * frames before the bad header, or left open with every whole frame
 * delivered and the rest held as one partial frame.
 */

const MAX = 65_527;
const HEADER = 8;

afterEach(teardownAll);

// Anything thrown out of the server's callbacks lands here (or in the loop's onError, checked at teardown).
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => void escaped.push(err);
beforeAll(() => {
  process.on("uncaughtException", onEscape);
  process.on("unhandledRejection", onEscape);
});
afterAll(() => {
  process.off("uncaughtException", onEscape);
  process.off("unhandledRejection", onEscape);
});

interface Expectation {
  /** Whole frames before the end or the first bad header. */
  frames: number;
  /** Code of the first bad header, or null. */
  error: "LARS_FRAME_NEGATIVE_LENGTH" | "LARS_FRAME_TOO_LONG" | null;
  /** Bytes of a trailing incomplete frame (when no error). */
  partial: number;
}

/** The reference: a plain reading of the Lars frame rule, independent of `@lars/codec`'s decoder. */
function reference(bytes: Buffer): Expectation {
  let off = 0;
  let frames = 0;
  while (bytes.length - off >= HEADER) {
    const len = bytes.readInt32LE(off + 4);
    if (len < 0) return { frames, error: "LARS_FRAME_NEGATIVE_LENGTH", partial: 0 };
    if (len > MAX) return { frames, error: "LARS_FRAME_TOO_LONG", partial: 0 };
    if (off + HEADER + len > bytes.length) break;
    off += HEADER + len;
    frames++;
  }
  return { frames, error: null, partial: bytes.length - off };
}

/** Re-check once per loop turn, bounded (for counters that emit no event). */
async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + WAIT_MS;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await nextTurn();
  }
}

interface Tally {
  cases: number;
  bytes: number;
  badFrame: number;
  openWhole: number;
  openPartial: number;
  framesDelivered: number;
}

/**
 * Live server + good client for one property. `run(bytes)` plays one case;
 * `finish()` checks the good client and the server's books.
 */
async function fuzzRig(): Promise<{ run: (bytes: Buffer, cuts: number[]) => Promise<void>; finish: () => Promise<Tally> }> {
  const h: ServerHarness = await startServer({}, (s) => {
    s.addMsgRouter(1, echo);
    s.addMsgRouter(2, () => {
      throw new Error("handler boom");
    });
  });
  const { client: good, conn: goodConn } = await h.connectStarted();
  let goodSeq = 0;
  const tally: Tally = { cases: 0, bytes: 0, badFrame: 0, openWhole: 0, openPartial: 0, framesDelivered: 0 };

  const run = async (bytes: Buffer, cuts: number[]): Promise<void> => {
    const want = reference(bytes);
    tally.cases++;
    tally.bytes += bytes.length;
    // The good client's next frame is in flight while the fuzz bytes arrive.
    const seq = goodSeq++;
    const seqBody = Buffer.alloc(4);
    seqBody.writeUInt32LE(seq);
    good.send(1, seqBody);

    const { client, conn } = await h.connectStarted();
    const errorsBefore = h.errors.items.filter((e) => e.conn === conn).length;
    // Sent in pieces cut at `cuts`, a loop turn apart, so headers and bodies straddle reads.
    // The server may close before it has read everything (EPIPE/ECONNRESET): that is fine.
    const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
    let from = 0;
    for (const to of [...points, bytes.length]) {
      if (to > from && !client.closed) {
        await client.write(bytes.subarray(from, to)).catch(() => {});
        await nextTurn();
      }
      from = Math.max(from, to);
    }
    await until(() => conn.closed || conn.bytesIn === bytes.length, `the server to read ${bytes.length} fuzz bytes or close (${client.describe()})`);

    if (want.error !== null) {
      const closed = await h.closes.waitFind((e) => e.conn === conn, `bad-frame close of conn ${conn.id}`);
      expect(closed.reason).toBe("bad-frame");
      expect(closed.error).toMatchObject({ code: want.error });
      // Reported through onError too, for that connection.
      expect(h.errors.items.filter((e) => e.conn === conn && e.err.code === want.error)).toHaveLength(1);
      expect(conn.messagesIn).toBe(want.frames);
      await client.waitClose();
      tally.badFrame++;
    } else {
      expect(conn.closed).toBe(false);
      expect(conn.messagesIn).toBe(want.frames);
      expect(conn.partialFrameBytes).toBe(want.partial);
      // Every error reported for it is a routing error; none closed it.
      for (const e of h.errors.items.slice(errorsBefore).filter((x) => x.conn === conn)) {
        expect(["LARS_ROUTE_UNKNOWN", "LARS_HANDLER_ERROR"]).toContain(e.err.code);
      }
      if (want.partial > 0) tally.openPartial++;
      else tally.openWhole++;
      await client.destroy();
      await h.closes.waitFind((e) => e.conn === conn, `close of conn ${conn.id}`);
    }
    tally.framesDelivered += want.frames;

    // The good client's echo arrived, in order.
    const frames = await good.waitFrames(seq + 1);
    expect(frames[seq]!.body.readUInt32LE(0)).toBe(seq);
  };

  const finish = async (): Promise<Tally> => {
    expect(good.frames.map((f) => f.body.readUInt32LE(0))).toEqual(Array.from({ length: goodSeq }, (_, i) => i));
    expect(goodConn.closed).toBe(false);
    expect(h.server.connectionCount).toBe(1);
    expect(h.server.stats().decodeErrors).toBe(tally.badFrame);
    expect(escaped).toEqual([]);
    expect(h.loopErrors).toEqual([]);
    await h.teardown(); // every close hook once, no pooled buffer leaked
    return tally;
  };
  return { run, finish };
}

// ---- arbitraries ----------------------------------------------------------

const msgidArb = fc.oneof(fc.constantFrom(1, 2, 3, 0, -1, 0x7fffffff, -0x80000000), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const bodyArb = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 64 }) },
  { weight: 3, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 3000 }) },
  { weight: 1, arbitrary: fc.constantFrom(MAX, MAX - 1).map((n) => new Uint8Array(n).fill(0xab)) },
);
const framesArb = fc.array(fc.record({ msgid: msgidArb, body: bodyArb }), { minLength: 1, maxLength: 8 });
const cutsArb = fc.array(fc.nat(), { maxLength: 4 });
const junkArb = fc.oneof(fc.uint8Array({ maxLength: 7 }), fc.uint8Array({ minLength: 8, maxLength: 4096 }));
const encode = (frames: { msgid: number; body: Uint8Array }[]): Buffer => Buffer.concat(frames.map((f) => encodeFrame(f.msgid, f.body)));

/** Header offsets of a valid stream (to aim mutations at headers). */
function headerOffsets(frames: { body: Uint8Array }[]): number[] {
  const offs: number[] = [];
  let off = 0;
  for (const f of frames) {
    offs.push(off);
    off += HEADER + f.body.length;
  }
  return offs;
}

type Mutation =
  | { kind: "flip-header"; frame: number; byte: number; bit: number }
  | { kind: "flip-any"; at: number; bit: number }
  | { kind: "set-length"; frame: number; value: number }
  | { kind: "truncate"; at: number }
  | { kind: "duplicate"; from: number; length: number; to: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip-header" as const), frame: fc.nat(), byte: fc.integer({ min: 0, max: 7 }), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant("flip-any" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant("set-length" as const),
    frame: fc.nat(),
    value: fc.oneof(fc.constantFrom(-1, -0x80000000, MAX, MAX + 1, 0x7fffffff, 0, 1), fc.integer({ min: -0x80000000, max: 0x7fffffff })),
  }),
  fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("duplicate" as const), from: fc.nat(), length: fc.integer({ min: 1, max: 200 }), to: fc.nat() }),
);

function mutate(frames: { msgid: number; body: Uint8Array }[], mutations: Mutation[]): Buffer {
  let bytes = encode(frames);
  const heads = headerOffsets(frames);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    switch (m.kind) {
      case "flip-header": {
        const at = heads[m.frame % heads.length]! + m.byte;
        if (at < bytes.length) bytes[at]! ^= 1 << m.bit;
        break;
      }
      case "flip-any":
        bytes[m.at % bytes.length]! ^= 1 << m.bit;
        break;
      case "set-length": {
        const at = heads[m.frame % heads.length]! + 4;
        if (at + 4 <= bytes.length) bytes.writeInt32LE(m.value, at);
        break;
      }
      case "truncate":
        bytes = bytes.subarray(0, m.at % (bytes.length + 1));
        break;
      case "duplicate": {
        const from = m.from % bytes.length;
        const slice = bytes.subarray(from, Math.min(bytes.length, from + m.length));
        const to = m.to % (bytes.length + 1);
        bytes = Buffer.concat([bytes.subarray(0, to), slice, bytes.subarray(to)]);
        break;
      }
    }
  }
  return Buffer.from(bytes);
}

// ---- properties -----------------------------------------------------------

/** Bad inputs tried, by property (printed at the end of each; the closing note sums them). */
const report = (name: string, t: Tally): void => {
  console.log(
    `fuzz ${name}: ${t.cases} connections, ${t.bytes} bytes; bad-frame closes ${t.badFrame}, left open (whole frames) ${t.openWhole}, ` +
      `left open (partial frame) ${t.openPartial}; frames delivered ${t.framesDelivered}`,
  );
};

describe("fuzz: a live server under random and mutated byte streams", () => {
  it("random byte streams (any length up to 4 KiB, after an optional valid prefix)", async () => {
    const rig = await fuzzRig();
    await fc.assert(
      fc.asyncProperty(fc.option(framesArb, { nil: undefined }), junkArb, cutsArb, async (prefix, junk, cuts) => {
        await rig.run(Buffer.concat([prefix === undefined ? Buffer.alloc(0) : encode(prefix), junk]), cuts);
      }),
      { numRuns: 60 },
    );
    const t = await rig.finish();
    report("random", t);
    expect(t.badFrame).toBeGreaterThan(0);
  }, 60_000);

  it("mutated valid streams: header bits flipped, lengths set to hostile values, truncated, slices duplicated", async () => {
    const rig = await fuzzRig();
    await fc.assert(
      fc.asyncProperty(framesArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), cutsArb, async (frames, mutations, cuts) => {
        await rig.run(mutate(frames, mutations), cuts);
      }),
      { numRuns: 60 },
    );
    const t = await rig.finish();
    report("mutated", t);
    // The mix reaches every outcome.
    expect(t.badFrame).toBeGreaterThan(0);
    expect(t.openWhole + t.openPartial).toBeGreaterThan(0);
  }, 60_000);
});
