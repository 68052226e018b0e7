#!/usr/bin/env node
// Vendored wire files (issue 10, defect 7): the golden vectors live in the
// repository at wire/, so a fresh clone anywhere tests green on its own. When
// the shared folder is beside the repository (../shared/wire, as on the Lars
// development machines), every vendored file must be byte-identical to the
// file of the same name there; a difference exits 1 with the file named.
//
//   node scripts/check-vendored-wire.mjs [--shared <dir>]
//
// Exit 0: every vendored file equals its shared twin, or the shared folder is
// absent (skipped, said on stdout). Exit 1: a difference, or wire/ is empty.
// Exit 2: bad usage.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");

let values;
try {
  ({ values } = parseArgs({
    options: { shared: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: false,
  }));
} catch (err) {
  process.stderr.write(`check-vendored-wire: ${err.message}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(
    "usage: node scripts/check-vendored-wire.mjs [--shared <dir>]\n" +
      "  Compares every file in wire/ with the file of the same name in <dir>\n" +
      "  (default: ../shared/wire beside the repository); skips when <dir> is absent.\n",
  );
  process.exit(0);
}

const vendoredDir = join(repo, "wire");
const sharedDir = values.shared ? resolve(values.shared) : resolve(repo, "..", "shared", "wire");

const vendored = existsSync(vendoredDir)
  ? readdirSync(vendoredDir).filter((name) => statSync(join(vendoredDir, name)).isFile()).sort()
  : [];
if (vendored.length === 0) {
  process.stderr.write(`check-vendored-wire: no vendored files in ${vendoredDir}\n`);
  process.exit(1);
}

if (!existsSync(sharedDir)) {
  process.stdout.write(`check-vendored-wire: skipped, ${sharedDir} does not exist (${vendored.length} vendored files unchecked)\n`);
  process.exit(0);
}

const problems = [];
let compared = 0;
for (const name of vendored) {
  const shared = join(sharedDir, name);
  if (!existsSync(shared)) {
    process.stdout.write(`check-vendored-wire: ${name}: no twin in ${sharedDir}, not compared\n`);
    continue;
  }
  const a = readFileSync(join(vendoredDir, name));
  const b = readFileSync(shared);
  compared++;
  if (!a.equals(b)) {
    let at = 0;
    while (at < a.length && at < b.length && a[at] === b[at]) at++;
    problems.push(
      `wire/${name} differs from ${shared} (${a.length} vs ${b.length} bytes, first difference at byte ${at}); ` +
        `re-vendor it: cp ${shared} wire/${name}`,
    );
  }
}

if (problems.length > 0) {
  for (const p of problems) process.stderr.write(`check-vendored-wire: ${p}\n`);
  process.exit(1);
}
process.stdout.write(`check-vendored-wire: ok, ${compared} of ${vendored.length} vendored files equal ${sharedDir}\n`);
