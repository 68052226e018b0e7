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
