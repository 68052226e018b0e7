import { createSocket } from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import { FrameTooLongError, InvalidMsgidError } from "@lars/codec";
import type { LarsError } from "@lars/iobuf";
import {
  DEFAULT_UDP_MAX_MESSAGE_LENGTH,
  UDP4_MAX_MESSAGE_LENGTH,
  UDP4_MAX_PAYLOAD,
} from "../src/index.js";
import { Queue, loadVectors, recordInto, startPair } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Send `size` bytes with a plain dgram socket over IPv4 loopback; the send callback's error code, or "ok". */
async function rawSendResult(size: number): Promise<string> {
  const socket = createSocket("udp4");
  try {
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const port = socket.address().port; // to itself: nothing else needed
    return await new Promise<string>((resolve) =>
      socket.send(Buffer.alloc(size), port, "127.0.0.1", (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? err.message) : "ok")),
    );
  } finally {
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

describe("the UDP body limit", () => {
  it.skipIf(process.platform === "darwin")(
    "is 65499 because IPv4 refuses a datagram of 8 + 65527 bytes (EMSGSIZE) and takes 65507",
    async () => {
      const vectors = loadVectors();
      expect(vectors.default_max_body).toBe(65527); // the TCP / C++ limit
      expect(await rawSendResult(8 + vectors.default_max_body)).toBe("EMSGSIZE");
      expect(await rawSendResult(UDP4_MAX_PAYLOAD + 1)).toBe("EMSGSIZE");
      expect(await rawSendResult(UDP4_MAX_PAYLOAD)).toBe("ok");
      expect(DEFAULT_UDP_MAX_MESSAGE_LENGTH).toBe(UDP4_MAX_PAYLOAD - 8);
      expect(DEFAULT_UDP_MAX_MESSAGE_LENGTH).toBe(65499);
    },
  );

  it("refuses an over-limit body before sending: nothing reaches the socket or the server", async () => {
    const serverErrors = new Queue<LarsError>();
    const clientErrors = new Queue<LarsError>();
    const pair = await startPair({ onError: serverErrors.push }, { onError: clientErrors.push });
    cleanups.push(pair.stop);
    const tooLong = Buffer.alloc(UDP4_MAX_MESSAGE_LENGTH + 1);
    const refusedOnServer = new Queue<unknown>();
    pair.server.addMsgRouter(1, (body, msgid, conn) => {
      try {
        conn.sendMessage(tooLong, 2); // a peer refuses too
      } catch (err) {
        refusedOnServer.push(err);
      }
      conn.sendMessage(body, msgid);
    });
    const replies = recordInto(pair.client, [1, 2]);

    let thrown: unknown;
    try {
      pair.client.sendMessage(tooLong, 1);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(FrameTooLongError);
    expect((thrown as FrameTooLongError).code).toBe("LARS_FRAME_TOO_LONG");
    expect((thrown as FrameTooLongError).max).toBe(65499);
    expect(() => pair.client.sendMessage("x".repeat(UDP4_MAX_MESSAGE_LENGTH + 1), 1)).toThrow(FrameTooLongError);
    expect(() => pair.client.sendMessage("", 2 ** 31)).toThrow(InvalidMsgidError);
    expect(pair.client.stats()).toMatchObject({ datagramsOut: 0, bytesOut: 0, sendsRefused: 3 });

    pair.client.sendMessage("after", 1);
    const reply = await replies.next();
    expect(reply).toMatchObject({ msgid: 1 });
    expect(reply.body.toString()).toBe("after");
    const refused = await refusedOnServer.next();
    expect(refused).toBeInstanceOf(FrameTooLongError);
    // The server saw exactly the one good datagram; the refused ones were never sent.
    expect(pair.server.stats()).toMatchObject({ datagramsIn: 1, droppedTotal: 0, datagramsOut: 1, sendsRefused: 1 });
    expect(replies.size).toBe(0);
    expect(serverErrors.size + clientErrors.size).toBe(0);
  });

  it("honours a lower maxMessageLength on both sides", async () => {
    const pair = await startPair({ maxMessageLength: 100 }, { maxMessageLength: 100 });
    cleanups.push(pair.stop);
    pair.server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
    const replies = recordInto(pair.client, [1]);
    expect(() => pair.client.sendMessage(Buffer.alloc(101), 1)).toThrow(FrameTooLongError);
    pair.client.sendMessage(Buffer.alloc(100, 7), 1);
    expect((await replies.next()).body.length).toBe(100);
  });
});
