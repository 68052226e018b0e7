import { afterEach, describe, expect, it } from "vitest";
import { echo, startServer, teardownAll } from "../helpers/harness.js";
import { RawClient } from "../helpers/raw-client.js";

afterEach(teardownAll);

// The basic storm (5 x maxConn 4) is in max-conn.test.ts; this one is bigger, its peers
// talk at once, it comes in two waves, and a client that was there before must not notice.
describe("connection storm: 5 x maxConn connections at once, each sending at once", () => {
  it("serves the first maxConn, closes the rest at once, twice over; an established client is untouched; a new client is served after", async () => {
    const maxConn = 40;
    const h = await startServer({ maxConn }, (s) => s.addMsgRouter(1, echo));
    const { client: old } = await h.connectStarted();
    expect((await old.roundTrip(1, "before")).body.toString()).toBe("before");

    for (let wave = 1; wave <= 2; wave++) {
      const refusedBefore = h.refused.length;
      const t0 = performance.now();
      const storm = await Promise.all(
        Array.from({ length: maxConn * 5 }, async (_, i) => {
          const c = await RawClient.connect(h.port);
          c.send(1, `storm ${wave}.${i}`); // talks at once, served or not
          return { c, i };
        }),
      );
      // maxConn - 1 slots were free (the old client holds one).
      await h.refused.waitCount(refusedBefore + maxConn * 5 - (maxConn - 1));
      const servedPorts = new Set(h.server.connections().map((conn) => conn.remotePort));
      const served = storm.filter(({ c }) => servedPorts.has(c.localPort));
      const refused = storm.filter(({ c }) => !servedPorts.has(c.localPort));
      expect(served).toHaveLength(maxConn - 1);
      // Every refused peer is closed at once, with nothing sent to it.
      await Promise.all(refused.map(({ c }) => c.waitClose()));
      const closedWithin = performance.now() - t0;
      expect(refused.every(({ c }) => c.frames.length === 0)).toBe(true);
      // Every served peer got its own frame back; the old client never noticed.
      for (const { c, i } of served) expect((await c.waitFrames(1))[0]!.body.toString()).toBe(`storm ${wave}.${i}`);
      expect((await old.roundTrip(1, `during wave ${wave}`)).body.toString()).toBe(`during wave ${wave}`);
      expect(h.server.connectionCount).toBe(maxConn);
      console.log(`storm wave ${wave}: ${storm.length} connections, ${served.length} served, ${refused.length} closed at accept within ${closedWithin.toFixed(0)} ms`);

      // The storm leaves; its connections close; a newcomer is served.
      await Promise.all(storm.map(({ c }) => c.destroy()));
      await h.closes.waitCount((maxConn - 1) * wave);
      const { client: newcomer } = await h.connectStarted();
      expect((await newcomer.roundTrip(1, `after wave ${wave}`)).body.toString()).toBe(`after wave ${wave}`);
      await newcomer.end();
      await h.closes.waitCount((maxConn - 1) * wave + wave);
    }
    expect(h.server.stats()).toMatchObject({ current: 1, refused: 2 * (maxConn * 5 - (maxConn - 1)), total: 1 + 2 * (maxConn - 1) + 2 });
    expect(h.starts.length).toBe(h.server.stats().total);
    expect((await old.roundTrip(1, "after")).body.toString()).toBe("after");
    expect(h.errors.items).toEqual([]);
  });
});
