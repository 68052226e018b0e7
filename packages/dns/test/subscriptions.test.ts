import { describe, expect, it } from "vitest";
import { SubscriptionRegistry } from "../src/index.js";

describe("SubscriptionRegistry", () => {
  it("maps routes to connections and back", () => {
    const reg = new SubscriptionRegistry<string>();
    expect(reg.subscribe("1:1", "a")).toBe("added");
    expect(reg.subscribe("1:1", "a")).toBe("already");
    expect(reg.subscribe("1:1", "b")).toBe("added");
    expect(reg.subscribe("2:2", "a")).toBe("added");
    expect(reg.subscribers("1:1").sort()).toEqual(["a", "b"]);
    expect(reg.routesOf("a").sort()).toEqual(["1:1", "2:2"]);
    expect(reg.size).toBe(3);
    expect(reg.subscribers("9:9")).toEqual([]);
  });
  it("removes a closed connection from every route (no leak)", () => {
    const reg = new SubscriptionRegistry<object>();
    const a = {};
    const b = {};
    for (let i = 0; i < 100; i++) reg.subscribe(`1:${i}`, a);
    reg.subscribe("1:0", b);
    expect(reg.removeConnection(a)).toBe(100);
    expect(reg.size).toBe(1);
    expect(reg.routeCount).toBe(1);
    expect(reg.connectionCount).toBe(1);
    expect(reg.subscribers("1:0")).toEqual([b]);
    expect(reg.subscribers("1:5")).toEqual([]);
    expect(reg.removeConnection(a)).toBe(0);
    reg.removeConnection(b);
    expect(reg.size).toBe(0);
    expect(reg.routeCount).toBe(0);
  });
  it("refuses past the per-connection cap and counts it", () => {
    const reg = new SubscriptionRegistry<string>(2);
    reg.subscribe("1:1", "a");
    reg.subscribe("1:2", "a");
    expect(reg.subscribe("1:3", "a")).toBe("refused");
    expect(reg.subscribe("1:1", "a")).toBe("already");
    expect(reg.refused).toBe(1);
    expect(reg.subscribe("1:3", "b")).toBe("added");
    expect(() => new SubscriptionRegistry(0)).toThrow(RangeError);
  });
});
