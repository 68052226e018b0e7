// A store module for tests (openStore contract), state on globalThis.fakeStore.
// With {type: "sqlite", path}, each upsert appends {isMainThread, rows} as a JSON line to `path`.
import { appendFileSync } from "node:fs";
import { isMainThread } from "node:worker_threads";

export async function openStore(options) {
  const state = (globalThis.fakeStore ??= { opens: 0, failNext: 0, rows: [], closes: 0 });
  state.opens++;
  if (options.type === "mysql" && state.refuseOpen) throw new Error("connect ECONNREFUSED");
  return {
    kind: options.type,
    async upsertCallStatus(rows) {
      if (state.failNext > 0) {
        state.failNext--;
        throw new Error("server has gone away");
      }
      state.rows.push(...rows);
      if (options.type === "sqlite") appendFileSync(options.path, `${JSON.stringify({ isMainThread, rows: rows.length })}\n`);
    },
    async insertCallHistory() {},
    async pruneCallHistory() {},
    async close() {
      state.closes++;
    },
  };
}
