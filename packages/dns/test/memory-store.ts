// A DnsStore in memory, for tests of the server alone (the real stores are tested in store-e2e.test.ts).
import type { DnsRoute, DnsRouteChange, DnsRouteChangeEvent, DnsStore, HostInfo } from "../src/index.js";
import { routeKey } from "../src/index.js";

export class MemoryStore implements DnsStore {
  version = 0;
  routes = new Map<string, DnsRoute>();
  changes: DnsRouteChange[] = [];
  failing = false;
  reads = 0;
  #nextId = 1;
  #listeners = new Set<(c: DnsRouteChangeEvent) => void>();

  async getRouteVersion(): Promise<number> {
    await Promise.resolve();
    this.reads++;
    if (this.failing) throw new Error("database down");
    return this.version;
  }
  async loadRoutes(): Promise<Map<string, DnsRoute>> {
    await Promise.resolve();
    if (this.failing) throw new Error("database down");
    return new Map([...this.routes].map(([k, r]) => [k, { ...r, hosts: [...r.hosts] }]));
  }
  async loadRouteChanges(): Promise<DnsRouteChange[]> {
    await Promise.resolve();
    if (this.failing) throw new Error("database down");
    return [...this.changes];
  }
  async clearRouteChanges(upToId: number): Promise<void> {
    await Promise.resolve();
    this.changes = this.changes.filter((c) => c.id > upToId);
  }
  onRouteChange(listener: (c: DnsRouteChangeEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
  /** Writes as another process would: no in-process event. */
  setHosts(modid: number, cmdid: number, hosts: HostInfo[], notify = false): void {
    const key = routeKey(modid, cmdid);
    const sorted = [...hosts].sort((a, b) => a.ip - b.ip || a.port - b.port);
    if (sorted.length === 0) this.routes.delete(key);
    else this.routes.set(key, { modid, cmdid, hosts: sorted });
    this.version++;
    this.changes.push({ id: this.#nextId++, modid, cmdid, version: this.version });
    if (notify) for (const l of this.#listeners) l({ modid, cmdid, version: this.version });
  }
}
