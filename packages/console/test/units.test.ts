import { describe, expect, it } from "vitest";
import { LarsConfig } from "@lars/config";
import { LoginThrottle, parseCookies, safeEqual, sessionCookie, SessionStore } from "../src/auth.js";
import { FormError, parseHostList, parseId, parseIp, parsePort } from "../src/forms.js";
import { esc, scriptJson } from "../src/html.js";
import { flattenScalars, healthFromStatus, parseAgentRoutes, redactUrl } from "../src/status-poller.js";
import { consoleOptionsFromConfig, DEFAULT_SERVICES, parseServicesList } from "../src/index.js";

describe("auth helpers", () => {
  it("safeEqual compares whole strings", () => {
    expect(safeEqual("secret", "secret")).toBe(true);
    expect(safeEqual("secret", "secreT")).toBe(false);
    expect(safeEqual("secret", "secret2")).toBe(false);
    expect(safeEqual("", "x")).toBe(false);
  });

  it("sessions expire when idle or old, and the store is bounded (least recently used dropped)", () => {
    let now = 1_000_000;
    const s = new SessionStore({ idleMs: 100, maxMs: 1000, max: 2, now: () => now });
    const a = s.create();
    const b = s.create();
    expect(a.id).not.toBe(b.id);
    expect(a.csrf).not.toBe(a.id);
    now += 50;
    expect(s.get(a.id)).toBe(a); // a is now the most recently used
    const c = s.create(); // drops b
    expect(s.size).toBe(2);
    expect(s.get(b.id)).toBeUndefined();
    expect(s.get(c.id)).toBe(c);
    now += 101;
    expect(s.has(a.id)).toBe(false);
    expect(s.get(a.id)).toBeUndefined();
    const d = s.create();
    for (let i = 0; i < 11; i++) {
      now += 90;
      expect(s.get(d.id)).toBe(d);
    }
    now += 20;
    expect(s.get(d.id)).toBeUndefined(); // past maxMs although never idle
  });

  it("parses cookies and writes the session cookie with its flags", () => {
    expect(parseCookies("a=1; lars_console_sid=abc; a=2; b=%41; bad")).toEqual(
      new Map([
        ["a", "1"],
        ["lars_console_sid", "abc"],
        ["b", "A"],
      ]),
    );
    expect(sessionCookie("n", "v", { maxAgeSeconds: 60, secure: false })).toBe("n=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=60");
    expect(sessionCookie("n", "v", { maxAgeSeconds: 60, secure: true })).toMatch(/; Secure$/);
  });

  it("the login throttle blocks after max failures within the window", () => {
    let now = 0;
    const t = new LoginThrottle(3, 1000, 2, () => now);
    for (let i = 0; i < 3; i++) t.fail("a");
    expect(t.blocked("a")).toBe(true);
    expect(t.blocked("b")).toBe(false);
    now = 1001;
    expect(t.blocked("a")).toBe(false);
    t.fail("a");
    t.succeed("a");
    expect(t.blocked("a")).toBe(false);
  });
});

describe("form fields", () => {
  it("ids, ports, addresses and host lists", () => {
    expect(parseId("modid", "42")).toBe(42);
    expect(parseId("modid", "-2147483648")).toBe(-2147483648);
    for (const bad of ["", "1e3", "0x10", "2147483648", " 1", "1.0"]) expect(() => parseId("modid", bad), bad).toThrow(FormError);
    expect(parsePort("65535")).toBe(65535);
    for (const bad of ["0", "65536", "-1", "80a", ""]) expect(() => parsePort(bad), bad).toThrow(FormError);
    expect(parseIp("192.168.1.177")).toBe(-1062731343);
    expect(() => parseIp("1.2.3")).toThrow(/IPv4/);
    expect(parseHostList("")).toEqual([]);
    expect(parseHostList("1.2.3.4:5,\n 1.2.3.4:6")).toEqual([
      { ip: 16909060, port: 5 },
      { ip: 16909060, port: 6 },
    ]);
    expect(() => parseHostList("1.2.3.4")).toThrow(/IP:PORT/);
  });
});

describe("html", () => {
  it("escapes text and JSON in script tags", () => {
    expect(esc(`<a href="x">'&`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;");
    expect(scriptJson({ s: "</script><!--" })).not.toMatch(/<|>/);
    expect(JSON.parse(scriptJson({ s: "</script>&" }))).toEqual({ s: "</script>&" });
  });
});

describe("status parsing", () => {
  it("keeps well-formed agent routes, drops the rest, flattens stats and redacts URLs", () => {
    const routes = parseAgentRoutes([{ modid: 2, cmdid: 1, hosts: [{ ip: "1.1.1.1", port: 1, state: "overload", vsucc: 3 }, { port: 2 }] }, { modid: "x" }, null, { modid: 1, cmdid: 1 }]);
    expect(routes.map((r) => `${r.modid}:${r.cmdid}`)).toEqual(["1:1", "2:1"]);
    expect(routes[1]!.hosts).toEqual([{ ip: "1.1.1.1", port: 1, state: "overload", vsucc: 3, verr: 0, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, picks: 0, probes: 0 }]);
    expect(flattenScalars({ a: 1, b: { c: "x", d: [1] }, e: null })).toEqual({ a: 1, "b.c": "x" });
    expect(redactUrl("http://u:p@h:1/status")).toBe("http://h:1/status");
    const h = healthFromStatus({ name: "r", kind: "reporter", statusUrl: "http://h/status" }, { service: "reporter", version: "1.2.3", pid: 9, uptimeSeconds: 5, stats: { received: 3 }, queued: 1 }, 7);
    expect(h).toEqual({ name: "r", kind: "reporter", statusUrl: "http://h/status", up: true, checkedAt: 7, version: "1.2.3", pid: 9, uptimeSeconds: 5, stats: { received: 3, queued: 1 } });
  });
});

describe("config file", () => {
  it("reads [console]", () => {
    const c = LarsConfig.parse("[console]\nip = 0.0.0.0\nport = 9090\ntoken = abc\nservices = dns=http://127.0.0.1:1/status, agent=http://h:2/status agent:edge=http://h:3/status agent=http://h:4/status\npoll_ms = 250\n", "c.conf");
    expect(consoleOptionsFromConfig(c)).toEqual({
      host: "0.0.0.0",
      port: 9090,
      auth: { token: "abc" },
      services: [
        { name: "dns", kind: "dns", statusUrl: "http://127.0.0.1:1/status" },
        { name: "agent", kind: "agent", statusUrl: "http://h:2/status" },
        { name: "edge", kind: "agent", statusUrl: "http://h:3/status" },
        { name: "agent-2", kind: "agent", statusUrl: "http://h:4/status" },
      ],
      pollMs: 250,
      secureCookie: false,
    });
    const d = consoleOptionsFromConfig(LarsConfig.parse("[console]\npassword = pw\n", "d.conf"));
    expect(d).toMatchObject({ host: "127.0.0.1", port: 8080, auth: { password: "pw" }, services: DEFAULT_SERVICES });
    expect(() => consoleOptionsFromConfig(LarsConfig.parse("[console]\nport = 1\n", "e.conf"))).toThrow(/needs password or token/);
    expect(() => parseServicesList(["mysql=http://x"])).toThrow(/KIND=URL/);
    expect(() => parseServicesList(["agent:a=http://x", "dns:a=http://y"])).toThrow(/two services/);
  });
});
