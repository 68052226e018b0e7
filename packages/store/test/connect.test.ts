import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../src/connect.js";

const dir = mkdtempSync(join(tmpdir(), "lars-store-connect-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("SQLite connection settings", () => {
  it("WAL with synchronous NORMAL by default, FULL when asked", async () => {
    for (const [synchronous, want] of [[undefined, 1], ["normal", 1], ["full", 2]] as const) {
      const c = await connect({ type: "sqlite", path: join(dir, `s-${synchronous ?? "default"}.db`), ...(synchronous !== undefined ? { synchronous } : {}) });
      try {
        expect(c.sqlite?.pragma("journal_mode", { simple: true })).toBe("wal");
        expect(c.sqlite?.pragma("synchronous", { simple: true }), String(synchronous)).toBe(want);
      } finally {
        await c.db.destroy();
      }
    }
  });
});
