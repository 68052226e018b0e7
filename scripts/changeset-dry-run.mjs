#!/usr/bin/env node
// Changeset dry run (issue 7): prove on a throwaway copy that the release flow
// keeps exact internal pins right. Two scenarios, each in its own temp copy of
// the manifests (root package.json + package-lock.json, .changeset/,
// packages/*/ and examples/*/ package.json and CHANGELOG.md), with `git init`:
//
//   isolated: the pending changesets are removed, one changeset bumps
//             @lars/iobuf (patch). Expected, exactly: iobuf 0.x.y -> 0.x.y+1;
//             every package that depends on it, directly or through another
//             @lars package (computed from the manifests), gets its pins
//             updated to the new exact versions and a patch bump itself; the
//             others are untouched; private examples keep version 0.0.0 but
//             get their pins updated.
//   pending:  the repo's pending changesets plus the same iobuf patch. The
//             expected version of each package is computed from the bump
//             types (highest of: its own changesets, "patch" when any @lars
//             package it depends on is bumped — an exact pin is always out of
//             range of a new version).
//
// In both: `changeset version` (the repo's @changesets/cli, cwd = the copy)
// must succeed and consume the changesets; every @lars pin in every manifest
// must stay exact and equal the new version of its target; each bumped
// package gets a CHANGELOG.md entry; and `npm install --package-lock-only
// --offline` must bring package-lock.json in line (the lock records the
// workspace versions and pins too).
//
// Usage: node scripts/changeset-dry-run.mjs [--keep]

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, readFile, rm, symlink, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const CHANGESET_BIN = join(REPO, "node_modules", "@changesets", "cli", "bin.js");
const KEEP = process.argv.includes("--keep");
const TIME_LIMIT_MS = Number(process.env.LARS_CHANGESET_TIMEOUT_MS ?? 120_000);
const BUMPED = "@lars/iobuf";
const DEP_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"];
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/;
const BUMP_ORDER = { none: 0, patch: 1, minor: 2, major: 3 };

const started = Date.now();
const temps = [];
const children = new Set();

class DryRunFailure extends Error {}
function fail(message) {
  throw new DryRunFailure(message);
}
function log(message) {
  console.log(`[changeset-dry-run +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}

function run(cmd, argv, what, { cwd, timeoutMs = 60_000 } = {}) {
  return new Promise((resolveRun, reject) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    children.add(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new DryRunFailure(`${what}: could not start: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      if (code === 0) resolveRun(out);
      else reject(new DryRunFailure(`${what}: exited with ${code ?? signal}${signal === "SIGKILL" ? ` (over ${timeoutMs} ms)` : ""}\n${out.trim()}`));
    });
  });
}

// ---------------------------------------------------------------- semver / changesets

function inc(version, bump) {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) fail(`cannot bump version ${version}`);
  const [major, minor, patch] = m.slice(1).map(Number);
  if (bump === "major") return `${major + 1}.0.0`;
  if (bump === "minor") return `${major}.${minor + 1}.0`;
  if (bump === "patch") return `${major}.${minor}.${patch + 1}`;
  return version;
}
function maxBump(a, b) {
  return BUMP_ORDER[a] >= BUMP_ORDER[b] ? a : b;
}

/** The releases of a changeset file: { "@lars/x": "minor", ... } */
function parseChangeset(text, file) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---/.exec(text);
  if (!m) fail(`${file}: no front matter`);
  const releases = {};
  for (const line of m[1].split(/\r?\n/)) {
    if (!line.trim()) continue;
    const r = /^\s*["']?([^"':]+)["']?\s*:\s*(major|minor|patch|none)\s*$/.exec(line);
    if (!r) fail(`${file}: cannot read release line ${JSON.stringify(line)}`);
    releases[r[1]] = r[2];
  }
  return releases;
}

// ---------------------------------------------------------------- workspace

function workspaceDirs(root) {
  const dirs = [];
  for (const group of ["packages", "examples"]) {
    const base = join(root, group);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) if (existsSync(join(base, d, "package.json"))) dirs.push(`${group}/${d}`);
  }
  return dirs;
}

async function readManifests(root) {
  const out = new Map();
  for (const dir of workspaceDirs(root)) {
    const m = JSON.parse(await readFile(join(root, dir, "package.json"), "utf8"));
    out.set(m.name, { dir, manifest: m });
  }
  return out;
}

function internalDeps(manifest, names) {
  const deps = new Map();
  for (const field of DEP_FIELDS) for (const [d, spec] of Object.entries(manifest[field] ?? {})) if (names.has(d)) deps.set(d, { field, spec });
  return deps;
}

