import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { LarsConfig } from "@lars/config";
import { ensureDataDir } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "lars-cli-dir-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("ensureDataDir", () => {
  it("writes the four configs once, the console's password private and random, and never overwrites", () => {
    const d = ensureDataDir("state", root);
    expect(d.dir).toBe(join(root, "state"));
    expect(d.created).toHaveLength(4);
    expect(statSync(d.consoleConf).mode & 0o077).toBe(0);
    const pw = LarsConfig.parse(readFileSync(d.consoleConf, "utf8"), "console.conf").getString("console", "password", "");
    expect(pw).toMatch(/^[A-Za-z0-9_-]{16}$/);
    expect(LarsConfig.parse(readFileSync(d.agentConf, "utf8"), "agent.conf").getNumber("loadbalance", "probe_num", 0)).toBe(10);
    writeFileSync(d.dnsConf, "[reactor]\nport = 1234\n");
    const again = ensureDataDir("state", root);
    expect(again.created).toEqual([]);
    expect(readFileSync(d.dnsConf, "utf8")).toBe("[reactor]\nport = 1234\n");
    const other = ensureDataDir("other", root);
    const pw2 = LarsConfig.parse(readFileSync(other.consoleConf, "utf8"), "console.conf").getString("console", "password", "");
    expect(pw2).not.toBe(pw);
  });
});
