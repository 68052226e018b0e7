import { afterEach, describe, expect, it } from "vitest";
import { encodeFrame } from "@lars/codec";
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

interface Summary {
  qps: number;
  total: number;
  seconds: number;
  conns: number;
  depth: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  per_conn: number[];
  wrong_replies: number;
}

/** Runs the client with --json and returns its last stdout line, parsed. */
async function measure(port: number, conns: number, depth: number): Promise<Summary> {
  const client = start("client.mjs", "--port", String(port), "--conns", String(conns), "--depth", String(depth), "--seconds", "1", "--json");
  expect(await client.exit()).toBe(0);
  expect(client.lines).toHaveLength(1); // --json: stdout is the summary alone (live lines go to stderr)
  return JSON.parse(client.lines.at(-1)!) as Summary;
}

function checkSummary(s: Summary, conns: number, depth: number): void {
  expect(s.conns).toBe(conns);
  expect(s.depth).toBe(depth);
  expect(s.qps).toBeGreaterThan(0);
  expect(s.total).toBeGreaterThan(0);
  expect(s.per_conn).toHaveLength(conns);
  expect(s.per_conn.reduce((a, b) => a + b, 0)).toBe(s.total);
  for (const n of s.per_conn) expect(n).toBeGreaterThan(0); // every connection kept ping-ponging
  expect(s.seconds).toBeGreaterThan(0.9);
  expect(Math.abs(s.qps - s.total / s.seconds) / s.qps).toBeLessThan(0.01);
  expect(s.p50_us).toBeGreaterThan(0);
  expect(s.p50_us).toBeLessThanOrEqual(s.p90_us);
  expect(s.p90_us).toBeLessThanOrEqual(s.p99_us);
  expect(s.p99_us).toBeLessThanOrEqual(s.max_us);
  expect(s.wrong_replies).toBe(0);
}

describe("qps example", () => {
  it("server + client: ping-pong and pipelined runs report qps, counts and latency percentiles", async () => {
    const server = start("server.mjs", "--port", "0");
    const port = await server.port();
    checkSummary(await measure(port, 2, 1), 2, 1);
    checkSummary(await measure(port, 3, 8), 3, 8);
    expect(await server.stop()).toBe(0);
  });

  it("server with --workers 2 serves the client and stops with exit 0", async () => {
    const server = start("server.mjs", "--port", "0", "--workers", "2");
    const port = await server.port();
    checkSummary(await measure(port, 4, 2), 4, 2);
    expect(await server.stop()).toBe(0);
  });

  it("is wire-compatible with the C++ QPS test: same frame, msgid 1, same protobuf bytes", async () => {
    const server = start("server.mjs", "--port", "0");
    const c = await RawClient.connect(await server.port());
    clients.push(c);
    // qps_test.EchoMessage { content: "Hello Lars!!!", id: 1 } as the C++ client serializes it,
    // and id 2 and id 300 (a two-byte varint); sent in one write, echoed in order.
    const bodies = ["0a0d48656c6c6f204c6172732121211001", "0a0d48656c6c6f204c6172732121211002", "0a0d48656c6c6f204c61727321212110ac02"].map((h) =>
      Buffer.from(h, "hex"),
    );
    c.socket.write(Buffer.concat(bodies.map((b) => encodeFrame(1, b))));
    for (const body of bodies) expect((await c.take(1)).body).toEqual(body);
    expect(await server.stop()).toBe(0);
  });

  it("demo (npm start) runs server and client, prints the summary, exits 0 and leaves no process behind", async () => {
    const demo = start("demo.mjs", "--seconds", "2");
    expect(await demo.exit()).toBe(0);
    const out = demo.lines.join("\n");
    const pid = Number(/QPS server pid (\d+)/.exec(out)?.[1]);
    expect(out).toMatch(/\[\s+1s\]\s+[\d,]+ qps/);
    expect(out).toMatch(/--- summary ---/);
    expect(out).toMatch(/replies\s+[\d,]+ in [\d.]+ s = [\d,]+ qps \(8 conns x depth 1\)/);
    expect(out).toMatch(/latency\s+p50 [\d.]+ us\s+p90 [\d.]+ us\s+p99 [\d.]+ us\s+max [\d.]+ us/);
    expect(pid).toBeGreaterThan(0);
    expect(alive(pid)).toBe(false);
  });

  it("client: exit 1 when no server listens, exit 2 with usage on bad flags", async () => {
    const server = start("server.mjs", "--port", "0");
    const port = await server.port();
    expect(await server.stop()).toBe(0);
    const refused = start("client.mjs", "--port", String(port), "--seconds", "1");
    expect(await refused.exit()).toBe(1);
    expect(refused.stderr).toMatch(/cannot connect/);
    for (const args of [["--conns", "0"], ["--depth", "x"], ["--seconds", ""], ["--nope"]]) {
      const bad = start("client.mjs", ...args);
      expect(await bad.exit()).toBe(2);
      expect(bad.stderr).toContain("usage: node client.mjs");
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