/** Expected new versions: highest of own bump and "patch" when any internal dependency is bumped. */
function expectedVersions(before, ownBumps, isFrozen) {
  const names = new Set(before.keys());
  const bump = new Map([...before.keys()].map((n) => [n, ownBumps[n] ?? "none"]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name] of before) {
      if (isFrozen(name)) continue;
      const { manifest } = before.get(name);
      for (const dep of internalDeps(manifest, names).keys()) {
        if (bump.get(dep) !== "none" && bump.get(name) === "none") {
          bump.set(name, "patch");
          changed = true;
        }
      }
    }
  }
  const versions = new Map();
  for (const [name, { manifest }] of before) versions.set(name, isFrozen(name) ? manifest.version : inc(manifest.version, bump.get(name)));
  return { versions, bump };
}

/** Every package that depends on `target`, directly or through other workspace packages. */
function dependentsOf(target, manifests) {
  const names = new Set(manifests.keys());
  const out = new Set();
  for (let changed = true; changed; ) {
    changed = false;
    for (const [name, { manifest }] of manifests) {
      if (out.has(name) || name === target) continue;
      const deps = [...internalDeps(manifest, names).keys()];
      if (deps.includes(target) || deps.some((d) => out.has(d))) {
        out.add(name);
        changed = true;
      }
    }
  }
  return [...out].sort();
}

// ---------------------------------------------------------------- one scenario

async function copyRepo(label) {
  const dest = await mkdtemp(join(tmpdir(), `lars-changeset-${label}-`));
  temps.push(dest);
  await copyFile(join(REPO, "package.json"), join(dest, "package.json"));
  if (existsSync(join(REPO, "package-lock.json"))) await copyFile(join(REPO, "package-lock.json"), join(dest, "package-lock.json"));
  await mkdir(join(dest, ".changeset"));
  for (const f of readdirSync(join(REPO, ".changeset"))) await copyFile(join(REPO, ".changeset", f), join(dest, ".changeset", f));
  for (const dir of workspaceDirs(REPO)) {
    await mkdir(join(dest, dir), { recursive: true });
    for (const f of ["package.json", "CHANGELOG.md"]) if (existsSync(join(REPO, dir, f))) await copyFile(join(REPO, dir, f), join(dest, dir, f));
  }
  await run("git", ["init", "-q"], `git init (${label})`, { cwd: dest });
  return dest;
}

