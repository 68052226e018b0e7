import { describe, expect, it } from "vitest";
import { EmbeddedConnection } from "./embedded-connection.js";
import { PayloadDecodeError } from "./errors.js";
import { MessageRouter } from "./message-router.js";
import { jsonCodec, utf8Codec } from "./payload-codec.js";
import { registerTyped, typedRoute } from "./typed-route.js";

interface Echo {
  content: string;
  id: number;
}
const echoCodec = jsonCodec<Echo>();

describe("typed routes", () => {
  it("registerTyped with jsonCodec delivers the decoded message, msgid, connection and userData", () => {
    const router = new MessageRouter<string>();
    const seen: [Echo, number, string, { tag: string }][] = [];
    const returned = registerTyped(router, 1, echoCodec, (msg, msgid, conn, u) => seen.push([msg, msgid, conn, u]), { tag: "t" });
    expect(returned).toBe(router);
    expect(router.dispatch(1, Buffer.from(echoCodec.encode({ content: "hi", id: 4 })), "conn")).toBeUndefined();
    expect(seen).toEqual([[{ content: "hi", id: 4 }, 1, "conn", { tag: "t" }]]);
  });

  it("typedRoute with utf8Codec registered by hand", () => {
    const router = new MessageRouter<null>();
    const seen: string[] = [];
    router.register(
      2,
      typedRoute(utf8Codec, (text: string) => seen.push(text)),
    );
    router.dispatch(2, Buffer.from("负载均衡"), null);
    expect(seen).toEqual(["负载均衡"]);
  });

  it("a body the codec refuses: dispatch returns PayloadDecodeError and the handler is not called", () => {
    const router = new MessageRouter<null>();
    let calls = 0;
    registerTyped(router, 1, echoCodec, () => calls++);
    registerTyped(router, 2, utf8Codec, () => calls++);
    const jsonErr = router.dispatch(1, Buffer.from("{not json"), null);
    expect(jsonErr).toBeInstanceOf(PayloadDecodeError);
    expect(jsonErr).toMatchObject({ code: "LARS_PAYLOAD_DECODE", codec: "json" });
    expect(router.dispatch(2, Buffer.from([0xff]), null)).toMatchObject({ code: "LARS_PAYLOAD_DECODE", codec: "utf8" });
    expect(calls).toBe(0);
  });

  it("on a connection, a bad body is reported and the connection stays open", () => {
    const conn = new EmbeddedConnection();
    const seen: Echo[] = [];
    registerTyped(conn.router, 1, echoCodec, (msg) => seen.push(msg));
    conn.receive(1, "garbage");
    conn.receive(1, JSON.stringify({ content: "ok", id: 2 }));
    expect(conn.errors.map((e) => e.code)).toEqual(["LARS_PAYLOAD_DECODE"]);
    expect(conn.closed).toBe(false);
    expect(seen).toEqual([{ content: "ok", id: 2 }]);
    conn.destroy();
  });
});
