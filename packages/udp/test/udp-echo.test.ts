import { afterEach, describe, expect, it } from "vitest";
import { MessageRouter } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { UDP4_MAX_MESSAGE_LENGTH, UdpPeer } from "../src/index.js";
import type { UdpServer } from "../src/index.js";
import { Queue, patternBody, recordInto, startPair } from "./helpers.js";

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

/** Register an echo on the server for `msgids`: reply with the same msgid and body. */
function echo(server: UdpServer, msgids: number[]): void {
  for (const id of msgids) server.addMsgRouter(id, (body, msgid, conn) => conn.sendMessage(body, msgid));
}

describe("UDP echo between UdpClient and UdpServer", () => {
  it("answers several msgids, each reply going back to the sender", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    const seenByServer: NetConnection[] = [];
    for (const id of [1, 2, 3]) {
      pair.server.addMsgRouter(id, (body, msgid, conn) => {
        seenByServer.push(conn);
        conn.sendMessage(body, msgid);
      });
    }
    const replies = recordInto(pair.client, [1, 2, 3]);

    const sent: [number, string][] = [
      [1, "hello lars!"],
      [2, ""],
      [3, "ünïcödé ✓"],
      [1, "again"],
    ];
    for (const [msgid, text] of sent) {
      pair.client.sendMessage(text, msgid);
      const reply = await replies.next();
      expect(reply.msgid).toBe(msgid);
      expect(reply.body.toString("utf8")).toBe(text);
      expect(reply.conn).toBe(pair.client);
    }

    const clientPort = pair.client.address()!.port;
    expect(seenByServer).toHaveLength(4);
    for (const conn of seenByServer) {
      expect(conn).toBeInstanceOf(UdpPeer);
      expect(conn.transport).toBe("udp");
      expect(conn.remoteAddress).toBe("127.0.0.1");
      expect(conn.remotePort).toBe(clientPort);
    }
    // One peer object per datagram, each with its own id.
    expect(new Set(seenByServer.map((c) => c.id)).size).toBe(4);

    const s = pair.server.stats();
    expect(s).toMatchObject({ datagramsIn: 4, messagesIn: 4, datagramsOut: 4, droppedTotal: 0, routeErrors: 0 });
    const c = pair.client.stats();
    expect(c).toMatchObject({ datagramsIn: 4, messagesIn: 4, datagramsOut: 4, droppedTotal: 0 });
    expect(c.bytesOut).toBe(s.bytesIn);
    expect(c.bytesIn).toBe(s.bytesOut);
  });

  it.skipIf(process.platform === "darwin")("echoes a body of the largest size, 65499 bytes, intact", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    echo(pair.server, [9]);
    const replies = recordInto(pair.client, [9]);
    const body = patternBody(UDP4_MAX_MESSAGE_LENGTH);
    expect(pair.client.sendMessage(body, 9)).toBe(true);
    const reply = await replies.next();
    expect(reply.body.equals(body)).toBe(true);
    expect(pair.server.stats().bytesIn).toBe(8 + UDP4_MAX_MESSAGE_LENGTH);
  });

  it("passes userData, shares one router between server and client, and keeps the peer usable for a later reply", async () => {
    const router = new MessageRouter<NetConnection>();
    const pair = await startPair({ router });
    cleanups.push(pair.stop);
    expect(pair.server.router).toBe(router);
    const data = new Queue<string>();
    // The reply comes from a timer, after the handler returned: a kept UdpPeer still sends.
    pair.server.addMsgRouter(
      5,
      (body, _msgid, conn, tag) => {
        data.push(tag);
        const text = body.toString("utf8"); // copy out of the view before the handler returns
        pair.loop.runAfter(1, () => conn.sendMessage(`later: ${text}`, 6));
      },
      "the-tag",
    );
    const replies = recordInto(pair.client, [6]);
    pair.client.sendMessage("ping", 5);
    expect(await data.next()).toBe("the-tag");
    expect((await replies.next()).body.toString()).toBe("later: ping");
  });

  it("keeps attributes on a UdpPeer for its own datagram only", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    const seen = new Queue<unknown>();
    pair.server.addMsgRouter(1, (_body, _msgid, conn) => {
      seen.push(conn.getAttr("count"));
      conn.setAttr("count", 1);
      expect(conn.getAttr("count")).toBe(1);
      conn.sendMessage("", 1);
    });
    const replies = recordInto(pair.client, [1]);
    pair.client.sendMessage("", 1);
    await replies.next();
    pair.client.sendMessage("", 1);
    await replies.next();
    expect(await seen.next()).toBeUndefined();
    expect(await seen.next()).toBeUndefined();
  });

  it("lets a client handler answer the server through the client itself", async () => {
    const pair = await startPair();
    cleanups.push(pair.stop);
    // ping-pong: server → client (msgid 2) → server (msgid 3)
    pair.server.addMsgRouter(1, (_b, _m, conn) => conn.sendMessage("pong?", 2));
    pair.client.addMsgRouter(2, (_b, _m, conn) => {
      expect(conn).toBe(pair.client);
      conn.sendMessage("pong!", 3);
    });
    const got = recordInto(pair.server, [3]);
    pair.client.sendMessage("ping", 1);
    expect((await got.next()).body.toString()).toBe("pong!");
  });
});
