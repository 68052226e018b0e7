import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ipToInt32 } from "@lars/proto";
import type { LarsStore } from "@lars/store";
import { ConsoleConfigError, SESSION_COOKIE, startConsole, type LarsConsole } from "../src/index.js";
import { agentStatus, closedStatusUrl, fakeStatusServer, login, PASSWORD, post, sseReader, tempStore, TOKEN } from "./helpers.js";

let store: LarsStore;
let cleanup: () => Promise<void>;
let con: LarsConsole;
let base: string;

beforeEach(async () => {
  ({ store, cleanup } = await tempStore());
  con = await startConsole({ port: 0, store, auth: { password: PASSWORD, token: TOKEN } });
  base = con.url;
});
afterEach(async () => {
  await con.close();
  await cleanup();
});

const H1 = { ip: ipToInt32("10.0.0.1"), port: 8001 };

describe("options", () => {
  it("refuses to start without a password or token", async () => {
    await expect(startConsole({ port: 0, store, auth: {} })).rejects.toBeInstanceOf(ConsoleConfigError);
    await expect(startConsole({ port: 0, store, auth: { password: "" } })).rejects.toMatchObject({ code: "LARS_CONSOLE_CONFIG" });
    await expect(startConsole({ port: 0, store, auth: { token: "x" }, services: [{ name: "a", kind: "agent", statusUrl: "ftp://x" }] })).rejects.toMatchObject({
      code: "LARS_CONSOLE_CONFIG",
    });
  });

  it("binds 127.0.0.1 by default and serves /healthz without a login", async () => {
    expect(con.url).toBe(`http://127.0.0.1:${con.port}`);
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  it("serves Prometheus /metrics without a login: sessions, event streams, each service's up, no secret", async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/^lars_console_sessions \d+$/m);
    expect(text).toMatch(/^lars_console_event_streams \d+$/m);
    expect(text).toMatch(/^lars_console_process_cpu_seconds_total /m);
    expect(text).not.toContain(PASSWORD);
  });
});

