#!/usr/bin/env node
// Package health (issue 7): every public package, as published (its npm pack
// tarball), passes
//   - publint (strict: warnings count as errors; suggestions too), and
//   - @arethetypeswrong/cli (attw, profile "strict": node10, node16 from CJS
//     and from ESM, bundler),
// plus the manifest rules of this repo (MIT license and LICENSE file, README,
// engines.node, sideEffects false, an exports map with types for import and
// require).
//
// An accepted exception is listed in EXCEPTIONS below with its reason, and
// must also be explained in that package's README (the script checks that
// the README names the rule). Prefer fixing package.json / tsup.config.ts.
//
// Usage: node scripts/package-health.mjs [--no-build]

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { publint } from "publint";
import { formatMessage } from "publint/utils";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const ATTW = join(REPO, "node_modules", "@arethetypeswrong", "cli", "dist", "index.js");
const BUILD = !process.argv.includes("--no-build");
const TIME_LIMIT_MS = Number(process.env.LARS_HEALTH_TIMEOUT_MS ?? 180_000);

/**
 * Accepted exceptions, per package:
 *   { tool: "publint", rule: "<message code>", reason }
 *   { tool: "attw",    rule: "<problem kind, e.g. cjs-resolves-to-esm>", reason }
 * Each rule must also appear in the package's README with the reason.
 * None are needed today: every package passes both tools cleanly.
 */
const EXCEPTIONS = {};

/** attw's JSON problem kinds → the rule names of its CLI (`--ignore-rules`). */
const ATTW_RULES = {
  NoResolution: "no-resolution",
  UntypedResolution: "untyped-resolution",
  FalseCJS: "false-cjs",
  FalseESM: "false-esm",
  CJSResolvesToESM: "cjs-resolves-to-esm",
  FallbackCondition: "fallback-condition",
  CJSOnlyExportsDefault: "cjs-only-exports-default",
  NamedExports: "named-exports",
  FalseExportDefault: "false-export-default",
  MissingExportEquals: "missing-export-equals",
  UnexpectedModuleSyntax: "unexpected-module-syntax",
  InternalResolutionError: "internal-resolution-error",
};

const started = Date.now();
const children = new Set();
let tempRoot;

