import { afterEach, describe, expect, it } from "vitest";
import { Program, RawClient } from "../../_shared/test-helpers.js";

const running: Program[] = [];
const clients: RawClient[] = [];

function start(script: string, ...args: string[]): Program {
  const p = new Program(new URL(`../${script}`, import.meta.url), args);
  running.push(p);
  return p;
}

afterEach(() => {
  for (const c of clients.splice(0)) c.close();
  for (const p of running.splice(0)) p.kill();
});

const PUSH = /^push #(\d+) from worker pid (\d+) \((\d+) connections here\)$/;

/** The next push a client receives: [counter, worker pid, connections of that worker]. */
async function nextPush(c: RawClient): Promise<[number, number, number]> {
  const text = (await c.take(200)).body.toString();
  const m = PUSH.exec(text);
  if (m === null) throw new Error(`not a push: ${text}`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}

describe("tasks example", () => {
  it("a timer in the primary sends a task to both workers; each pushes msgid 200 to every connection it holds", async () => {
    const server = start("server.mjs", "--port", "0", "--workers", "2", "--interval", "50");
    const port = await server.port();
    for (let i = 0; i < 4; i++) clients.push(await RawClient.connect(port));

    const pids = new Set<number>();
    for (const c of clients) {
      const [n1, pid, held] = await nextPush(c);
      const [n2, pid2] = await nextPush(c);
      expect(n2).toBeGreaterThan(n1); // the primary's counter, one task per tick
      expect(pid2).toBe(pid); // a connection stays with its worker
      expect(held).toBeGreaterThanOrEqual(1);
      pids.add(pid);
    }
    expect(pids.size).toBe(2); // the task reached both workers, each pushing to its own connections
    expect(pids.has(server.child.pid!)).toBe(false);
    expect(await server.stop()).toBe(0);
  });

  it("client.mjs prints the pushes of every connection and exits 0", async () => {
    const server = start("server.mjs", "--port", "0", "--interval", "50");
    const port = await server.port();
    const client = start("client.mjs", "--port", String(port), "--conns", "3", "--pushes", "2");
    expect(await client.exit()).toBe(0);
    for (const i of [1, 2, 3]) {
      expect(client.lines.filter((l) => l.startsWith(`conn ${i}: push #`)).length).toBeGreaterThanOrEqual(2);
    }
    expect(await server.stop()).toBe(0);
  });

  it("with --workers 0 the same task runs on the single process's loop", async () => {
    const server = start("server.mjs", "--port", "0", "--workers", "0", "--interval", "50");
    const c = await RawClient.connect(await server.port());
    clients.push(c);
    const [, pid, held] = await nextPush(c);
    expect(pid).toBe(server.child.pid);
    expect(held).toBe(1);
    expect(await server.stop()).toBe(0);
  });

  it("rejects bad flags with usage and exit code 2", async () => {
    for (const args of [["--interval", "0"], ["--workers", "two"], ["--what"]]) {
      const p = start("server.mjs", ...args);
      expect(await p.exit()).toBe(2);
      expect(p.stderr).toContain("usage: node server.mjs");
    }
  });
});