describe("login and sessions", () => {
  it("pages need a login: GET redirects to /login, which serves the form with security headers", async () => {
    const res = await fetch(`${base}/routes?modid=1`, { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe(`/login?next=${encodeURIComponent("/routes?modid=1")}`);
    const page = await fetch(`${base}/login`);
    expect(page.status).toBe(200);
    const text = await page.text();
    expect(text).toContain('name="secret"');
    expect(text).not.toContain(PASSWORD);
    expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    for (const p of ["/live", "/services", "/history", "/events", "/api/status"]) {
      expect((await fetch(`${base}${p}`, { redirect: "manual" })).status, p).toBe(303);
    }
  });

  it("a wrong password gets 401 and no cookie; the right one a fresh random session cookie HttpOnly, SameSite=Strict, Path=/", async () => {
    const bad = await post(base, "/login", { secret: "wrong" });
    expect(bad.status).toBe(401);
    expect(bad.headers.get("set-cookie")).toBeNull();
    expect(await bad.text()).toContain("Wrong password or token");

    const a = await login(base);
    const b = await login(base, TOKEN); // the token logs in too
    const attrs = a.setCookie.split(";").map((s) => s.trim());
    expect(attrs[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}$`));
    expect(attrs).toContain("HttpOnly");
    expect(attrs).toContain("SameSite=Strict");
    expect(attrs).toContain("Path=/");
    expect(a.cookie).not.toBe(b.cookie);
    expect(a.csrf).not.toBe(b.csrf);
    const page = await fetch(`${base}/routes`, { headers: { cookie: a.cookie } });
    expect(page.status).toBe(200);
  });

  it("logout ends the session, and the event streams it opened", async () => {
    const s = await login(base);
    const events = sseReader(await fetch(`${base}/events`, { headers: { cookie: s.cookie } }));
    await events.next((e) => e.event === "status");
    const out = await post(base, "/logout", { csrf: s.csrf }, s.cookie);
    await expect(events.next(() => false)).rejects.toThrow(/ended|terminated/);
    expect(out.status).toBe(303);
    expect(out.headers.get("set-cookie")).toContain("Max-Age=0");
    expect((await fetch(`${base}/routes`, { headers: { cookie: s.cookie }, redirect: "manual" })).status).toBe(303);
  });

  it("throttles repeated failed logins", async () => {
    for (let i = 0; i < 10; i++) expect((await post(base, "/login", { secret: `guess-${i}` })).status).toBe(401);
    expect((await post(base, "/login", { secret: PASSWORD })).status).toBe(429);
  });
});

describe("writes", () => {
  it("a POST without a session gets 401 and changes nothing", async () => {
    const res = await post(base, "/routes/add-host", { modid: "1", cmdid: "1", ip: "10.0.0.1", port: "8001", csrf: "x" });
    expect(res.status).toBe(401);
    expect(await store.listRoutes()).toEqual([]);
    await store.addHost(1, 1, H1);
    expect((await post(base, "/routes/delete", { modid: "1", cmdid: "1" })).status).toBe(401);
    expect((await post(base, "/routes/delete", { modid: "1", cmdid: "1" }, `${SESSION_COOKIE}=forged`)).status).toBe(401);
    expect(await store.listRoutes()).toHaveLength(1);
  });

  it("a wrong or missing CSRF token gets 403 and changes nothing", async () => {
    const s = await login(base);
    const other = await login(base);
    const values = { modid: "1", cmdid: "1", ip: "10.0.0.1", port: "8001" };
    expect((await post(base, "/routes/add-host", { ...values, csrf: "nope" }, s.cookie)).status).toBe(403);
    expect((await post(base, "/routes/add-host", values, s.cookie)).status).toBe(403);
    expect((await post(base, "/routes/add-host", { ...values, csrf: other.csrf }, s.cookie)).status).toBe(403); // another session's token
    expect(await store.listRoutes()).toEqual([]);
  });

  it("a cross-origin POST is refused even with a valid session and token", async () => {
    const s = await login(base);
    const res = await post(base, "/routes/add-host", { modid: "1", cmdid: "1", ip: "10.0.0.1", port: "8001", csrf: s.csrf }, s.cookie, { origin: "http://evil.example" });
    expect(res.status).toBe(403);
    expect(await store.listRoutes()).toEqual([]);
  });

  it("bad input gets 400 with a clear message and changes nothing", async () => {
    const s = await login(base);
    const cases: [Record<string, string>, RegExp][] = [
      [{ modid: "abc", cmdid: "1", ip: "10.0.0.1", port: "8001" }, /modid must be an integer/],
      [{ modid: "1.5", cmdid: "1", ip: "10.0.0.1", port: "8001" }, /modid must be an integer/],
      [{ modid: "1", cmdid: "99999999999", ip: "10.0.0.1", port: "8001" }, /cmdid must be an integer/],
      [{ modid: "1", cmdid: "1", ip: "300.0.0.1", port: "8001" }, /ip must be an IPv4 address/],
      [{ modid: "1", cmdid: "1", ip: "10.0.0.1", port: "0" }, /port must be an integer from 1 to 65535/],
      [{ modid: "1", cmdid: "1", ip: "10.0.0.1", port: "65536" }, /port must be an integer from 1 to 65535/],
      [{ modid: "1", cmdid: "1", ip: "<script>", port: "1" }, /ip must be an IPv4 address/],
    ];
    for (const [values, message] of cases) {
      const res = await post(base, "/routes/add-host", { ...values, csrf: s.csrf }, s.cookie);
      expect(res.status, JSON.stringify(values)).toBe(400);
      const text = await res.text();
      expect(text).toMatch(message);
      expect(text).toContain("Nothing changed");
      expect(text).not.toContain("<script>");
    }
    await store.addHost(2, 2, H1);
    const bad = await post(base, "/routes/replace-hosts", { modid: "2", cmdid: "2", hosts: "10.0.0.9:80\n10.0.0.10", csrf: s.csrf }, s.cookie);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/IP:PORT/);
    expect((await post(base, "/routes/delete", { modid: "x", cmdid: "2", csrf: s.csrf }, s.cookie)).status).toBe(400);
    expect(await store.listRoutes()).toEqual([{ modid: 2, cmdid: 2, hosts: [H1] }]);
    // a bad search filter too
    const search = await fetch(`${base}/routes?modid=zz`, { headers: { cookie: s.cookie } });
    expect(search.status).toBe(400);
    expect(await search.text()).toMatch(/modid must be an integer/);
  });

  it("add host works and appears in the list; search, remove, replace, delete", async () => {
    const s = await login(base);
    const res = await post(base, "/routes/add-host", { modid: "7", cmdid: "3", ip: "192.168.1.177", port: "7777", csrf: s.csrf }, s.cookie);
    expect(res.status).toBe(303);
    expect(await store.listRoutes()).toEqual([{ modid: 7, cmdid: 3, hosts: [{ ip: -1062731343, port: 7777 }] }]);
    const page = await (await fetch(`${base}${res.headers.get("location")!}`, { headers: { cookie: s.cookie } })).text();
    expect(page).toContain('data-route="7:3"');
    expect(page).toContain('data-host="192.168.1.177:7777"');
    expect(page).toMatch(/added 192\.168\.1\.177:7777 to route 7:3 \(route version \d+\)/);
    // the flash is shown once
    expect(await (await fetch(`${base}/routes`, { headers: { cookie: s.cookie } })).text()).not.toContain("added 192.168.1.177");

    await store.addHost(8, 1, H1);
    const searched = await (await fetch(`${base}/routes?modid=8`, { headers: { cookie: s.cookie } })).text();
    expect(searched).toContain('data-route="8:1"');
    expect(searched).not.toContain('data-route="7:3"');
    const byCmd = await (await fetch(`${base}/routes?modid=7&cmdid=4`, { headers: { cookie: s.cookie } })).text();
    expect(byCmd).toContain("No routes match");

    expect((await post(base, "/routes/add-host", { modid: "7", cmdid: "3", ip: "192.168.1.177", port: "7777", csrf: s.csrf }, s.cookie)).status).toBe(303);
    expect(await (await fetch(`${base}/routes`, { headers: { cookie: s.cookie } })).text()).toContain("already serves 7:3; nothing changed");

    expect((await post(base, "/routes/replace-hosts", { modid: "7", cmdid: "3", hosts: "10.0.0.2:1, 10.0.0.1:2\n10.0.0.1:1", csrf: s.csrf }, s.cookie)).status).toBe(303);
    expect((await store.listRoutes({ modid: 7 }))[0]!.hosts).toEqual([
      { ip: ipToInt32("10.0.0.1"), port: 1 },
      { ip: ipToInt32("10.0.0.1"), port: 2 },
      { ip: ipToInt32("10.0.0.2"), port: 1 },
    ]);
    expect((await post(base, "/routes/remove-host", { modid: "7", cmdid: "3", ip: "10.0.0.1", port: "2", csrf: s.csrf }, s.cookie)).status).toBe(303);
    expect((await store.listRoutes({ modid: 7 }))[0]!.hosts).toHaveLength(2);
    expect((await post(base, "/routes/delete", { modid: "7", cmdid: "3", csrf: s.csrf }, s.cookie)).status).toBe(303);
    expect(await store.listRoutes({ modid: 7 })).toEqual([]);
  });

  it("a script may write with the bearer token (no cookie, no CSRF); a wrong token is refused", async () => {
    const values = { modid: "5", cmdid: "5", ip: "10.0.0.5", port: "55" };
    expect((await post(base, "/routes/add-host", values, undefined, { authorization: "Bearer wrong" })).status).toBe(401);
    const ok = await post(base, "/routes/add-host", values, undefined, { authorization: `Bearer ${TOKEN}`, accept: "application/json" });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true });
    expect(await store.listRoutes({ modid: 5 })).toHaveLength(1);
  });
});

describe("failures", () => {
  it("a store that fails gives 503 with the error code, logged, without a stack on the page", async () => {
    const logged: { obj: object; msg?: string }[] = [];
    const log = (obj: object, msg?: string) => void logged.push({ obj, msg });
    const other = await tempStore();
    const c = await startConsole({ port: 0, store: other.store, auth: { password: PASSWORD }, logger: { info: log, warn: log, error: log } });
    try {
      const s = await login(c.url);
      await other.store.close();
      const res = await fetch(`${c.url}/routes`, { headers: { cookie: s.cookie } });
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).toContain("The database is unavailable (LARS_STORE_CLOSED)");
      expect(text).not.toMatch(/at .*\.ts:\d+/);
      const write = await post(c.url, "/routes/add-host", { modid: "1", cmdid: "1", ip: "10.0.0.1", port: "1", csrf: s.csrf }, s.cookie);
      expect(write.status).toBe(503);
      expect(logged.some((l) => l.msg === "console: request failed")).toBe(true);
      expect(JSON.stringify(logged)).not.toContain(PASSWORD);
      expect((await fetch(`${c.url}/events`, { method: "HEAD", headers: { cookie: s.cookie } })).status).toBe(404);
    } finally {
      await c.close();
      await other.cleanup();
    }
  });
});

describe("listing", () => {
  it("lists at most 500 routes on a page and says how to find the others", async () => {
    for (let i = 1; i <= 501; i++) await store.addHost(i, 1, H1);
    const s = await login(base);
    const page = await (await fetch(`${base}/routes`, { headers: { cookie: s.cookie } })).text();
    expect(page).toContain("501 routes");
    expect(page).toContain("the first 500 shown");
    expect(page).toContain('data-route="500:1"');
    expect(page).not.toContain('data-route="501:1"');
    expect(await (await fetch(`${base}/routes?modid=501`, { headers: { cookie: s.cookie } })).text()).toContain('data-route="501:1"');
  });
});

describe("history and assets", () => {
  it("shows call history for the uPlot charts and the call status", async () => {
    const now = Math.floor(Date.now() / 1000);
    await store.insertCallHistory([
      { modid: 1, cmdid: 1, ip: H1.ip, port: H1.port, windowStart: now - 120, succ: 10, err: 1, overload: false },
      { modid: 1, cmdid: 1, ip: H1.ip, port: H1.port, windowStart: now - 60, succ: 4, err: 9, overload: true },
      { modid: 1, cmdid: 1, ip: H1.ip, port: H1.port, windowStart: now - 7200, succ: 99, err: 0, overload: false },
    ]);
    await store.upsertCallStatus([{ modid: 1, cmdid: 1, ip: H1.ip, port: H1.port, caller: ipToInt32("10.9.9.9"), succCnt: 4, errCnt: 9, ts: now, overload: true }]);
    const s = await login(base);
    const res = await fetch(`${base}/history?modid=1&cmdid=1&minutes=60`, { headers: { cookie: s.cookie } });
    expect(res.status).toBe(200);
    const page = await res.text();
    const json = /<script type="application\/json" id="history-data">(.*?)<\/script>/.exec(page)?.[1];
    expect(JSON.parse(json!)).toEqual({ x: [now - 120, now - 60], hosts: [{ label: "10.0.0.1:8001", succ: [10, 4], err: [1, 9], overload: 1 }] });
    expect(page).toContain('src="/assets/uplot.iife.min.js"');
    expect(page).toContain("10.9.9.9");
    expect((await fetch(`${base}/history?modid=1&cmdid=q`, { headers: { cookie: s.cookie } })).status).toBe(400);

    const js = await fetch(`${base}/assets/uplot.iife.min.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toContain("javascript");
    expect(await js.text()).toContain("uPlot");
    expect((await fetch(`${base}/assets/uplot.min.css`)).status).toBe(200);
    expect((await fetch(`${base}/assets/console.js`)).status).toBe(200);
  });
});

describe("live state over server-sent events", () => {
  it("/events sends the agent's host state, and a new event when its /status changes", async () => {
    const agent = await fakeStatusServer(agentStatus([{ ip: "10.0.0.1", port: 8001, state: "idle" }]));
    const dns = await fakeStatusServer({ service: "dns", version: "0.1.0", pid: 1, uptimeSeconds: 3725, routes: 2, subscribers: 1, stats: { queries: 5 } });
    const live = await startConsole({
      port: 0,
      store,
      auth: { password: PASSWORD },
      pollMs: 50,
      services: [
        { name: "agent-a", kind: "agent", statusUrl: agent.url },
        { name: "dns", kind: "dns", statusUrl: dns.url },
        { name: "gone", kind: "reporter", statusUrl: await closedStatusUrl() },
      ],
    });
    try {
      const s = await login(live.url);
      const res = await fetch(`${live.url}/events`, { headers: { cookie: s.cookie } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain("text/event-stream");
      const events = sseReader(res);
      type Msg = { services?: unknown; html: { live?: string; services?: string } };
      const idle = await events.next((e) => e.event === "status" && ((JSON.parse(e.data) as Msg).html.live ?? "").includes('data-state="idle"'));
      const first = JSON.parse(idle.data) as Msg;
      // The raw snapshots stay at /api/status: an event carries the rendered fragments only.
      expect(first.services).toBeUndefined();
      expect(first.html.live).toContain('data-host="1:1 10.0.0.1:8001" data-state="idle"');
      expect(first.html.services).toMatch(/data-service="dns" data-up="true"/);

      // A stream asking for one view gets only that fragment.
      const liveOnly = sseReader(await fetch(`${live.url}/events?view=live`, { headers: { cookie: s.cookie } }));
      const lo = JSON.parse((await liveOnly.next((e) => e.event === "status")).data) as Msg;
      expect(lo.html.live).toContain("data-host=");
      expect(lo.html.services).toBeUndefined();

      agent.set(agentStatus([{ ip: "10.0.0.1", port: 8001, state: "overload", verr: 7 }]));
      const over = await events.next((e) => e.event === "status" && ((JSON.parse(e.data) as Msg).html.live ?? "").includes('data-state="overload"'));
      expect((JSON.parse(over.data) as Msg).html.live).toContain('data-host="1:1 10.0.0.1:8001" data-state="overload"');
      const loOver = JSON.parse((await liveOnly.next((e) => e.event === "status" && e.data.includes("overload"))).data) as Msg;
      expect(loOver.html.services).toBeUndefined();
      await liveOnly.cancel();
      await events.cancel();

      const health = await (await fetch(`${live.url}/services`, { headers: { cookie: s.cookie } })).text();
      expect(health).toMatch(/data-service="dns" data-up="true"/);
      expect(health).toContain("1h 2m 5s");
      expect(health).toMatch(/<b>subscribers<\/b> 1/);
      expect(health).toMatch(/<b>queries<\/b> 5/);
      expect(health).toMatch(/data-service="gone" data-up="false"/);
      const livePage = await (await fetch(`${live.url}/live`, { headers: { cookie: s.cookie } })).text();
      expect(livePage).toContain('data-state="overload"');
    } finally {
      await live.close();
      await agent.close();
      await dns.close();
    }
  });

  it("close() ends open event streams", async () => {
    const s = await login(base);
    const res = await fetch(`${base}/events`, { headers: { cookie: s.cookie } });
    const events = sseReader(res);
    await events.next((e) => e.event === "status");
    await con.close();
    await expect(events.next(() => false)).rejects.toThrow(/ended|terminated/);
  });
});