function log(message) {
  console.log(`[package-health +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function run(cmd, argv, { cwd = REPO, env, timeoutMs = 120_000 } = {}) {
  return new Promise((resolveRun) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      stderr += `\n(killed: over ${timeoutMs} ms)`;
      child.kill("SIGKILL");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ code: null, stdout, stderr: `${stderr}\n${error.message}` });
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolveRun({ code: code ?? signal, stdout, stderr });
    });
  });
}

/** Run async tasks with at most `limit` in flight. */
async function pool(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        results[i] = await fn(items[i], i);
      }
    }),
  );
  return results;
}

function publicPackages() {
  const out = [];
  for (const dir of readdirSync(join(REPO, "packages")).sort()) {
    const file = join(REPO, "packages", dir, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    if (manifest.private !== true) out.push({ name: manifest.name, version: manifest.version, dir: join(REPO, "packages", dir), manifest });
  }
  return out;
}

/** This repo's own rules for a published manifest (publint does not require these). */
function manifestProblems(pkg) {
  const m = pkg.manifest;
  const problems = [];
  if (m.license !== "MIT") problems.push(`license is ${JSON.stringify(m.license)}, expected "MIT"`);
  if (!existsSync(join(pkg.dir, "LICENSE"))) problems.push("no LICENSE file (copy the root LICENSE)");
  if (!existsSync(join(pkg.dir, "README.md"))) problems.push("no README.md");
  if (typeof m.engines?.node !== "string") problems.push("no engines.node");
  if (m.sideEffects !== false) problems.push("sideEffects is not false");
  if (m.type !== "module") problems.push('type is not "module" (dist/index.js is ESM, dist/index.cjs is CJS)');
  const root = m.exports?.["."];
  if (typeof root?.import?.types !== "string" || typeof root?.require?.types !== "string")
    problems.push('exports["."] must give "types" under both "import" and "require" (.d.ts and .d.cts)');
  for (const field of ["files"]) if (!Array.isArray(m[field])) problems.push(`no "${field}" list`);
  return problems;
}

async function checkPublint(pkg, tarball) {
  const data = readFileSync(tarball);
  const { messages, pkg: packed } = await publint({
    pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    level: "suggestion",
    strict: true,
  });
  if (packed?.name !== pkg.name) return { failures: [`publint read ${packed?.name ?? "nothing"} from the tarball`], accepted: [] };
  const failures = [];
  const accepted = [];
  for (const msg of messages) {
    const text = `${msg.type} ${msg.code}: ${formatMessage(msg, packed, { color: false }) ?? ""}`;
    const exception = (EXCEPTIONS[pkg.name] ?? []).find((e) => e.tool === "publint" && e.rule === msg.code);
    (exception ? accepted : failures).push(exception ? `${text} (accepted: ${exception.reason})` : text);
  }
  return { failures, accepted };
}

async function checkAttw(pkg, tarball) {
  const ignored = (EXCEPTIONS[pkg.name] ?? []).filter((e) => e.tool === "attw");
  const argv = [ATTW, tarball, "--format", "json", "--profile", "strict", "--no-color"];
  if (ignored.length > 0) argv.push("--ignore-rules", ...ignored.map((e) => e.rule));
  const { code, stdout, stderr } = await run(process.execPath, argv, { timeoutMs: 120_000 });
  let analysis;
  try {
    analysis = JSON.parse(stdout).analysis;
  } catch {
    return { failures: [`attw did not produce a report (exit ${code}): ${stderr.trim() || stdout.trim()}`], accepted: [] };
  }
  const failures = [];
  const accepted = [];
  if (!analysis.types) failures.push("no type declarations found (attw passes untyped packages silently; ours must be typed)");
  for (const p of analysis.problems ?? []) {
    const rule = ATTW_RULES[p.kind] ?? p.kind;
    const { kind: _kind, ...details } = p;
    const exception = ignored.find((e) => e.rule === rule);
    const text = `${rule} ${JSON.stringify(details)}`;
    (exception ? accepted : failures).push(exception ? `${text} (accepted: ${exception.reason})` : text);
  }
  if (code !== 0 && failures.length === 0) failures.push(`attw exited ${code}: ${stderr.trim()}`);
  return { failures, accepted, entrypoints: Object.keys(analysis.entrypoints ?? {}) };
}

function readmeProblems(pkg) {
  const exceptions = EXCEPTIONS[pkg.name] ?? [];
  if (exceptions.length === 0) return [];
  const readme = existsSync(join(pkg.dir, "README.md")) ? readFileSync(join(pkg.dir, "README.md"), "utf8") : "";
  return exceptions.filter((e) => !readme.includes(e.rule)).map((e) => `exception ${e.tool} ${e.rule} is not explained in README.md`);
}

async function main() {
  const packages = publicPackages();
  if (packages.length === 0) throw new Error("no public package under packages/");
  for (const name of Object.keys(EXCEPTIONS))
    if (!packages.some((p) => p.name === name)) throw new Error(`EXCEPTIONS lists ${name}, which is not a public package`);

  if (BUILD) {
    const b = await run(join(REPO, "node_modules", ".bin", "turbo"), ["run", "build", "--filter=./packages/*", "--output-logs=errors-only"], {
      env: { TURBO_TELEMETRY_DISABLED: "1" },
      timeoutMs: 180_000,
    });
    if (b.code !== 0) throw new Error(`build failed (exit ${b.code})\n${b.stdout}\n${b.stderr}`);
    log("build done");
  }

  tempRoot = await mkdtemp(join(tmpdir(), "lars-health-"));
  const pack = await run("npm", ["pack", "--json", "--pack-destination", tempRoot, ...packages.flatMap((p) => ["--workspace", p.name])]);
  if (pack.code !== 0) throw new Error(`npm pack failed (exit ${pack.code})\n${pack.stderr}`);
  const tarballs = new Map(JSON.parse(pack.stdout.slice(pack.stdout.indexOf("["))).map((i) => [i.name, join(tempRoot, i.filename)]));
  log(`packed ${tarballs.size} packages`);

  const limit = Math.max(2, Math.min(6, availableParallelism()));
  const results = await pool(packages, limit, async (pkg) => {
    const tarball = tarballs.get(pkg.name);
    if (!tarball) return { pkg, failures: ["npm pack produced no tarball"], accepted: [] };
    const [pl, at] = await Promise.all([checkPublint(pkg, tarball), checkAttw(pkg, tarball)]);
    return {
      pkg,
      failures: [
        ...manifestProblems(pkg).map((p) => `manifest: ${p}`),
        ...readmeProblems(pkg),
        ...pl.failures.map((f) => `publint: ${f}`),
        ...at.failures.map((f) => `attw: ${f}`),
      ],
      accepted: [...pl.accepted.map((a) => `publint: ${a}`), ...at.accepted.map((a) => `attw: ${a}`)],
      entrypoints: at.entrypoints ?? [],
    };
  });

  let failed = 0;
  for (const r of results) {
    const status = r.failures.length === 0 ? "ok  " : "FAIL";
    console.log(`  ${status} ${r.pkg.name}@${r.pkg.version}  publint strict, attw strict (entrypoints: ${r.entrypoints?.join(", ") || "?"})`);
    for (const a of r.accepted) console.log(`         accepted  ${a}`);
    for (const f of r.failures) console.log(`         ${f}`);
    if (r.failures.length > 0) failed += 1;
  }
  if (failed > 0) {
    console.error(
      `package-health: FAILED: ${failed} package(s). Details: npx publint packages/<dir>; npx attw --pack packages/<dir>. ` +
        "Fix package.json/tsup.config.ts, or add an exception with its reason here and in the package README.",
    );
    return 1;
  }
  log(`PASSED: ${results.length} packages`);
  return 0;
}

const overall = setTimeout(() => {
  console.error(`package-health: FAILED: over the time limit of ${TIME_LIMIT_MS} ms (LARS_HEALTH_TIMEOUT_MS)`);
  for (const c of children) c.kill("SIGKILL");
  if (tempRoot) void rm(tempRoot, { recursive: true, force: true }).finally(() => process.exit(1));
  else process.exit(1);
}, TIME_LIMIT_MS);
overall.unref();

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(`package-health: FAILED: ${err?.message ?? err}`);
} finally {
  clearTimeout(overall);
  for (const c of children) c.kill("SIGKILL");
  if (tempRoot) await rm(tempRoot, { recursive: true, force: true });
}
process.exitCode = code;