async function scenario(label, keepPending) {
  const dir = await copyRepo(label);
  const before = await readManifests(dir);
  const names = new Set(before.keys());
  if (!before.has(BUMPED)) fail(`${BUMPED} is not in the workspace`);

  // changesets: pending ones kept or removed, plus the dry-run iobuf patch
  const ownBumps = {};
  for (const f of readdirSync(join(dir, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md")) {
    if (!keepPending) {
      await unlink(join(dir, ".changeset", f));
      continue;
    }
    for (const [name, type] of Object.entries(parseChangeset(await readFile(join(dir, ".changeset", f), "utf8"), f))) {
      if (!names.has(name)) fail(`.changeset/${f} names ${name}, which is not a workspace package`);
      ownBumps[name] = maxBump(ownBumps[name] ?? "none", type);
    }
  }
  await writeFile(join(dir, ".changeset", "lars-dry-run-iobuf.md"), `---\n"${BUMPED}": patch\n---\n\nDry run: a change to ${BUMPED}.\n`);
  ownBumps[BUMPED] = maxBump(ownBumps[BUMPED] ?? "none", "patch");
  // packages changesets never versions: private ones (privatePackages.version false) and `ignore`d ones
  const config = JSON.parse(await readFile(join(dir, ".changeset", "config.json"), "utf8"));
  const ignore = (config.ignore ?? []).map((g) => new RegExp(`^${g.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`));
  const versionPrivate = config.privatePackages?.version ?? true;
  const isFrozen = (name) => ignore.some((re) => re.test(name)) || (before.get(name).manifest.private === true && !versionPrivate);
  const { versions: expected, bump } = expectedVersions(before, ownBumps, isFrozen);

  // changeset version (the changelog module resolves from the copy's node_modules)
  await symlink(join(REPO, "node_modules"), join(dir, "node_modules"), "junction");
  try {
    await run(process.execPath, [CHANGESET_BIN, "version"], `changeset version (${label})`, { cwd: dir });
  } finally {
    await unlink(join(dir, "node_modules"));
  }
  const after = await readManifests(dir);
  const problems = [];

  const left = readdirSync(join(dir, ".changeset")).filter((f) => f.endsWith(".md") && f !== "README.md");
  if (left.length > 0) problems.push(`changesets not consumed: ${left.join(", ")}`);

  for (const [name, { manifest }] of after) {
    const old = before.get(name).manifest;
    if (manifest.version !== expected.get(name))
      problems.push(`${name}: version ${old.version} -> ${manifest.version}, expected ${expected.get(name)} (bump: ${bump.get(name)})`);
    for (const [dep, { field, spec }] of internalDeps(manifest, names)) {
      if (!EXACT_VERSION.test(spec)) problems.push(`${name}: ${field}.${dep} is "${spec}", not an exact version`);
      else if (spec !== after.get(dep).manifest.version) problems.push(`${name}: ${field}.${dep} is "${spec}" but ${dep} is now ${after.get(dep).manifest.version}`);
    }
    if (!isFrozen(name) && manifest.version !== old.version) {
      const changelog = join(dir, before.get(name).dir, "CHANGELOG.md");
      const text = existsSync(changelog) ? readFileSync(changelog, "utf8") : "";
      if (!text.includes(`## ${manifest.version}`)) problems.push(`${name}: CHANGELOG.md has no "## ${manifest.version}" entry`);
    }
  }

  const dependents = dependentsOf(BUMPED, before).filter((n) => !isFrozen(n));
  for (const n of [BUMPED, ...dependents])
    if (after.get(n).manifest.version === before.get(n).manifest.version) problems.push(`${n}: not bumped although it is ${n === BUMPED ? "changed" : `a dependent of ${BUMPED}`}`);

  // package-lock.json records the workspace versions and pins: refresh and compare
  if (existsSync(join(dir, "package-lock.json"))) {
    await run("npm", ["install", "--package-lock-only", "--offline", "--ignore-scripts", "--no-audit", "--no-fund", "--no-update-notifier"], `npm install --package-lock-only (${label})`, {
      cwd: dir,
    });
    const lock = JSON.parse(await readFile(join(dir, "package-lock.json"), "utf8"));
    for (const [name, { dir: wsDir, manifest }] of after) {
      const entry = lock.packages?.[wsDir];
      if (!entry) {
        problems.push(`package-lock.json: no entry for ${wsDir}`);
        continue;
      }
      if (entry.version !== manifest.version) problems.push(`package-lock.json: ${wsDir} is ${entry.version}, package.json ${manifest.version}`);
      for (const [dep, { field, spec }] of internalDeps(manifest, names))
        if (entry[field]?.[dep] !== spec) problems.push(`package-lock.json: ${wsDir} ${field}.${dep} is ${entry[field]?.[dep]}, package.json ${spec}`);
    }
  }

  const changes = [...after]
    .filter(([n, { manifest }]) => manifest.version !== before.get(n).manifest.version)
    .map(([n, { manifest }]) => `${n} ${before.get(n).manifest.version}->${manifest.version}`);
  return { label, dir, problems, changes, dependents };
}

// ---------------------------------------------------------------- main

async function main() {
  const rootScripts = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")).scripts ?? {};
  if (!/changeset version/.test(rootScripts["version-packages"] ?? "")) fail('root package.json has no "version-packages" script running `changeset version`');
  if (!/--package-lock-only/.test(rootScripts["version-packages"]))
    console.warn(
      'changeset-dry-run: warning: "version-packages" does not refresh package-lock.json; use "changeset version && npm install --package-lock-only --ignore-scripts --no-audit --no-fund"',
    );

  const results = await Promise.all([scenario("isolated", false), scenario("pending", true)]);
  let failed = false;
  for (const r of results) {
    console.log(`  ${r.problems.length === 0 ? "ok  " : "FAIL"} ${r.label}: ${r.changes.join(", ") || "no version changed"}`);
    for (const p of r.problems) console.log(`         ${p}`);
    if (r.problems.length > 0) failed = true;
  }
  log(`dependents of ${BUMPED} (from the manifests): ${results[0].dependents.join(", ")}`);
  if (failed) fail("the release flow would break exact pins (see above)");
}

async function cleanup() {
  for (const c of children) c.kill("SIGKILL");
  for (const t of temps) {
    if (KEEP) console.log(`kept ${t}`);
    else await rm(t, { recursive: true, force: true });
  }
}

const overall = setTimeout(() => {
  console.error(`changeset-dry-run: FAILED: over the time limit of ${TIME_LIMIT_MS} ms`);
  void cleanup().finally(() => process.exit(1));
}, TIME_LIMIT_MS);
overall.unref();

try {
  await main();
  log("PASSED");
} catch (err) {
  console.error(`changeset-dry-run: FAILED: ${err instanceof DryRunFailure ? err.message : (err?.stack ?? err)}`);
  process.exitCode = 1;
} finally {
  clearTimeout(overall);
  await cleanup();
}
