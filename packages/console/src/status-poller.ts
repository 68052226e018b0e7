import type { AgentHostStatus, AgentRouteStatus, ConsoleLogger, ConsoleService, ServiceHealth } from "./types.js";

/** Largest `/status` body read (bytes); a bigger one marks the service down. */
const MAX_STATUS_BYTES = 8 * 1024 * 1024;

/** `http://user:pass@host/x` → `http://host/x`: what the console may show and log. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    return u.toString();
  } catch {
    return "(invalid URL)";
  }
}

/** `{ a: 1, b: { c: 2 } }` → `{ a: 1, "b.c": 2 }`; only numbers, strings and booleans kept. */
export function flattenScalars(value: unknown, prefix = "", out: Record<string, number | string | boolean> = {}, depth = 0): Record<string, number | string | boolean> {
  if (value === null || typeof value !== "object" || Array.isArray(value) || depth > 4) return out;
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const key = prefix === "" ? k : `${prefix}.${k}`;
    if (typeof v === "number" || typeof v === "string" || typeof v === "boolean") out[key] = v;
    else if (v !== null && typeof v === "object" && !Array.isArray(v)) flattenScalars(v, key, out, depth + 1);
  }
  return out;
}

function num(v: unknown): number {
  return typeof v === "number" && Number.isFinite(v) ? v : 0;
}

function parseHost(v: unknown): AgentHostStatus | undefined {
  if (v === null || typeof v !== "object") return undefined;
  const h = v as Record<string, unknown>;
  if (typeof h.ip !== "string") return undefined;
  return {
    ip: h.ip,
    port: num(h.port),
    state: h.state === "overload" ? "overload" : "idle",
    vsucc: num(h.vsucc),
    verr: num(h.verr),
    rsucc: num(h.rsucc),
    rerr: num(h.rerr),
    continSucc: num(h.continSucc),
    continErr: num(h.continErr),
    picks: num(h.picks),
    probes: num(h.probes),
  };
}

/** The `routes` of an agent's `/status`, checked field by field (anything malformed is dropped). */
export function parseAgentRoutes(v: unknown): AgentRouteStatus[] {
  if (!Array.isArray(v)) return [];
  const routes: AgentRouteStatus[] = [];
  for (const r of v as unknown[]) {
    if (r === null || typeof r !== "object") continue;
    const o = r as Record<string, unknown>;
    if (typeof o.modid !== "number" || typeof o.cmdid !== "number") continue;
    const hosts = Array.isArray(o.hosts) ? (o.hosts as unknown[]).map(parseHost).filter((h): h is AgentHostStatus => h !== undefined) : [];
    routes.push({ modid: o.modid, cmdid: o.cmdid, state: typeof o.state === "string" ? o.state : "", updatedAt: num(o.updatedAt), hosts });
  }
  routes.sort((a, b) => a.modid - b.modid || a.cmdid - b.cmdid);
  return routes;
}

/** What a `/status` body says about its service. */
export function healthFromStatus(service: ConsoleService, body: unknown, checkedAt: number): ServiceHealth {
  const o = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const base = {
    name: service.name,
    kind: service.kind,
    statusUrl: redactUrl(service.statusUrl),
    up: true,
    checkedAt,
    ...(typeof o.version === "string" ? { version: o.version } : {}),
    ...(typeof o.pid === "number" ? { pid: o.pid } : {}),
    ...(typeof o.uptimeSeconds === "number" ? { uptimeSeconds: o.uptimeSeconds } : {}),
  };
  const stats = flattenScalars(o.stats);
  // dns and reporter put their own figures at the top level too (routes, subscribers, version, pushes, ...)
  for (const [k, v] of Object.entries(flattenScalars(o))) {
    if (k.startsWith("stats.") || ["service", "version", "pid", "uptimeSeconds"].includes(k)) continue;
    if (!(k in stats)) stats[k] = v;
  }
  return service.kind === "agent" ? { ...base, stats, routes: parseAgentRoutes(o.routes) } : { ...base, stats };
}

function downHealth(service: ConsoleService, error: string, checkedAt: number): ServiceHealth {
  return { name: service.name, kind: service.kind, statusUrl: redactUrl(service.statusUrl), up: false, checkedAt, error, stats: {} };
}

async function readCapped(res: Response): Promise<string> {
  if (res.body === null) return "";
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_STATUS_BYTES) {
      await reader.cancel();
      throw new Error(`status larger than ${MAX_STATUS_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * Polls every service's `/status` every `pollMs` (one request at a time per
 * service, never overlapping) and calls `onChange` whenever what it learned
 * differs from the previous poll.
 */
export class StatusPoller {
  readonly #services: readonly ConsoleService[];
  readonly #pollMs: number;
  readonly #logger: ConsoleLogger | undefined;
  readonly #health = new Map<string, ServiceHealth>();
  readonly #signature = new Map<string, string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #inflight = new Set<AbortController>();
  readonly #listeners = new Set<() => void>();
  #stopped = false;

  constructor(services: readonly ConsoleService[], pollMs: number, logger?: ConsoleLogger) {
    this.#services = services;
    this.#pollMs = pollMs;
    this.#logger = logger;
    for (const s of services) this.#health.set(s.name, { ...downHealth(s, "not polled yet", 0) });
  }

  /** The latest health of every service, in configuration order. */
  snapshot(): ServiceHealth[] {
    return this.#services.map((s) => this.#health.get(s.name)!);
  }

  /** Calls `listener` after a poll that changed something; returns the unsubscribe function. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  start(): void {
    for (const s of this.#services) void this.#poll(s);
  }

  stop(): void {
    this.#stopped = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const c of this.#inflight) c.abort();
    this.#inflight.clear();
    this.#listeners.clear();
  }

  async #poll(service: ConsoleService): Promise<void> {
    if (this.#stopped) return;
    const controller = new AbortController();
    this.#inflight.add(controller);
    const timeout = setTimeout(() => controller.abort(), Math.max(2000, this.#pollMs * 2));
    let health: ServiceHealth;
    try {
      const res = await fetch(service.statusUrl, { signal: controller.signal, headers: { accept: "application/json" } });
      const text = await readCapped(res);
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      health = healthFromStatus(service, JSON.parse(text) as unknown, Date.now());
    } catch (err) {
      const why = controller.signal.aborted && !this.#stopped ? "timed out" : err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
      health = downHealth(service, why, Date.now());
    } finally {
      clearTimeout(timeout);
      this.#inflight.delete(controller);
    }
    if (this.#stopped) return;
    this.#record(service, health);
    const t = setTimeout(() => {
      this.#timers.delete(t);
      void this.#poll(service);
    }, this.#pollMs);
    t.unref();
    this.#timers.add(t);
  }

  #record(service: ConsoleService, health: ServiceHealth): void {
    const before = this.#health.get(service.name);
    if (before !== undefined && before.up !== health.up) {
      if (health.up) this.#logger?.info({ service: service.name }, "service up");
      else this.#logger?.warn({ service: service.name, error: health.error }, "service down");
    }
    this.#health.set(service.name, health);
    const { checkedAt: _c, ...rest } = health;
    const signature = JSON.stringify(rest);
    if (this.#signature.get(service.name) === signature) return;
    this.#signature.set(service.name, signature);
    for (const l of this.#listeners) {
      try {
        l();
      } catch (err) {
        this.#logger?.error({ err }, "status listener threw");
      }
    }
  }
}
