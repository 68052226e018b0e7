import { LarsConfig } from "@lars/config";
import { describe, expect, it } from "vitest";
import { flattenStats, startServiceEndpoint } from "../src/index.js";

describe("startServiceEndpoint", () => {
  it("serves the service's flattened stats as lars_<service>_ gauges and a /status with its identity", async () => {
    let dropped = 3;
    const config = LarsConfig.parse("[metrics]\nport = 0\n", "test.conf");
    const endpoint = await startServiceEndpoint(config, {
      service: "reporter",
      version: "1.2.3",
      defaultPort: 9779,
      stats: () => ({ received: 10, queue: { dropped, size: 1 }, label: "x" }),
      status: () => ({ extra: true }),
    });
    try {
      expect(endpoint).toBeDefined();
      dropped = 7;
      const metrics = await (await fetch(`http://127.0.0.1:${endpoint!.port}/metrics`)).text();
      expect(metrics).toMatch(/^lars_reporter_queue_dropped 7$/m);
      expect(metrics).toMatch(/^lars_reporter_received 10$/m);
      expect(metrics).toContain("lars_reporter_process_cpu");
      const status = (await (await fetch(`http://127.0.0.1:${endpoint!.port}/status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ service: "reporter", version: "1.2.3", pid: process.pid, extra: true, stats: { received: 10 } });
    } finally {
      await endpoint?.close();
    }
  });

  it("is off with [metrics] enabled = false", async () => {
    const config = LarsConfig.parse("[metrics]\nenabled = false\n", "test.conf");
    expect(await startServiceEndpoint(config, { service: "dns", version: "0", defaultPort: 0, stats: () => ({}) })).toBeUndefined();
  });

  it("flattenStats keeps finite numbers only, nested names joined by _", () => {
    expect(flattenStats({ a: 1, b: { c: 2, d: { e: 3 } }, f: "x", g: Number.NaN, h: [1] })).toEqual({ a: 1, b_c: 2, b_d_e: 3 });
  });
});
