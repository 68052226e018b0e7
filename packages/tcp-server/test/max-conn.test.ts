import { afterEach, describe, expect, it } from "vitest";
import { connectMany } from "./helpers/raw-client.js";
import { echo, startServer, teardownAll } from "./helpers/harness.js";

afterEach(teardownAll);

describe("maxConn", () => {
  it("closes the connection past maxConn at once, counts it, and never shows it to the user hooks", async () => {
    const maxConn = 3;
    const h = await startServer({ maxConn }, (s) => s.addMsgRouter(1, echo));
    const first: Awaited<ReturnType<typeof h.connectStarted>>[] = [];
    for (let i = 0; i < maxConn; i++) first.push(await h.connectStarted());
    expect(h.server.connectionCount).toBe(maxConn);

    const extra = await h.connect();
    await extra.waitClose();
    // The peer saw the close without sending anything; nothing was ever sent to it.
    expect(extra.frames).toEqual([]);
    const [refusal] = await h.refused.waitCount(1);
    expect(refusal!.remotePort).toBe(extra.localPort);
    expect(refusal!.remoteAddress).toMatch(/127\.0\.0\.1$/);

    const stats = h.server.stats();
    expect(stats.refused).toBe(1);
    expect(stats.current).toBe(maxConn);
    expect(stats.total).toBe(maxConn);
    expect(h.starts.length).toBe(maxConn);
    expect(h.closes.length).toBe(0);

    // The first ones still work.
    for (const { client } of first) expect((await client.roundTrip(1, "hi")).body.toString()).toBe("hi");

    // One leaves; a new client is then accepted and served.
    await first[0]!.client.end();
    await h.closes.waitFind((e) => e.conn === first[0]!.conn);
    const { client: late, conn: lateConn } = await h.connectStarted();
    expect((await late.roundTrip(1, "late")).body.toString()).toBe("late");
    expect(lateConn.closed).toBe(false);
    expect(h.server.stats()).toMatchObject({ current: maxConn, total: maxConn + 1, refused: 1 });
  });

  it("survives a storm of several times maxConn connections: serves maxConn, refuses the rest", async () => {
    const maxConn = 4;
    const h = await startServer({ maxConn }, (s) => s.addMsgRouter(1, echo));
    const clients = await connectMany(h.port, maxConn * 5);

    await h.refused.waitCount(maxConn * 4);
    const servedPorts = new Set(h.server.connections().map((conn) => conn.remotePort));
    const served = clients.filter((c) => servedPorts.has(c.localPort));
    const refused = clients.filter((c) => !servedPorts.has(c.localPort));
    expect(served.length).toBe(maxConn);
    // Every refused peer sees its connection closed.
    await Promise.all(refused.map((c) => c.waitClose()));
    expect(refused.length).toBe(maxConn * 4);
    expect(new Set(h.refused.items.map((r) => r.remotePort))).toEqual(new Set(refused.map((c) => c.localPort)));

    expect(h.server.stats()).toMatchObject({ current: maxConn, total: maxConn, refused: maxConn * 4 });
    for (const c of served) expect((await c.roundTrip(1, "x")).body.toString()).toBe("x");
    await Promise.all(clients.map((c) => c.destroy()));
  });
});
