import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { agentPortIndex as agentSide } from "@lars/agent";
import { LarsClient, agentPortIndex } from "../src/index.js";

const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });

describe("agentPortIndex", () => {
  it("agrees with @lars/agent's for every int32 pair and count, negative ids included", () => {
    fc.assert(
      fc.property(int32, int32, fc.integer({ min: 1, max: 64 }), (modid, cmdid, count) => {
        const i = agentPortIndex(modid, cmdid, count);
        expect(i === agentSide(modid, cmdid, count)).toBe(true);
        expect(Number.isInteger(i) && i >= 0 && i < count).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it("is the C++ (modid + cmdid) % 3 for non-negative ids and a valid index for negative ones", () => {
    expect([agentPortIndex(1, 1), agentPortIndex(0, 0), agentPortIndex(10, 20, 3), agentPortIndex(1, 2, 1)]).toEqual([2, 0, 0, 0]);
    expect([agentPortIndex(-1, -1), agentPortIndex(-5, 1), agentPortIndex(5, -7), agentPortIndex(-3, 0)]).toEqual([1, 2, 1, 0]);
    expect(Object.is(agentPortIndex(-3, 0), 0)).toBe(true);
  });

  it("LarsClient.portFor is basePort + agentPortIndex, or ports[agentPortIndex]", async () => {
    const a = new LarsClient({ basePort: 9000, count: 5 });
    const b = new LarsClient({ ports: [7001, 7005, 7003] });
    fc.assert(
      fc.property(int32, int32, (m, k) => {
        expect(a.portFor(m, k)).toBe(9000 + agentSide(m, k, 5));
        expect(b.portFor(m, k)).toBe([7001, 7005, 7003][agentSide(m, k, 3)]);
      }),
    );
    await Promise.all([a.close(), b.close()]);
  });
});
