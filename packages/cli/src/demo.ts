import type { LarsClient } from "@lars/api";
import { ipToInt32 } from "@lars/proto";
import type { HostInfo } from "@lars/proto";

/** A route the demo seeds and calls. */
export interface DemoRoute {
  readonly modid: number;
  readonly cmdid: number;
  readonly hosts: readonly HostInfo[];
}

/** When a simulated backend fails: always with `errorRate`, or every call between `from` and `until` (seconds since start). */
export interface DemoFailure {
  readonly host: string;
  readonly errorRate?: number;
  readonly from?: number;
  readonly until?: number;
}

const host = (ip: string, port: number): HostInfo => ({ ip: ipToInt32(ip), port });

/** The demo's routes: one with four backends, one with two. */
export const DEMO_ROUTES: readonly DemoRoute[] = [
  { modid: 1, cmdid: 1, hosts: [host("127.0.0.1", 9101), host("127.0.0.1", 9102), host("127.0.0.1", 9103), host("127.0.0.1", 9104)] },
  { modid: 2, cmdid: 1, hosts: [host("127.0.0.1", 9201), host("127.0.0.1", 9202)] },
];

/** 127.0.0.1:9103 is down from the 3rd to the 18th second; 127.0.0.1:9104 fails one call in five. */
export const DEMO_FAILURES: readonly DemoFailure[] = [
  { host: "127.0.0.1:9103", from: 3, until: 18 },
  { host: "127.0.0.1:9104", errorRate: 0.2 },
];

/** Counters of one second (or of the whole run) of demo traffic. */
export interface DemoCounts {
  calls: number;
  failures: number;
  /** getHost answers without a host (OVERLOAD / NOEXIST / timeouts). */
  noHost: number;
  /** Calls per `modid:cmdid ip:port`. */
  readonly perHost: Map<string, number>;
}

function emptyCounts(): DemoCounts {
  return { calls: 0, failures: 0, noHost: 0, perHost: new Map() };
}

/** Options of {@link DemoTraffic}. */
export interface DemoTrafficOptions {
  readonly routes?: readonly DemoRoute[];
  readonly failures?: readonly DemoFailure[];
  /** Calls per second to aim at, over all routes (default 600). */
  readonly callsPerSecond?: number;
  /** Random numbers in [0, 1) (tests pass a seeded one). */
  readonly random?: () => number;
  /** Clock in ms. */
  readonly now?: () => number;
}

/**
 * Simulated callers of simulated backends: every 50 ms a batch of getHost calls through the
 * real agent, each "call" to the chosen host succeeding or failing by {@link DemoFailure}
 * rules, and its outcome reported to the agent: what a real caller does.
 */
export class DemoTraffic {
  /** Counters since start. */
  readonly total: DemoCounts = emptyCounts();
  #window: DemoCounts = emptyCounts();
  readonly #client: LarsClient;
  readonly #routes: readonly DemoRoute[];
  readonly #failures: Map<string, DemoFailure>;
  readonly #perTick: number;
  readonly #random: () => number;
  readonly #now: () => number;
  #started = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(client: LarsClient, options: DemoTrafficOptions = {}) {
    this.#client = client;
    this.#routes = options.routes ?? DEMO_ROUTES;
    this.#failures = new Map((options.failures ?? DEMO_FAILURES).map((f) => [f.host, f]));
    this.#perTick = Math.max(1, Math.round((options.callsPerSecond ?? 600) / 20));
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** Starts calling. */
  start(): void {
    this.#started = this.#now();
    this.#schedule();
  }

  /** The counters since the last call of this method. */
  takeWindow(): DemoCounts {
    const w = this.#window;
    this.#window = emptyCounts();
    return w;
  }

  /** Stops calling and waits for the calls in flight. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    await this.#running;
  }

  /** Whether a call to `h` fails now. */
  fails(h: string, atSeconds: number): boolean {
    const f = this.#failures.get(h);
    if (f === undefined) return false;
    if (f.from !== undefined || f.until !== undefined) {
      return atSeconds >= (f.from ?? 0) && atSeconds < (f.until ?? Infinity);
    }
    return this.#random() < (f.errorRate ?? 0);
  }

  #schedule(): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.#running = this.#tick().then(() => this.#schedule());
    }, 50);
  }

  async #tick(): Promise<void> {
    const calls: Promise<void>[] = [];
    for (let i = 0; i < this.#perTick; i++) {
      const route = this.#routes[i % this.#routes.length] as DemoRoute;
      calls.push(this.#call(route));
    }
    await Promise.all(calls);
  }

  async #call(route: DemoRoute): Promise<void> {
    let r;
    try {
      r = await this.#client.getHost(route.modid, route.cmdid, { timeoutMs: 500 });
    } catch {
      this.#count(undefined, false);
      return;
    }
    if (!r.ok) {
      this.#count(undefined, false);
      return;
    }
    const name = `${r.host.ip}:${r.host.port}`;
    const failed = this.fails(name, (this.#now() - this.#started) / 1000);
    this.#client.report(route.modid, route.cmdid, r.host, failed ? 1 : 0);
    this.#count(`${route.modid}:${route.cmdid} ${name}`, failed);
  }

  #count(key: string | undefined, failed: boolean): void {
    for (const c of [this.total, this.#window]) {
      if (key === undefined) {
        c.noHost++;
        continue;
      }
      c.calls++;
      if (failed) c.failures++;
      c.perHost.set(key, (c.perHost.get(key) ?? 0) + 1);
    }
  }
}
