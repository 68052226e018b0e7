import type { OpenedCallStatusStore, CallStatusRow } from "../src/index.js";

type TestStore = OpenedCallStatusStore & { listCallStatus(f?: { modid?: number }): Promise<CallStatusRow[]> };
interface StoreModuleShape {
  openStore?: (o: unknown) => Promise<TestStore>;
}

const STORE: string = "@lars/store";
const real = await import(STORE).then(
  (m: StoreModuleShape) => m.openStore,
  () => undefined,
);

/** True when @lars/store is built (it lands separately). */
export const realStore = real !== undefined;

/**
 * The module the tests open stores with: @lars/store when built, else the
 * benchmark's stand-in (bench/mini-store.mjs: the same openStore contract on
 * better-sqlite3, SQLite only), so the worker path is exercised either way.
 */
export const storeModule: string = realStore ? STORE : new URL("../bench/mini-store.mjs", import.meta.url).href;

/** `openStore` of {@link storeModule}. */
export const openStore: (o: unknown) => Promise<TestStore> =
  real ?? ((await import(storeModule)) as { openStore: (o: unknown) => Promise<TestStore> }).openStore;
