// How to unit-test your own route handlers without sockets (the README example).
// It imports the package the way a user does: through "@lars/codec".
import { EmbeddedConnection, MessageRouter, createConnectionPair, jsonCodec, registerTyped } from "@lars/codec";
import { describe, expect, it } from "vitest";

// ---- the code under test: normally your own module, e.g. src/chat-routes.ts ----
const MSG_LOGIN = 1;
const MSG_WELCOME = 2;
const MSG_SAY = 3;
const MSG_DENIED = 99;

interface Login {
  user: string;
}
const loginCodec = jsonCodec<Login>();

/** Routes of a small chat server, written once against NetConnection (TCP, UDP or memory). */
function registerChatRoutes(router: MessageRouter): MessageRouter {
  registerTyped(router, MSG_LOGIN, loginCodec, (login, _msgid, conn) => {
    conn.setAttr("user", login.user);
    conn.sendMessage(`welcome ${login.user}`, MSG_WELCOME);
  });
  router.register(MSG_SAY, (body, msgid, conn) => {
    const user = conn.getAttr<string>("user");
    if (user === undefined) {
      conn.sendMessage("log in first", MSG_DENIED);
      conn.close();
      return;
    }
    // `body` is a view valid during this call only; toString() copies what we need.
    conn.sendMessage(`${user}: ${body.toString("utf8")}`, msgid);
  });
  return router;
}
// ---- end of the code under test ----

describe("testing a route handler without sockets", () => {
  it("one connection: feed frames in, read what the handler sent", () => {
    const conn = new EmbeddedConnection({ router: registerChatRoutes(new MessageRouter()) });

    conn.receive(MSG_LOGIN, JSON.stringify({ user: "ada" }));
    conn.receive(MSG_SAY, "hello");

    expect(conn.readOutbound().map((f) => [f.msgid, f.body.toString()])).toEqual([
      [MSG_WELCOME, "welcome ada"],
      [MSG_SAY, "ada: hello"],
    ]);
    expect(conn.getAttr("user")).toBe("ada");
    expect(conn.errors).toEqual([]); // unknown msgids, handler throws and bad bodies land here
    conn.destroy();
  });

  it("a client and a server talking through an in-memory pair", () => {
    const replies: string[] = [];
    const client = new MessageRouter();
    client.register(MSG_WELCOME, (body) => replies.push(body.toString()));
    client.register(MSG_SAY, (body) => replies.push(body.toString()));
    client.register(MSG_DENIED, (body) => replies.push(`denied: ${body.toString()}`));

    const { a, b, flush, destroy } = createConnectionPair({ router: client }, { router: registerChatRoutes(new MessageRouter()) });
    a.sendMessage(loginCodec.encode({ user: "bob" }), MSG_LOGIN);
    a.sendMessage("hi all", MSG_SAY);
    flush();

    expect(replies).toEqual(["welcome bob", "bob: hi all"]);
    expect(b.getAttr("user")).toBe("bob");
    destroy();
  });

  it("the refusal path: saying something before logging in closes the connection", () => {
    const conn = new EmbeddedConnection({ router: registerChatRoutes(new MessageRouter()) });
    conn.receive(MSG_SAY, "hello?");
    expect(conn.readOutbound().map((f) => f.msgid)).toEqual([MSG_DENIED]);
    expect(conn.closed).toBe(true);

    const bad = new EmbeddedConnection({ router: registerChatRoutes(new MessageRouter()) });
    bad.receive(MSG_LOGIN, "not json");
    expect(bad.errors.map((e) => e.code)).toEqual(["LARS_PAYLOAD_DECODE"]);
    bad.destroy();
  });
});
