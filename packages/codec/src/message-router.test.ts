import { LarsError } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { EmbeddedConnection } from "./embedded-connection.js";
import { DuplicateRouteError, HandlerError, InvalidMsgidError, PayloadDecodeError, UnknownMsgidError } from "./errors.js";
import { MessageRouter } from "./message-router.js";
import type { NetConnection } from "./net-connection.js";

const body = Buffer.from("payload");

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

describe("MessageRouter", () => {
  it("dispatches to the handler of the msgid with body, msgid, connection and userData", () => {
    const router = new MessageRouter();
    const conn = new EmbeddedConnection();
    const calls: unknown[][] = [];
    const userData = { name: "qps" };
    router.register(1, (b, msgid, c, u) => calls.push([b, msgid, c, u]), userData);
    router.register(2, (_b, msgid) => calls.push([msgid]));

    expect(router.dispatch(1, body, conn)).toBeUndefined();
    expect(router.dispatch(2, body, conn)).toBeUndefined();
    expect(calls).toHaveLength(2);
    expect(calls[0]![0]).toBe(body); // the same view, no copy
    expect(calls[0]![1]).toBe(1);
    expect(calls[0]![2]).toBe(conn);
    expect(calls[0]![3]).toBe(userData); // the same object each call
    expect(calls[1]).toEqual([2]);
    conn.destroy();
  });

  it("register is chainable; has, msgids (in registration order)", () => {
    const router = new MessageRouter().register(5, () => undefined).register(-3, () => undefined).register(0, () => undefined);
    expect(router.msgids()).toEqual([5, -3, 0]);
    expect(router.has(-3)).toBe(true);
    expect(router.has(4)).toBe(false);
  });

  it("refuses a second handler for a msgid with DuplicateRouteError, keeping the first", () => {
    const router = new MessageRouter<string>();
    const seen: string[] = [];
    router.register(1, () => seen.push("first"));
    const err = thrown(() => router.register(1, () => seen.push("second")));
    expect(err).toBeInstanceOf(DuplicateRouteError);
    expect(err).toBeInstanceOf(LarsError);
    expect(err).toMatchObject({ code: "LARS_ROUTE_DUPLICATE", msgid: 1 });
    router.dispatch(1, body, "conn");
    expect(seen).toEqual(["first"]);
  });

  it("refuses a msgid that is not an int32", () => {
    const router = new MessageRouter();
    expect(() => router.register(2 ** 31, () => undefined)).toThrow(InvalidMsgidError);
    expect(() => router.register(0.5, () => undefined)).toThrow(InvalidMsgidError);
    expect(router.msgids()).toEqual([]);
  });

  it("returns (does not throw) UnknownMsgidError for a msgid without a handler", () => {
    const router = new MessageRouter<null>();
    const err = router.dispatch(99, body, null);
    expect(err).toBeInstanceOf(UnknownMsgidError);
    expect(err).toMatchObject({ code: "LARS_ROUTE_UNKNOWN", msgid: 99 });
  });

  it("sends unknown msgids to onUnknown instead, given at construction or later", () => {
    const seen: [string, number, string][] = [];
    const router = new MessageRouter<string>({ onUnknown: (b, msgid, conn) => seen.push([b.toString(), msgid, conn]) });
    expect(router.dispatch(7, body, "c1")).toBeUndefined();
    expect(seen).toEqual([["payload", 7, "c1"]]);

    const late = new MessageRouter<string>();
    late.onUnknown = (_b, msgid) => seen.push(["late", msgid, ""]);
    expect(late.dispatch(8, body, "c2")).toBeUndefined();
    expect(seen).toHaveLength(2);
    late.onUnknown = undefined;
    expect(late.dispatch(8, body, "c2")).toBeInstanceOf(UnknownMsgidError);
  });

  it("wraps anything a handler throws that is not a LarsError in HandlerError, with the cause", () => {
    const router = new MessageRouter<null>();
    const bug = new TypeError("handler bug");
    router.register(1, () => {
      throw bug;
    });
    router.register(2, () => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error -- a handler may throw anything
      throw "a string";
    });
    const err = router.dispatch(1, body, null);
    expect(err).toBeInstanceOf(HandlerError);
    expect(err).toMatchObject({ code: "LARS_HANDLER_ERROR", msgid: 1 });
    expect(err!.cause).toBe(bug);
    expect(err!.message).toContain("handler bug");
    expect(router.dispatch(2, body, null)).toMatchObject({ code: "LARS_HANDLER_ERROR", cause: "a string" });
  });

  it("returns a LarsError a handler throws as it is", () => {
    const router = new MessageRouter<null>();
    const decodeErr = new PayloadDecodeError("json", "bad");
    const custom = new LarsError("APP_REFUSED", "refused by the application");
    router.register(1, () => {
      throw decodeErr;
    });
    router.register(2, () => {
      throw custom;
    });
    expect(router.dispatch(1, body, null)).toBe(decodeErr);
    expect(router.dispatch(2, body, null)).toBe(custom);
  });

  it("wraps an error thrown by onUnknown too", () => {
    const router = new MessageRouter<null>({
      onUnknown: () => {
        throw new Error("no");
      },
    });
    expect(router.dispatch(5, body, null)).toBeInstanceOf(HandlerError);
  });

  it("unregister removes a route; the msgid is then unknown and may be registered again", () => {
    const router = new MessageRouter<null>();
    router.register(1, () => undefined);
    expect(router.unregister(1)).toBe(true);
    expect(router.unregister(1)).toBe(false);
    expect(router.has(1)).toBe(false);
    expect(router.dispatch(1, body, null)).toBeInstanceOf(UnknownMsgidError);
    router.register(1, () => undefined);
    expect(router.dispatch(1, body, null)).toBeUndefined();
  });

  it("routes may be added and removed from inside a handler, taking effect on the next frame", () => {
    const router = new MessageRouter<null>();
    const seen: string[] = [];
    router.register(1, () => {
      seen.push("login");
      router.unregister(1); // one-shot
      router.register(2, () => seen.push("data"));
    });
    expect(router.dispatch(2, body, null)).toBeInstanceOf(UnknownMsgidError);
    expect(router.dispatch(1, body, null)).toBeUndefined();
    expect(router.dispatch(2, body, null)).toBeUndefined();
    expect(router.dispatch(1, body, null)).toBeInstanceOf(UnknownMsgidError);
    expect(seen).toEqual(["login", "data"]);
  });

  it("serves any connection type, NetConnection by default", () => {
    const router = new MessageRouter();
    const conn: NetConnection = new EmbeddedConnection();
    let got: NetConnection | undefined;
    router.register(1, (_b, _m, c) => {
      got = c;
      c.sendMessage("pong", 1);
    });
    router.dispatch(1, body, conn);
    expect(got).toBe(conn);
    expect((conn as EmbeddedConnection).readOutbound().map((f) => f.body.toString())).toEqual(["pong"]);
  });
});
