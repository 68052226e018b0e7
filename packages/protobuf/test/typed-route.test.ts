import { MessageRouter, PayloadDecodeError, createConnectionPair, typedRoute } from "@lars/codec";
import type { NetConnection } from "@lars/codec";
import { describe, expect, it } from "vitest";
import { echoMessageCodec } from "../src/index.js";
import type { EchoMessage } from "../src/index.js";

const ECHO_MSGID = 1;

describe("echoMessageCodec with @lars/codec typed routes", () => {
  it("hands the handler a decoded EchoMessage; a bad body is reported and later frames still route", () => {
    const received: EchoMessage[] = [];
    const router = new MessageRouter<NetConnection>();
    router.register(
      ECHO_MSGID,
      typedRoute(echoMessageCodec, (message) => {
        received.push({ ...message });
      }),
    );
    const conn = {} as NetConnection;

    const good = Buffer.from(echoMessageCodec.encode({ content: "Hello Lars!!!", id: 1 }));
    expect(router.dispatch(ECHO_MSGID, good, conn)).toBeUndefined();
    const err = router.dispatch(ECHO_MSGID, Buffer.from("0a05", "hex"), conn);
    expect(err).toBeInstanceOf(PayloadDecodeError);
    expect(err?.code).toBe("LARS_PAYLOAD_DECODE");
    expect(router.dispatch(ECHO_MSGID, good, conn)).toBeUndefined();
    expect(received).toEqual([
      { content: "Hello Lars!!!", id: 1 },
      { content: "Hello Lars!!!", id: 1 },
    ]);
  });

  it("runs the QPS ping-pong over an in-memory connection pair, surviving a garbage frame", () => {
    const server = new MessageRouter<NetConnection>();
    server.register(
      ECHO_MSGID,
      typedRoute(echoMessageCodec, (message, msgid, conn) => {
        conn.sendMessage(echoMessageCodec.encode(message), msgid);
      }),
    );
    const client = new MessageRouter<NetConnection>();
    const seen: number[] = [];
    client.register(
      ECHO_MSGID,
      typedRoute(echoMessageCodec, (message, msgid, conn) => {
        seen.push(message.id);
        if (message.content === "Hello Lars!!!" && message.id < 5) {
          conn.sendMessage(echoMessageCodec.encode({ content: message.content, id: message.id + 1 }), msgid);
        }
      }),
    );
    const pair = createConnectionPair({ router: client }, { router: server });
    try {
      pair.a.sendMessage(Buffer.from("ffff", "hex"), ECHO_MSGID);
      pair.a.sendMessage(echoMessageCodec.encode({ content: "Hello Lars!!!", id: 1 }), ECHO_MSGID);
      pair.flush();
      expect(seen).toEqual([1, 2, 3, 4, 5]);
      expect(pair.b.closed).toBe(false);
      expect(pair.b.errors.map((e) => e.code)).toEqual(["LARS_PAYLOAD_DECODE"]);
    } finally {
      pair.destroy();
    }
  });
});
