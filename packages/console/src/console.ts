import { readFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import formbody from "@fastify/formbody";
import Fastify, { type FastifyReply, type FastifyRequest } from "fastify";
import { CONSOLE_CSS, CONSOLE_JS, FAVICON_SVG } from "./assets.js";
import { LoginThrottle, parseCookies, safeEqual, sessionCookie, SessionStore, type Session } from "./auth.js";
import { ConsoleConfigError } from "./errors.js";
import { field, FormError, parseHostList, parseId, parseIp, parseOptionalId, parsePort, type FormBody } from "./forms.js";
import { historyPage, hostText, liveFragment, livePage, loginPage, messagePage, routesPage, servicesFragment, servicesPage } from "./html.js";
import { redactUrl, StatusPoller } from "./status-poller.js";
import { consoleMetrics } from "./metrics.js";
import type { ConsoleOptions, ConsoleService, LarsConsole } from "./types.js";

/** Name of the session cookie. */
/** Which live fragment an event stream carries (both when none is asked for). */
type SseView = "live" | "services";

/** One open `/events` stream: whose session it is, what it asked for, and what it was sent last. */
interface SseStream {
  readonly sid: string | undefined;
  readonly view: SseView | undefined;
  last: string;
}

export const SESSION_COOKIE = "lars_console_sid";
/** Default port, as the C++ larsWeb. */
export const DEFAULT_CONSOLE_PORT = 8080;
/** Open event streams kept at most; more get 503. */
const MAX_STREAMS = 256;
const HEARTBEAT_MS = 15_000;

const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cache-control": "no-store",
};

interface UplotFiles {
  readonly js: string;
  readonly css: string;
}

function loadUplot(): UplotFiles {
  const dir = dirname(createRequire(import.meta.url).resolve("uplot/package.json"));
  return { js: readFileSync(join(dir, "dist", "uPlot.iife.min.js"), "utf8"), css: readFileSync(join(dir, "dist", "uPlot.min.css"), "utf8") };
}

