// Whether @lars/store (built by another change) offers openStore yet; the store-backed tests skip, saying so, until it does.
import type { BinStore } from "../src/bin/open-store.js";

type OpenStore = (options: unknown, hooks?: unknown) => Promise<BinStore>;
let open: OpenStore | undefined;
try {
  const mod = (await import("@lars/store")) as unknown as { openStore?: OpenStore };
  open = typeof mod.openStore === "function" ? mod.openStore : undefined;
} catch {
  open = undefined;
}
export const openStore: OpenStore | undefined = open;

/**
 * `openStore`, retried once when a concurrent first open on an empty MySQL database raced on the schema
 * (ER_TABLE_EXISTS_ERROR; reported to @lars/store in /work/coord/requests.md). Test files run in parallel.
 */
export async function openWithRetry(options: unknown): Promise<BinStore> {
  try {
    return await openStore!(options);
  } catch (err) {
    if (!(err instanceof Error) || !/already exists/.test(err.message)) throw err;
    return openStore!(options);
  }
}
