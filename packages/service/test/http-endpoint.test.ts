import { afterEach, describe, expect, it } from "vitest";
import { Counter } from "prom-client";
import { Registry, registerStatsGauges, startHttpEndpoint, type HttpEndpoint } from "../src/index.js";

let endpoint: HttpEndpoint | undefined;
afterEach(async () => {
  await endpoint?.close();
  endpoint = undefined;
});

describe("startHttpEndpoint", () => {
  it("serves /metrics, /status and /healthz on 127.0.0.1", async () => {
    const registry = new Registry();
    const counter = new Counter({ name: "lars_test_total", help: "test", registers: [registry] });
    counter.inc(3);
    let queries = 7;
    registerStatsGauges(registry, "lars_dns", ["queries", "routeCount"], () => ({ queries, routeCount: 2 }));
    endpoint = await startHttpEndpoint({ port: 0, registry, status: () => ({ service: "dns", up: true }) });
    expect(endpoint.host).toBe("127.0.0.1");
    const base = `http://127.0.0.1:${endpoint.port}`;
    queries = 9;
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain("lars_test_total 3");
    expect(metrics).toContain("lars_dns_queries 9");
    expect(metrics).toContain("lars_dns_route_count 2");
    expect(await (await fetch(`${base}/status`)).json()).toEqual({ service: "dns", up: true });
    expect(await (await fetch(`${base}/healthz`)).text()).toBe("ok\n");
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: "POST" })).status).toBe(405);
  });

  it("answers 500 when status() throws, and keeps serving", async () => {
    endpoint = await startHttpEndpoint({ port: 0, registry: new Registry(), status: () => { throw new Error("boom"); } });
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/status`);
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("boom");
    expect((await fetch(`http://127.0.0.1:${endpoint.port}/healthz`)).status).toBe(200);
  });
});