function checkOptions(o: ConsoleOptions): void {
  const hasPassword = typeof o.auth?.password === "string" && o.auth.password !== "";
  const hasToken = typeof o.auth?.token === "string" && o.auth.token !== "";
  if (!hasPassword && !hasToken) throw new ConsoleConfigError("the console needs auth.password or auth.token (writes must be authenticated)");
  if (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535) throw new ConsoleConfigError(`port must be an integer 0..65535, got ${String(o.port)}`);
  if (o.pollMs !== undefined && (!Number.isFinite(o.pollMs) || o.pollMs < 50)) throw new ConsoleConfigError(`pollMs must be at least 50, got ${String(o.pollMs)}`);
  const names = new Set<string>();
  for (const s of o.services ?? []) {
    if (typeof s.name !== "string" || s.name === "") throw new ConsoleConfigError("every service needs a name");
    if (names.has(s.name)) throw new ConsoleConfigError(`two services are named ${JSON.stringify(s.name)}`);
    names.add(s.name);
    if (!["dns", "reporter", "agent"].includes(s.kind)) throw new ConsoleConfigError(`service ${s.name}: kind must be dns, reporter or agent, got ${JSON.stringify(s.kind)}`);
    let url: URL;
    try {
      url = new URL(s.statusUrl);
    } catch {
      throw new ConsoleConfigError(`service ${s.name}: statusUrl is not a URL`);
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new ConsoleConfigError(`service ${s.name}: statusUrl must be http(s), got ${redactUrl(s.statusUrl)}`);
    if (url.username !== "" || url.password !== "") throw new ConsoleConfigError(`service ${s.name}: statusUrl must not hold credentials`);
  }
}

/** A relative path to go back to after logging in (nothing that leaves the console). */
function safeNext(raw: string): string {
  return raw.startsWith("/") && !raw.startsWith("//") && !raw.startsWith("/\\") && !raw.startsWith("/login") ? raw : "/routes";
}

type Auth = { readonly kind: "session"; readonly session: Session } | { readonly kind: "token" };

/**
 * Starts the Lars web console: route admin over the store, each agent's
 * live host state and each service's health from their `/status`, call
 * history charts. Every page but the login needs a logged-in session;
 * every write also its CSRF token.
 *
 * @throws {ConsoleConfigError} without a password or token, or with bad options.
 */
export async function startConsole(options: ConsoleOptions): Promise<LarsConsole> {
  checkOptions(options);
  const { store, logger } = options;
  const host = options.host ?? "127.0.0.1";
  const password = options.auth.password ?? "";
  const token = options.auth.token ?? "";
  const sessionMaxMs = options.sessionMaxMs ?? 12 * 3600_000;
  const sessions = new SessionStore({ idleMs: options.sessionIdleMs ?? 3600_000, maxMs: sessionMaxMs, max: options.maxSessions ?? 1000 });
  const throttle = new LoginThrottle();
  const services: readonly ConsoleService[] = options.services ?? [];
  const poller = new StatusPoller(services, options.pollMs ?? 1000, logger);
  const uplot = loadUplot();
  const auths = new WeakMap<FastifyRequest, Auth>();
  const streams = new Map<ServerResponse, SseStream>();
  const methods = [password !== "" ? "Password" : "", token !== "" ? "token" : ""].filter((s) => s !== "").join(" or ");

  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, forceCloseConnections: true, return503OnClosing: true });
  await app.register(formbody, { bodyLimit: 256 * 1024 });

  const csrfOf = (req: FastifyRequest): string => {
    const a = auths.get(req);
    return a?.kind === "session" ? a.session.csrf : "";
  };
  const html = (reply: FastifyReply, status: number, body: string) => reply.code(status).type("text/html; charset=utf-8").send(body);
  const takeFlash = (req: FastifyRequest): string | undefined => {
    const a = auths.get(req);
    if (a?.kind !== "session" || a.session.flash === undefined) return undefined;
    const f = a.session.flash;
    delete a.session.flash;
    return f;
  };
  const setFlash = (req: FastifyRequest, message: string) => {
    const a = auths.get(req);
    if (a?.kind === "session") a.session.flash = message;
  };

  app.addHook("onRequest", async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    const path = req.url.split("?")[0] ?? "/";
    // /metrics is public like /healthz: Prometheus scrapes without a login, and it holds counts only
    const isPublic = path === "/login" || path === "/healthz" || path === "/metrics" || path === "/favicon.ico" || path.startsWith("/assets/");
    // A cross-site form post is refused before anything else (login CSRF included).
    if (req.method === "POST") {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== "null") {
        let ok: boolean;
        try {
          ok = new URL(origin).host === req.headers.host;
        } catch {
          ok = false;
        }
        if (!ok) return html(reply, 403, messagePage("Forbidden", "cross-origin request refused"));
      } else if (origin === "null") {
        return html(reply, 403, messagePage("Forbidden", "cross-origin request refused"));
      }
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (bearer !== undefined && token !== "" && safeEqual(bearer, token)) {
      auths.set(req, { kind: "token" });
      return;
    }
    const session = sessions.get(parseCookies(req.headers.cookie).get(SESSION_COOKIE));
    if (session !== undefined) {
      auths.set(req, { kind: "session", session });
      return;
    }
    if (isPublic) return;
    if (req.method === "GET" || req.method === "HEAD") {
      return reply.code(303).header("location", `/login?next=${encodeURIComponent(req.url)}`).send();
    }
    return html(reply, 401, messagePage("Log in first", "This action needs a logged-in session: log in, then try again."));
  });

  // Every write: a logged-in session with its CSRF token (a bearer token carries no ambient credential: no CSRF needed).
  app.addHook("preHandler", async (req, reply) => {
    if (req.method !== "POST" || req.url.split("?")[0] === "/login") return;
    const a = auths.get(req);
    if (a === undefined) return html(reply, 401, messagePage("Log in first", "This action needs a logged-in session."));
    if (a.kind === "token") return;
    if (!safeEqual(field(req.body as FormBody, "csrf"), a.session.csrf)) {
      logger?.warn({ path: req.url, ip: req.ip }, "console: write refused, bad CSRF token");
      return html(reply, 403, messagePage("Forbidden", "The form's CSRF token is missing or wrong (is the page stale?). Reload the page and try again.", a.session.csrf));
    }
  });

  app.setNotFoundHandler((req, reply) => html(reply, 404, messagePage("Not found", `Nothing at ${req.url.split("?")[0]}`, csrfOf(req) || undefined)));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const storeDown = err.code === "LARS_STORE_UNAVAILABLE" || err.code === "LARS_STORE_CLOSED";
    const status = typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : err.code === "LARS_STORE_ARGUMENT" ? 400 : storeDown ? 503 : 500;
    if (status >= 500) logger?.error({ err, path: req.url.split("?")[0] }, "console: request failed");
    const message = storeDown
      ? `The database is unavailable (${err.code}); nothing changed. Try again shortly.`
      : status >= 500
        ? `The request failed (${err.code ?? err.name}); see the console's log.`
        : err.message;
    return html(reply, status, messagePage(status >= 500 ? "Error" : "Bad request", message, csrfOf(req) || undefined));
  });

  // assets
  const asset = (type: string, body: string) => (_req: FastifyRequest, reply: FastifyReply) => reply.type(type).header("cache-control", "public, max-age=3600").send(body);
  app.get("/assets/console.js", asset("text/javascript; charset=utf-8", CONSOLE_JS));
  app.get("/assets/console.css", asset("text/css; charset=utf-8", CONSOLE_CSS));
  app.get("/assets/uplot.iife.min.js", asset("text/javascript; charset=utf-8", uplot.js));
  app.get("/assets/uplot.min.css", asset("text/css; charset=utf-8", uplot.css));
  app.get("/assets/favicon.svg", asset("image/svg+xml", FAVICON_SVG));
  app.get("/favicon.ico", (_req, reply) => reply.code(204).send());
  app.get("/healthz", (_req, reply) => reply.type("text/plain").send("ok\n"));
  const metrics = consoleMetrics({ sessions: () => sessions.size, streams: () => streams.size, services: () => poller.snapshot() });
  app.get("/metrics", async (_req, reply) => reply.type(metrics.contentType).send(await metrics.metrics()));

  app.get("/", (_req, reply) => reply.code(303).header("location", "/routes").send());

  app.get("/login", (req, reply) => {
    const q = (req.query as Record<string, unknown>).next;
    const next = safeNext(typeof q === "string" ? q : "");
    if (auths.get(req)?.kind === "session") return reply.code(303).header("location", next).send();
    return html(reply, 200, loginPage({ next, methods }));
  });

  app.post("/login", (req, reply) => {
    const body = req.body as FormBody;
    const next = safeNext(field(body, "next"));
    if (throttle.blocked(req.ip)) return html(reply, 429, loginPage({ next, methods, error: "Too many failed attempts; wait a minute." }));
    const secret = typeof body?.secret === "string" ? body.secret : "";
    // both compared, always: the time taken does not tell which one is set
    const byPassword = password !== "" && safeEqual(secret, password);
    const byToken = token !== "" && safeEqual(secret, token);
    if (secret === "" || !(byPassword || byToken)) {
      throttle.fail(req.ip);
      logger?.warn({ ip: req.ip }, "console: login failed");
      return html(reply, 401, loginPage({ next, methods, error: `Wrong ${methods.toLowerCase()}.` }));
    }
    throttle.succeed(req.ip);
    const old = auths.get(req);
    if (old?.kind === "session") sessions.delete(old.session.id); // a new id on every login (no fixation)
    const session = sessions.create();
    logger?.info({ ip: req.ip }, "console: logged in");
    return reply
      .code(303)
      .header("set-cookie", sessionCookie(SESSION_COOKIE, session.id, { maxAgeSeconds: Math.floor(sessionMaxMs / 1000), secure: options.secureCookie === true }))
      .header("location", next)
      .send();
  });

  app.post("/logout", (req, reply) => {
    const a = auths.get(req);
    if (a?.kind === "session") {
      sessions.delete(a.session.id);
      for (const [res, stream] of streams) if (stream.sid === a.session.id) res.end();
    }
    return reply
      .code(303)
      .header("set-cookie", sessionCookie(SESSION_COOKIE, "", { maxAgeSeconds: 0, secure: options.secureCookie === true }))
      .header("location", "/login")
      .send();
  });

  const routesView = async (req: FastifyRequest, reply: FastifyReply, status: number, extra: { error?: string; add?: Record<string, string>; modid?: string; cmdid?: string }) => {
    const filter = { modid: extra.modid ?? "", cmdid: extra.cmdid ?? "" };
    let error = extra.error;
    let routes: Awaited<ReturnType<typeof store.listRoutes>>;
    try {
      const modid = parseOptionalId("modid", filter.modid);
      const cmdid = parseOptionalId("cmdid", filter.cmdid);
      routes = await store.listRoutes({ ...(modid !== undefined ? { modid } : {}), ...(cmdid !== undefined ? { cmdid } : {}) });
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      error = err.message;
      status = 400;
      routes = await store.listRoutes();
      filter.modid = "";
      filter.cmdid = "";
    }
    const flash = takeFlash(req);
    return html(
      reply,
      status,
      routesPage({ routes, csrf: csrfOf(req), filter, ...(extra.add !== undefined ? { add: extra.add } : {}), ...(flash !== undefined ? { flash } : {}), ...(error !== undefined ? { error } : {}) }),
    );
  };

  app.get("/routes", async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    return routesView(req, reply, 200, { modid: typeof q.modid === "string" ? q.modid.trim() : "", cmdid: typeof q.cmdid === "string" ? q.cmdid.trim() : "" });
  });

  /** A route write: parse the form (400 with the message, nothing changed, on bad input), run it, flash what happened. */
  const write = (path: string, run: (body: FormBody) => Promise<{ message: string; modid: number; cmdid: number }>) => {
    app.post(path, async (req, reply) => {
      const body = (req.body ?? {}) as FormBody;
      let done: { message: string; modid: number; cmdid: number };
      try {
        done = await run(body);
      } catch (err) {
        if (!(err instanceof FormError) && (err as { code?: string }).code !== "LARS_STORE_ARGUMENT") throw err;
        const add = path === "/routes/add-host" ? { modid: field(body, "modid"), cmdid: field(body, "cmdid"), ip: field(body, "ip"), port: field(body, "port") } : undefined;
        return routesView(req, reply, 400, { error: `Nothing changed: ${(err as Error).message}`, ...(add !== undefined ? { add } : {}) });
      }
      logger?.info({ path, modid: done.modid, cmdid: done.cmdid, by: auths.get(req)?.kind }, `console: ${done.message}`);
      if (auths.get(req)?.kind === "token" && (req.headers.accept ?? "").includes("application/json")) return reply.send({ ok: true, message: done.message });
      setFlash(req, done.message);
      return reply.code(303).header("location", `/routes?modid=${done.modid}`).send();
    });
  };
  const ids = (body: FormBody) => ({ modid: parseId("modid", field(body, "modid")), cmdid: parseId("cmdid", field(body, "cmdid")) });
  const outcome = (changed: boolean, version: number, did: string, unchanged: string) => (changed ? `${did} (route version ${version})` : `${unchanged}; nothing changed`);

  write("/routes/add-host", async (body) => {
    const { modid, cmdid } = ids(body);
    const h = { ip: parseIp(field(body, "ip")), port: parsePort(field(body, "port")) };
    const r = await store.addHost(modid, cmdid, h);
    return { modid, cmdid, message: outcome(r.changed, r.version, `added ${hostText(h.ip, h.port)} to route ${modid}:${cmdid}`, `${hostText(h.ip, h.port)} already serves ${modid}:${cmdid}`) };
  });
  write("/routes/remove-host", async (body) => {
    const { modid, cmdid } = ids(body);
    const h = { ip: parseIp(field(body, "ip")), port: parsePort(field(body, "port")) };
    const r = await store.removeHost(modid, cmdid, h);
    return { modid, cmdid, message: outcome(r.changed, r.version, `removed ${hostText(h.ip, h.port)} from route ${modid}:${cmdid}`, `${hostText(h.ip, h.port)} does not serve ${modid}:${cmdid}`) };
  });
  write("/routes/replace-hosts", async (body) => {
    const { modid, cmdid } = ids(body);
    const hosts = parseHostList(field(body, "hosts"));
    const r = await store.replaceHosts(modid, cmdid, hosts);
    return { modid, cmdid, message: outcome(r.changed, r.version, `route ${modid}:${cmdid} now has ${hosts.length} host${hosts.length === 1 ? "" : "s"}`, `route ${modid}:${cmdid} already had these hosts`) };
  });
  write("/routes/delete", async (body) => {
    const { modid, cmdid } = ids(body);
    const r = await store.deleteRoute(modid, cmdid);
    return { modid, cmdid, message: outcome(r.changed, r.version, `deleted route ${modid}:${cmdid}`, `route ${modid}:${cmdid} has no host`) };
  });

  app.get("/live", (req, reply) => html(reply, 200, livePage(csrfOf(req), poller.snapshot())));
  app.get("/services", (req, reply) => html(reply, 200, servicesPage(csrfOf(req), poller.snapshot())));
  app.get("/api/status", (_req, reply) => reply.send({ services: poller.snapshot() }));

  app.get("/history", async (req, reply) => {
    const q = req.query as Record<string, unknown>;
    const form = {
      modid: typeof q.modid === "string" ? q.modid.trim() : "",
      cmdid: typeof q.cmdid === "string" ? q.cmdid.trim() : "",
      minutes: typeof q.minutes === "string" && q.minutes.trim() !== "" ? q.minutes.trim() : "60",
    };
    const csrf = csrfOf(req);
    if (form.modid === "" && form.cmdid === "") return html(reply, 200, historyPage({ csrf, form, history: [], status: [] }));
    try {
      const modid = parseId("modid", form.modid);
      const cmdid = parseId("cmdid", form.cmdid);
      const minutes = Number(form.minutes);
      if (!/^\d{1,6}$/.test(form.minutes) || minutes < 1 || minutes > 527040) throw new FormError("minutes must be an integer from 1 to 527040 (a year)");
      const since = Math.floor(Date.now() / 1000) - minutes * 60;
      const [history, status] = await Promise.all([store.listCallHistory({ modid, cmdid, since }), store.listCallStatus({ modid, cmdid })]);
      return html(reply, 200, historyPage({ csrf, form, route: { modid, cmdid }, history, status }));
    } catch (err) {
      if (!(err instanceof FormError)) throw err;
      return html(reply, 400, historyPage({ csrf, form, history: [], status: [], error: err.message }));
    }
  });

  // Server-sent events: the fragments of the live pages, on every change. Each stream gets only the view it
  // asked for (`/events?view=live|services`, both by default), and only when that fragment changed since the
  // last one it was sent; the raw snapshots are at /api/status, not repeated in every event.
  const fragments = (): Record<SseView, string> => {
    const snapshot = poller.snapshot();
    return { live: liveFragment(snapshot), services: servicesFragment(snapshot) };
  };
  const message = (f: Record<SseView, string>, view: SseView | undefined): string =>
    `event: status\ndata: ${JSON.stringify({ html: view === undefined ? f : { [view]: f[view] } })}\n\n`;
  let pending = false;
  poller.onChange(() => {
    if (pending) return;
    pending = true;
    setImmediate(() => {
      pending = false;
      if (streams.size === 0) return;
      const f = fragments();
      const cache = new Map<SseView | undefined, string>();
      for (const [res, stream] of streams) {
        if (stream.sid !== undefined && !sessions.has(stream.sid)) {
          res.end();
          continue;
        }
        const text = stream.view === undefined ? f.live + "\u0000" + f.services : f[stream.view];
        if (text === stream.last) continue;
        stream.last = text;
        let m = cache.get(stream.view);
        if (m === undefined) cache.set(stream.view, (m = message(f, stream.view)));
        res.write(m);
      }
    });
  });
  const heartbeat = setInterval(() => {
    for (const res of streams.keys()) res.write(": ping\n\n");
  }, HEARTBEAT_MS);
  heartbeat.unref();

  app.get("/events", { exposeHeadRoute: false }, (req, reply) => {
    if (streams.size >= MAX_STREAMS) return html(reply, 503, messagePage("Busy", "Too many open event streams."));
    const q = req.query as Record<string, unknown>;
    const view = q.view === "live" || q.view === "services" ? q.view : undefined;
    const a = auths.get(req);
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { ...SECURITY_HEADERS, "content-type": "text/event-stream; charset=utf-8", connection: "keep-alive", "x-accel-buffering": "no" });
    const f = fragments();
    res.write(`retry: 3000\n\n${message(f, view)}`);
    streams.set(res, { sid: a?.kind === "session" ? a.session.id : undefined, view, last: view === undefined ? f.live + "\u0000" + f.services : f[view] });
    const drop = () => streams.delete(res);
    res.on("close", drop);
    res.on("error", drop);
  });

  try {
    await app.listen({ host, port: options.port });
  } catch (err) {
    clearInterval(heartbeat);
    await app.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : options.port;
  poller.start();
  const urlHost = host.includes(":") ? `[${host}]` : host;
  logger?.info({ host, port, services: services.map((s) => s.name) }, "console serving");

  let closing: Promise<void> | undefined;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      (closing ??= (async () => {
        poller.stop();
        clearInterval(heartbeat);
        for (const res of streams.keys()) res.end();
        streams.clear();
        await app.close();
        sessions.clear();
      })()),
  };
}
