// Defect 7 (issue 10): the golden vectors are vendored in the repository
// (wire/), no test reads the shared folder beside it, and
// scripts/check-vendored-wire.mjs keeps the copy equal to that folder when it exists.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));
const SCRIPT = join(ROOT, "scripts", "check-vendored-wire.mjs");

/** Test sources: files under a test/ folder, and *.test.* / *.spec.* files, in packages/ and examples/. */
function testFiles(dir: string, inTest = false, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, inTest || name === "test" || name === "tests", out);
    else if (/\.(m|c)?[jt]sx?$/.test(name) && (inTest || /\.(test|spec)\.[^.]+$/.test(name))) out.push(path);
  }
  return out;
}

function check(shared?: string): { status: number | null; stdout: string; stderr: string } {
  const args = shared === undefined ? [SCRIPT] : [SCRIPT, "--shared", shared];
  const r = spawnSync(process.execPath, args, { encoding: "utf8" });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("vendored wire vectors", () => {
  it("wire/vectors.json and wire/lars-messages.json are in the repository and parse", () => {
    for (const name of ["vectors.json", "lars-messages.json"]) {
      const path = join(ROOT, "wire", name);
      expect(existsSync(path), path).toBe(true);
      expect(() => JSON.parse(readFileSync(path, "utf8")) as unknown).not.toThrow();
    }
  });

  it("no test file refers to the shared folder beside the repository", () => {
    const self = fileURLToPath(import.meta.url); // this file names the pattern it looks for
    const files = [...testFiles(join(ROOT, "packages")), ...testFiles(join(ROOT, "examples"))].filter((f) => f !== self);
    expect(files.length).toBeGreaterThan(20);
    const offenders = files
      .filter((f) => /\.\.\/shared\b|shared\/wire/.test(readFileSync(f, "utf8")))
      .map((f) => relative(ROOT, f));
    expect(offenders).toEqual([]);
  });

  it("check-vendored-wire passes against identical files", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lars-wire-"));
    try {
      for (const name of readdirSync(join(ROOT, "wire"))) await writeFile(join(dir, name), readFileSync(join(ROOT, "wire", name)));
      const r = check(dir);
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/ok, 2 of 2/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("check-vendored-wire exits 1 naming the file when a shared file differs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "lars-wire-"));
    try {
      const original = readFileSync(join(ROOT, "wire", "vectors.json"));
      await writeFile(join(dir, "vectors.json"), Buffer.concat([original, Buffer.from("\n")]));
      const r = check(dir);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/wire\/vectors\.json differs from/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("check-vendored-wire skips with exit 0 when the shared folder is absent", () => {
    const r = check(join(tmpdir(), `lars-no-such-shared-${process.pid}`));
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/skipped/);
  });

  it("check-vendored-wire with no arguments (../shared/wire beside the repo, or skip) exits 0", () => {
    const r = check();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });
});
