import { describe, expect, it } from "vitest";
import { diffRouteTables, parseRouteKey, routeKey, type DnsRoute } from "../src/index.js";

function table(...routes: DnsRoute[]): Map<string, DnsRoute> {
  return new Map(routes.map((r) => [routeKey(r.modid, r.cmdid), r]));
}
const h = (ip: number, port: number) => ({ ip, port });

describe("diffRouteTables", () => {
  it("finds added, removed and changed routes, not unchanged ones", () => {
    const old = table(
      { modid: 1, cmdid: 1, hosts: [h(1, 80)] },
      { modid: 1, cmdid: 2, hosts: [h(1, 80), h(2, 80)] },
      { modid: 2, cmdid: 1, hosts: [h(3, 80)] },
    );
    const next = table(
      { modid: 1, cmdid: 1, hosts: [h(1, 80)] },
      { modid: 1, cmdid: 2, hosts: [h(1, 80), h(2, 81)] },
      { modid: 3, cmdid: 1, hosts: [h(4, 80)] },
    );
    expect(diffRouteTables(old, next).sort()).toEqual(["1:2", "2:1", "3:1"]);
  });
  it("sees a host list that only grew or shrank", () => {
    const a = table({ modid: 5, cmdid: 5, hosts: [h(-1, 1)] });
    const b = table({ modid: 5, cmdid: 5, hosts: [h(-1, 1), h(-1, 2)] });
    expect(diffRouteTables(a, b)).toEqual(["5:5"]);
    expect(diffRouteTables(b, a)).toEqual(["5:5"]);
  });
  it("is empty for equal tables and for two empty ones", () => {
    const a = table({ modid: 1, cmdid: 1, hosts: [h(1, 1)] });
    const b = table({ modid: 1, cmdid: 1, hosts: [h(1, 1)] });
    expect(diffRouteTables(a, b)).toEqual([]);
    expect(diffRouteTables(new Map(), new Map())).toEqual([]);
  });
  it("routeKey and parseRouteKey round-trip, negatives too", () => {
    expect(routeKey(7, -3)).toBe("7:-3");
    expect(parseRouteKey(routeKey(-7, 300))).toEqual({ modid: -7, cmdid: 300 });
  });
});
