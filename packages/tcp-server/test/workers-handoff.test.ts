import { afterEach, describe, expect, it } from "vitest";
import { FixtureProcess } from "./helpers/fixture-process.js";
import { RawClient } from "./helpers/raw-client.js";

let primary: FixtureProcess | undefined;

afterEach(async () => {
  await primary?.kill();
  primary = undefined;
});

/** The pid in a msgid 3 reply, or "closed" if the connection closed first. */
async function pidOrClosed(client: RawClient): Promise<number | "closed"> {
  return Promise.any([client.waitFrames(1).then((f) => Number(f[0]!.body.toString())), client.waitClose().then(() => "closed" as const)]);
}

// Issue 10, defect 3: a worker that died with connections still queued for hand-off (its event
// loop blocked, so node:cluster held the sockets in the primary) left those clients connected
// forever, uncounted by maxConn, and server.close() then never finished.
describe("issue 10 defect 3: a worker dies with connections queued for hand-off", () => {
  it("closes the queued clients, counts them back, keeps serving, and still stops", async () => {
    primary = new FixtureProcess("workers-handoff");
    const { port } = (await primary.next("listening")) as unknown as { port: number };
    const first = await RawClient.connect(port);
    const victim = Number((await first.roundTrip(3, "")).body.toString());
    const second = await RawClient.connect(port);
    const survivor = Number((await second.roundTrip(3, "")).body.toString());
    expect(survivor).not.toBe(victim);

    // Block the victim's loop (it would answer "unblocked" after 20 s; it is killed long before).
    first.send(6, "20000");
    // Round-robin over two workers: `first` went to the victim and `second` to the survivor, so
    // the even ones of these are handed to the blocked victim (and queue), the odd ones are served.
    const clients: RawClient[] = [];
    for (let i = 0; i < 8; i++) clients.push(await RawClient.connect(port));
    for (const c of clients) c.send(3, "");
    const queued = clients.filter((_, i) => i % 2 === 0);
    const answered = clients.filter((_, i) => i % 2 === 1);
    for (const c of answered) expect(await pidOrClosed(c)).toBe(survivor);

    const before = primary.seen;
    process.kill(victim, "SIGKILL");
    await first.waitClose();
    // Every client queued for the dead worker is closed: none is left connected and uncounted.
    for (const c of queued) expect(await pidOrClosed(c)).toBe("closed");
    const exit = await primary.next("worker-exit", before);
    expect(exit).toMatchObject({ signal: "SIGKILL", replaced: true });
    await primary.next("worker-ready", before, (e) => e.replacement === true);

    // The count is right again: the survivor's connections only.
    primary.command("stats");
    const stats = await primary.next("stats", before);
    expect(stats.current).toBe(1 + answered.length);

    primary.command("stop");
    await primary.next("stopped");
    expect(await primary.exited).toBe(0);
    for (const c of [first, second, ...clients]) await c.destroy();
  }, 60_000);
});
