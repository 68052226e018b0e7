/**
 * The published surface: the built package (dist, through its `exports` map)
 * loads as ESM and CJS with the same exports as src/index.ts, and the README
 * example runs as written and prints what the README says. Needs `npm run
 * build` first (turbo's `test` task depends on `build`).
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import * as api from "../src/index.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..");

/** Run ESM code with node in the package directory, so `@lars/iobuf` resolves to this package. */
function runNode(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd: packageDir, encoding: "utf8", timeout: 10_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The first fenced block of `lang` after `marker` in `text`. */
function fencedBlock(text: string, marker: string, lang: string): string {
  const at = text.indexOf(marker);
  expect(at, `README has "${marker}"`).toBeGreaterThanOrEqual(0);
  const open = text.indexOf("```" + lang + "\n", at);
  expect(open, `README has a ${lang} block after "${marker}"`).toBeGreaterThan(at);
  const start = open + lang.length + 4;
  return text.slice(start, text.indexOf("```", start));
}

describe("published package", () => {
  const expected = Object.keys(api).sort();

  it("src/index.ts names the public API", () => {
    expect(expected).toEqual(
      [
        "BufLeakError",
        "BufPool",
        "BufRevertError",
        "BufTooLargeError",
        "BufferFullError",
        "DEFAULT_POOL_CAP_BYTES",
        "DEFAULT_POOL_MAX_FREE_BYTES",
        "InputBuf",
        "InvalidArgumentError",
        "IoBuf",
        "IoBufRangeError",
        "LarsError",
        "OutputBuf",
        "PoolExhaustedError",
        "PooledBytes",
        "SIZE_CLASSES",
        "isLarsError",
      ].sort(),
    );
  });

  it("the ESM build (import) exports the same names", () => {
    const r = runNode(["--input-type=module", "-e", 'import * as m from "@lars/iobuf"; console.log(JSON.stringify(Object.keys(m).sort()));']);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it("the CJS build (require) exports the same names and works", () => {
    const code =
      'const m = require("@lars/iobuf"); const p = new m.BufPool({ track: true }); const b = p.alloc(1); p.revert(b); p.assertNoLeaks();' +
      "console.log(JSON.stringify(Object.keys(m).filter((k) => k !== '__esModule').sort()));";
    const r = runNode(["--input-type=commonjs", "-e", code]);
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toEqual(expected);
  });

  it("the README example runs and prints what the README shows", () => {
    const readme = readFileSync(join(packageDir, "README.md"), "utf8");
    const example = fencedBlock(readme, "## Example", "js");
    const output = fencedBlock(readme, "It prints:", "text");
    expect(example).toContain('from "@lars/iobuf"');
    const r = runNode(["--input-type=module", "-e", example]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(output);
  });
});
