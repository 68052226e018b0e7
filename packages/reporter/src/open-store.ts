import type { OpenedCallStatusStore, ReporterStoreOptions } from "./types.js";

interface StoreModule {
  openStore(options: ReporterStoreOptions): Promise<OpenedCallStatusStore>;
}

/** The module whose `openStore` opens stores by default. */
export const DEFAULT_STORE_MODULE: string = "@lars/store";

/**
 * Opens a store with the `openStore` of `storeModule` (default `@lars/store`,
 * loaded on first use; another module with the same `openStore` contract fits,
 * e.g. in benchmarks).
 */
export async function openCallStatusStore(options: ReporterStoreOptions, storeModule: string = DEFAULT_STORE_MODULE): Promise<OpenedCallStatusStore> {
  const mod = (await import(storeModule)) as StoreModule;
  return mod.openStore(options);
}
