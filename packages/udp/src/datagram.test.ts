import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FrameTooLongError, encodeFrame } from "@lars/codec";
import {
  UDP4_MAX_MESSAGE_LENGTH,
  UDP6_MAX_MESSAGE_LENGTH,
  datagramDropReason,
  datagramError,
  datagramMsgid,
  decodeDatagram,
  encodeDatagram,
} from "./datagram.js";
import { DATAGRAM_DROP_REASONS, UdpDatagramError } from "./errors.js";
import type { DatagramDropReason } from "./errors.js";

interface Vectors {
  valid: { name: string; msgid: number; body_hex: string; frame_hex: string }[];
  largest: { header_hex: string };
  invalid_headers: { name: string; header_hex: string; error: string }[];
  udp_invalid: { name: string; hex: string }[];
}
const vectors = JSON.parse(readFileSync(new URL("../../../wire/vectors.json", import.meta.url), "utf8")) as Vectors;

const MAX = 65527;
const hex = (h: string) => Buffer.from(h, "hex");

function header(msgid: number, msglen: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeInt32LE(msgid, 0);
  b.writeInt32LE(msglen, 4);
  return b;
}

describe("UDP limits", () => {
  it("are the IP payload limits minus the 8-byte frame header", () => {
    expect(UDP4_MAX_MESSAGE_LENGTH).toBe(65507 - 8);
    expect(UDP6_MAX_MESSAGE_LENGTH).toBe(65527 - 8);
  });
});

describe("datagramDropReason / decodeDatagram", () => {
  it("decodes every valid vector frame as one datagram, body a view of it", () => {
    for (const v of vectors.valid) {
      const datagram = hex(v.frame_hex);
      expect(datagramDropReason(datagram, MAX), v.name).toBeNull();
      const frame = decodeDatagram(datagram, MAX);
      expect(frame.msgid).toBe(v.msgid);
      expect(datagramMsgid(datagram)).toBe(v.msgid);
      expect(frame.body.toString("hex")).toBe(v.body_hex);
      expect(frame.body.buffer).toBe(datagram.buffer); // no copy
    }
  });

  it("drops every udp_invalid vector: short, or length mismatch", () => {
    expect(vectors.udp_invalid.length).toBeGreaterThan(0);
    for (const v of vectors.udp_invalid) {
      const datagram = hex(v.hex);
      const expected: DatagramDropReason = datagram.length < 8 ? "short" : "length mismatch";
      expect(datagramDropReason(datagram, MAX), v.name).toBe(expected);
      expect(() => decodeDatagram(datagram, MAX)).toThrow(UdpDatagramError);
    }
  });

  it("drops every invalid_headers vector with the reason the vector names, before looking at the size", () => {
    for (const v of vectors.invalid_headers) {
      const h = hex(v.header_hex);
      expect(datagramDropReason(h, MAX), v.name).toBe(v.error);
      // the same header followed by some bytes: the header check still comes first
      expect(datagramDropReason(Buffer.concat([h, Buffer.alloc(3)]), MAX), v.name).toBe(v.error);
    }
  });

  it("checks the largest vector against the limit in force", () => {
    const h = hex(vectors.largest.header_hex);
    const datagram = Buffer.concat([h, Buffer.alloc(65527)]);
    expect(datagramDropReason(datagram, 65527)).toBeNull();
    expect(datagramDropReason(datagram, UDP4_MAX_MESSAGE_LENGTH)).toBe("too long");
  });

  it("tells each reason apart, in the documented order", () => {
    expect(DATAGRAM_DROP_REASONS).toEqual(["short", "negative length", "too long", "length mismatch"]);
    expect(datagramDropReason(Buffer.alloc(0), MAX)).toBe("short");
    expect(datagramDropReason(Buffer.alloc(7), MAX)).toBe("short");
    expect(datagramDropReason(header(1, -1), MAX)).toBe("negative length");
    expect(datagramDropReason(header(1, -2147483648), MAX)).toBe("negative length");
    expect(datagramDropReason(Buffer.concat([header(1, 11), Buffer.alloc(11)]), 10)).toBe("too long");
    expect(datagramDropReason(Buffer.concat([header(1, 10), Buffer.alloc(10)]), 10)).toBeNull();
    expect(datagramDropReason(Buffer.concat([header(1, 2), Buffer.alloc(3)]), MAX)).toBe("length mismatch");
    expect(datagramDropReason(Buffer.concat([header(1, 4), Buffer.alloc(3)]), MAX)).toBe("length mismatch");
    expect(datagramDropReason(header(1, 0), 0)).toBeNull();
  });

  it("works on a plain Uint8Array and on a view at an offset", () => {
    const backing = Buffer.concat([Buffer.from("junk"), header(7, 2), Buffer.from("ok")]);
    const view = backing.subarray(4);
    expect(datagramDropReason(new Uint8Array(view), MAX)).toBeNull();
    expect(decodeDatagram(view, MAX)).toMatchObject({ msgid: 7 });
    expect(decodeDatagram(view, MAX).body.toString()).toBe("ok");
  });

  it("builds a UdpDatagramError that names the reason, header fields and sender", () => {
    const err = datagramError(Buffer.concat([header(5, 3), Buffer.alloc(1)]), "length mismatch", MAX, "10.0.0.1", 4000);
    expect(err).toBeInstanceOf(UdpDatagramError);
    expect(err).toMatchObject({
      name: "UdpDatagramError",
      code: "LARS_UDP_BAD_DATAGRAM",
      reason: "length mismatch",
      length: 9,
      msgid: 5,
      msglen: 3,
      max: MAX,
      address: "10.0.0.1",
      port: 4000,
    });
    expect(err.message).toMatch(/from 10\.0\.0\.1:4000/);
    expect(err.message).toMatch(/announces 3 body bytes, datagram carries 1/);
    const short = datagramError(Buffer.alloc(3), "short", MAX);
    expect(short.msgid).toBeUndefined();
    expect(short.msglen).toBeUndefined();
    expect(short.message).toMatch(/shorter than the 8-byte frame header/);
  });
});

