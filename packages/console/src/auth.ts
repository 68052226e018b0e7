import { createHash, randomBytes, timingSafeEqual } from "node:crypto";

/** Constant-time string equality: both sides are hashed first, so neither length nor content leaks through timing. */
export function safeEqual(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b) && given.length === expected.length;
}

/** A random URL-safe token of `bytes` bytes. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString("base64url");
}

/** One logged-in browser. */
export interface Session {
  readonly id: string;
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
  /** One message shown on the next page (after a redirect). */
  flash?: string;
}

/** Sessions in memory: bounded (oldest dropped), expiring after `idleMs` idle or `maxMs` in all. */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #maxMs: number;
  readonly #max: number;
  readonly #now: () => number;

  constructor(options: { idleMs: number; maxMs: number; max: number; now?: () => number }) {
    this.#idleMs = options.idleMs;
    this.#maxMs = options.maxMs;
    this.#max = options.max;
    this.#now = options.now ?? Date.now;
  }

  get size(): number {
    return this.#sessions.size;
  }

  create(): Session {
    this.#prune();
    while (this.#sessions.size >= this.#max) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest === undefined) break;
      this.#sessions.delete(oldest);
    }
    const now = this.#now();
    const session: Session = { id: randomToken(32), csrf: randomToken(32), createdAt: now, lastSeen: now };
    this.#sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id (its idle clock restarted), or undefined. */
  get(id: string | undefined): Session | undefined {
    if (id === undefined || id === "") return undefined;
    const session = this.#sessions.get(id);
    if (session === undefined) return undefined;
    const now = this.#now();
    if (this.#expired(session, now)) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = now;
    // keep the map ordered by last use, so the bound drops the least recently used
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  /** Whether the session is still live, without restarting its idle clock. */
  has(id: string): boolean {
    const session = this.#sessions.get(id);
    return session !== undefined && !this.#expired(session, this.#now());
  }

  delete(id: string): void {
    this.#sessions.delete(id);
  }

  clear(): void {
    this.#sessions.clear();
  }

  #expired(s: Session, now: number): boolean {
    return now - s.lastSeen > this.#idleMs || now - s.createdAt > this.#maxMs;
  }

  #prune(): void {
    const now = this.#now();
    for (const [id, s] of this.#sessions) if (this.#expired(s, now)) this.#sessions.delete(id);
  }
}

/** The cookies of a `Cookie` header (first one wins for a repeated name). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1);
    if (!out.has(name)) {
      try {
        out.set(name, decodeURIComponent(value));
      } catch {
        out.set(name, value);
      }
    }
  }
  return out;
}

/** A `Set-Cookie` value: HttpOnly, SameSite=Strict, Path=/ always. */
export function sessionCookie(name: string, value: string, options: { maxAgeSeconds: number; secure: boolean }): string {
  const parts = [`${name}=${value}`, "HttpOnly", "SameSite=Strict", "Path=/", `Max-Age=${options.maxAgeSeconds}`];
  if (options.secure) parts.push("Secure");
  return parts.join("; ");
}

/**
 * Failed logins per client address, to slow down guessing: after `max`
 * failures within `windowMs` the address is refused until the window ends.
 * Bounded: at most `maxClients` addresses are tracked.
 */
export class LoginThrottle {
  readonly #failures = new Map<string, { count: number; since: number }>();
  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly maxClients = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  blocked(client: string): boolean {
    const f = this.#failures.get(client);
    if (f === undefined) return false;
    if (this.now() - f.since > this.windowMs) {
      this.#failures.delete(client);
      return false;
    }
    return f.count >= this.max;
  }

  fail(client: string): void {
    const now = this.now();
    const f = this.#failures.get(client);
    if (f === undefined || now - f.since > this.windowMs) {
      if (this.#failures.size >= this.maxClients) {
        const oldest = this.#failures.keys().next().value;
        if (oldest !== undefined) this.#failures.delete(oldest);
      }
      this.#failures.delete(client);
      this.#failures.set(client, { count: 1, since: now });
    } else {
      f.count++;
    }
  }

  succeed(client: string): void {
    this.#failures.delete(client);
  }
}
