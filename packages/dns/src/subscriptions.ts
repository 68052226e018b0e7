/** What {@link SubscriptionRegistry.subscribe} did. */
export type SubscribeResult = "added" | "already" | "refused";

/**
 * Which connections want pushes of which routes. Kept both ways (route key →
 * connections, connection → its keys) so that {@link removeConnection} drops
 * a closed connection from every route it asked for — the C++ Lars DNS
 * service leaked them. A connection holds at most `maxPerConnection` routes
 * (bounded memory); {@link subscribe} refuses past that and counts it.
 */
export class SubscriptionRegistry<C> {
  readonly #byRoute = new Map<string, Set<C>>();
  readonly #byConn = new Map<C, Set<string>>();
  readonly #maxPerConnection: number;
  #size = 0;
  #refused = 0;

  /** @param maxPerConnection most routes one connection may subscribe to (default 10000). */
  constructor(maxPerConnection = 10_000) {
    if (!Number.isInteger(maxPerConnection) || maxPerConnection < 1) {
      throw new RangeError(`maxPerConnection must be a positive integer, got ${maxPerConnection}`);
    }
    this.#maxPerConnection = maxPerConnection;
  }

  /** Subscribes `conn` to route `key`. */
  subscribe(key: string, conn: C): SubscribeResult {
    let keys = this.#byConn.get(conn);
    if (keys?.has(key) === true) return "already";
    if (keys !== undefined && keys.size >= this.#maxPerConnection) {
      this.#refused++;
      return "refused";
    }
    if (keys === undefined) {
      keys = new Set();
      this.#byConn.set(conn, keys);
    }
    keys.add(key);
    let conns = this.#byRoute.get(key);
    if (conns === undefined) {
      conns = new Set();
      this.#byRoute.set(key, conns);
    }
    conns.add(conn);
    this.#size++;
    return "added";
  }

  /** Drops every subscription of `conn`; returns how many there were. */
  removeConnection(conn: C): number {
    const keys = this.#byConn.get(conn);
    if (keys === undefined) return 0;
    this.#byConn.delete(conn);
    for (const key of keys) {
      const conns = this.#byRoute.get(key);
      if (conns === undefined) continue;
      conns.delete(conn);
      if (conns.size === 0) this.#byRoute.delete(key);
    }
    this.#size -= keys.size;
    return keys.size;
  }

  /** The connections subscribed to `key` (a snapshot). */
  subscribers(key: string): C[] {
    const conns = this.#byRoute.get(key);
    return conns === undefined ? [] : [...conns];
  }

  /** The route keys `conn` is subscribed to (a snapshot). */
  routesOf(conn: C): string[] {
    const keys = this.#byConn.get(conn);
    return keys === undefined ? [] : [...keys];
  }

  /** Subscriptions held now (connection × route pairs). */
  get size(): number {
    return this.#size;
  }

  /** Connections holding at least one subscription. */
  get connectionCount(): number {
    return this.#byConn.size;
  }

  /** Routes with at least one subscriber. */
  get routeCount(): number {
    return this.#byRoute.size;
  }

  /** Subscriptions refused because a connection was at its cap. */
  get refused(): number {
    return this.#refused;
  }
}
