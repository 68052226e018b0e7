import { openStore as open, type LarsStore, type StoreOptions } from "@lars/store";

/** The module the reporter's worker opens stores with (the default, spelled out for the bin's env). */
export const storeModule = "@lars/store";

/** Opens a real store (tests read back what the reporter wrote). */
export function openStore(options: StoreOptions): Promise<LarsStore> {
  return open(options);
}