describe("encodeDatagram", () => {
  it("is the Lars frame, byte for byte, and refuses a body over the limit", () => {
    for (const v of vectors.valid) expect(encodeDatagram(v.msgid, hex(v.body_hex), MAX).toString("hex")).toBe(v.frame_hex);
    expect(() => encodeDatagram(1, Buffer.alloc(UDP4_MAX_MESSAGE_LENGTH + 1), UDP4_MAX_MESSAGE_LENGTH)).toThrow(FrameTooLongError);
    expect(encodeDatagram(1, Buffer.alloc(UDP4_MAX_MESSAGE_LENGTH), UDP4_MAX_MESSAGE_LENGTH).length).toBe(65507);
  });

  it("round-trips any msgid and body up to the limit (property)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.uint8Array({ maxLength: 2048 }), (msgid, body) => {
        const frame = decodeDatagram(encodeDatagram(msgid, body, 2048), 2048);
        expect(frame.msgid).toBe(msgid);
        expect(Buffer.compare(frame.body, Buffer.from(body))).toBe(0);
      }),
    );
  });

  it("classifies any bytes: valid ones re-encode to themselves, the rest throw only UdpDatagramError (property)", () => {
    const datagrams = fc.oneof(
      fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
      fc
        .tuple(fc.integer(), fc.integer({ min: -4, max: 40 }), fc.uint8Array({ maxLength: 40 }))
        .map(([msgid, msglen, body]) => Buffer.concat([header(msgid | 0, msglen), body])),
    );
    fc.assert(
      fc.property(datagrams, fc.integer({ min: 0, max: 32 }), (datagram, max) => {
        const reason = datagramDropReason(datagram, max);
        if (reason === null) {
          const { msgid, body } = decodeDatagram(datagram, max);
          expect(encodeFrame(msgid, body, max).equals(datagram)).toBe(true);
        } else {
          expect(DATAGRAM_DROP_REASONS).toContain(reason);
          expect(() => decodeDatagram(datagram, max)).toThrow(UdpDatagramError);
        }
      }),
    );
  });
});
