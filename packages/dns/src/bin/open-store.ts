// Opens the configured store through @lars/store, typed by what the bins use.
import type { ServiceStoreOptions } from "@lars/service";
import type { DnsRoute, DnsStore } from "../index.js";
import type { HostInfo } from "@lars/proto";

/** What the bins use of a `LarsStore`. */
export interface BinStore extends DnsStore {
  addHost(modid: number, cmdid: number, host: HostInfo): Promise<{ version: number; changed: boolean }>;
  removeHost(modid: number, cmdid: number, host: HostInfo): Promise<{ version: number; changed: boolean }>;
  replaceHosts(modid: number, cmdid: number, hosts: HostInfo[]): Promise<{ version: number; changed: boolean }>;
  deleteRoute(modid: number, cmdid: number): Promise<{ version: number; changed: boolean }>;
  listRoutes(filter?: { modid?: number; cmdid?: number }): Promise<DnsRoute[]>;
  close(): Promise<void>;
}

type OpenStore = (options: ServiceStoreOptions, hooks?: { logger?: unknown }) => Promise<BinStore>;

/** `openStore` of `@lars/store` with the config's options. */
export async function openBinStore(options: ServiceStoreOptions, logger?: unknown): Promise<BinStore> {
  const mod = (await import("@lars/store")) as unknown as { openStore?: OpenStore };
  if (typeof mod.openStore !== "function") throw new Error("@lars/store: openStore is missing (is @lars/store built?)");
  return mod.openStore(options, logger === undefined ? {} : { logger });
}
