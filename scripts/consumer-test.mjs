#!/usr/bin/env node
// Consumer test (issue 7): prove that a user can install only the layers they
// need, from the packed tarballs, with no workspace links and no registry.
//
//   1. build (turbo, cached) and `npm pack` every public package into a temp dir;
//   2. check every tarball: exact internal pins (no ^, ~, workspace:, file:),
//      pins that match the packed versions, and a file list of exactly
//      package.json + README.md + LICENSE (+ CHANGELOG.md) + dist/** (listed);
//   3. in scratch projects under os.tmpdir() (outside the repo):
//      - server: installs only @lars/tcp-server + @lars/event-loop, runs an
//        echo server (ESM) and a CommonJS require() smoke check;
//      - client: installs only @lars/tcp-client + @lars/event-loop, connects
//        to that server from an ESM (.mjs) and a CommonJS (.cjs) script,
//        exchanges messages, and type-checks a TypeScript file against the
//        installed declarations with `tsc --noEmit` under node16, nodenext
//        and bundler resolution;
//      - codec-only: installs only @lars/codec and checks that node_modules
//        holds @lars/codec and @lars/iobuf and nothing else (no socket or
//        event-loop package, no socket module imported).
//
// Every @lars/* package a scratch project needs comes from a tarball: the
// direct ones as `file:` dependencies, the transitive ones through `overrides`
// pointing at `file:` tarballs. The @lars scope's registry is set to a closed
// local port, so an @lars package that is not satisfied by a tarball fails the
// install at once with a clear message instead of reaching the registry.
//
// Usage: node scripts/consumer-test.mjs [--no-build] [--keep]
//   --no-build  skip `turbo run build` (dist/ must be up to date)
//   --keep      keep the temp dir and print its path (debugging)
// Env: LARS_CONSUMER_TIMEOUT_MS  overall time limit (default 240000)

import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, isAbsolute } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const TSC = join(REPO, "node_modules", "typescript", "bin", "tsc");
const TYPE_ROOTS = join(REPO, "node_modules", "@types");
const TIME_LIMIT_MS = Number(process.env.LARS_CONSUMER_TIMEOUT_MS ?? 240_000);
const args = new Set(process.argv.slice(2));
const KEEP = args.has("--keep");
const BUILD = !args.has("--no-build");
/** Blocks every registry fetch of an @lars/* package (nothing listens on port 9). */
const BLOCKED_LARS_REGISTRY = "http://127.0.0.1:9/";

/**
 * Files a package may publish besides package.json, README.md, LICENSE,
 * CHANGELOG.md and dist/**. Each entry needs a reason (also in its README).
 */
const EXTRA_PUBLISHED_FILES = {
  "@lars/proto": {
    pattern: /^proto\/lars\.proto$/,
    reason: "ships the Lars system schema (proto/lars.proto) so C++ and other peers can generate code from it; see its README",
  },
  "@lars/protobuf": {
    pattern: /^proto\/[^/]+\.proto$/,
    reason: "ships the QPS schema (proto/echo_message.proto) so peers in other languages can generate code from it; see its README",
  },
};
/**
 * A package's `bin` launchers (`bin/<name>.mjs`, a two-line import of the
 * built program in dist/) are published too: npm links them at install, so
 * they must exist before a build has run in a fresh clone.
 */
function isDeclaredBinLauncher(manifest, name) {
  const bins = typeof manifest.bin === "object" && manifest.bin !== null ? Object.values(manifest.bin) : [];
  return /^bin\/[a-z0-9-]+\.mjs$/.test(name) && bins.some((b) => b.replace(/^\.\//, "") === name);
}

/** Files every tarball must contain. */
const REQUIRED_FILES = ["package.json", "README.md", "LICENSE", "dist/index.js", "dist/index.cjs", "dist/index.d.ts", "dist/index.d.cts"];
/** Packages that open sockets or run the loop: none may be installed with @lars/codec alone. */
const RUNTIME_PACKAGES = ["@lars/event-loop", "@lars/tcp-conn", "@lars/tcp-server", "@lars/tcp-client", "@lars/udp"];
/** Node modules a codec-only install must not import. */
const SOCKET_MODULES = ["net", "dgram", "tls", "http", "https", "http2", "cluster", "child_process", "worker_threads"];

const started = Date.now();
const children = new Set();
let tempRoot;

class TestFailure extends Error {}
function fail(message) {
  throw new TestFailure(message);
}
function log(message) {
  console.log(`[consumer-test +${((Date.now() - started) / 1000).toFixed(1)}s] ${message}`);
}
function remainingMs() {
  return TIME_LIMIT_MS - (Date.now() - started);
}

// ---------------------------------------------------------------- processes

/** Kill a child and everything it started (it leads its own process group). */
function killTree(child, signal = "SIGKILL") {
  if (child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (process.platform !== "win32") process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/** Start a child process, tracked for cleanup. */
function start(cmd, argv, { cwd, env } = {}) {
  const child = spawn(cmd, argv, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: process.platform !== "win32",
  });
  children.add(child);
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.out = "";
  child.err = "";
  child.stdout.on("data", (d) => (child.out += d));
  child.stderr.on("data", (d) => (child.err += d));
  child.done = new Promise((resolveDone) => {
    child.on("error", (error) => resolveDone({ code: null, signal: null, error }));
    child.on("close", (code, signal) => resolveDone({ code, signal, error: undefined }));
  }).finally(() => children.delete(child));
  return child;
}

/** Wait for a child with a time limit; kill it when the limit passes. */
async function finish(child, what, timeoutMs) {
  let timer;
  const limit = Math.max(1000, Math.min(timeoutMs, remainingMs()));
  const timedOut = new Promise((r) => {
    timer = setTimeout(() => r("timeout"), limit);
  });
  const result = await Promise.race([child.done, timedOut]);
  clearTimeout(timer);
  if (result === "timeout") {
    killTree(child);
    await child.done;
    fail(`${what}: did not finish within ${limit} ms\n${tail(child)}`);
  }
  if (result.error) fail(`${what}: could not start: ${result.error.message}`);
  return { ...result, stdout: child.out, stderr: child.err };
}

/** Run a command to completion; fail unless it exits 0. */
async function run(cmd, argv, what, { cwd, env, timeoutMs = 60_000 } = {}) {
  const result = await finish(start(cmd, argv, { cwd, env }), what, timeoutMs);
  if (result.code !== 0) fail(`${what}: exited with ${result.code ?? result.signal}\n${tailText(result.stdout, result.stderr)}`);
  return result;
}

function tailText(stdout, stderr, lines = 40) {
  const text = `${stdout}\n${stderr}`.trim().split("\n").slice(-lines).join("\n");
  return text ? `--- output (last ${lines} lines) ---\n${text}` : "(no output)";
}
function tail(child) {
  return tailText(child.out, child.err);
}

// ---------------------------------------------------------------- tarballs

/** Minimal tar reader (ustar + pax path records): the file entries of a .tgz. */
function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  const entries = new Map();
  let offset = 0;
  let paxPath;
  const str = (start, len) => {
    const s = data.subarray(start, start + len);
    const nul = s.indexOf(0);
    return s.subarray(0, nul === -1 ? s.length : nul).toString("utf8");
  };
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const size = parseInt(str(offset + 124, 12).trim() || "0", 8);
    const type = String.fromCharCode(header[156] || 48);
    const prefix = str(offset + 345, 155);
    let name = prefix ? `${prefix}/${str(offset, 100)}` : str(offset, 100);
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") {
      for (const record of body.toString("utf8").split("\n")) {
        const m = /^\d+ path=(.*)$/.exec(record);
        if (m) paxPath = m[1];
      }
      continue;
    }
    if (type === "g") continue;
    if (paxPath !== undefined) {
      name = paxPath;
      paxPath = undefined;
    }
    if (type === "0" || type === "\0" || type === "7") entries.set(name.replace(/^package\//, ""), body);
    else if (type !== "5") entries.set(name.replace(/^package\//, ""), null); // links etc.: listed, then refused
  }
  return entries;
}

const DEP_FIELDS = ["dependencies", "peerDependencies", "optionalDependencies", "devDependencies"];
const EXACT_VERSION = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function checkTarball(pkg, file, workspace) {
  const entries = readTarball(file);
  const problems = [];
  const raw = entries.get("package.json");
  if (!raw) return { problems: ["no package.json in the tarball"], files: [...entries.keys()], bytes: 0 };
  const manifest = JSON.parse(raw.toString("utf8"));
  if (manifest.name !== pkg.name || manifest.version !== pkg.version)
    problems.push(`manifest is ${manifest.name}@${manifest.version}, expected ${pkg.name}@${pkg.version}`);

  for (const field of DEP_FIELDS) {
    for (const [dep, spec] of Object.entries(manifest[field] ?? {})) {
      if (/^(workspace|file|link|portal):/.test(spec)) problems.push(`${field}.${dep} is "${spec}": a local protocol cannot be installed by users`);
      const internal = workspace.get(dep);
      if (!internal || field === "devDependencies") continue;
      if (!EXACT_VERSION.test(spec)) problems.push(`${field}.${dep} is "${spec}": internal dependencies must be pinned exactly (e.g. "${internal.version}")`);
      else if (spec !== internal.version)
        problems.push(`${field}.${dep} is "${spec}" but the repo has ${dep}@${internal.version}: the published set would not resolve`);
      if (internal.private) problems.push(`${field}.${dep}: depends on a private package`);
    }
  }

  const extra = EXTRA_PUBLISHED_FILES[pkg.name];
  for (const [name, body] of entries) {
    if (body === null) problems.push(`${name}: not a regular file (link or special entry)`);
    const allowed =
      name === "package.json" ||
      name === "README.md" ||
      name === "LICENSE" ||
      name === "CHANGELOG.md" ||
      (name.startsWith("dist/") && !/\.(test|spec)\.[cm]?[jt]s/.test(name) && !name.endsWith(".tsbuildinfo")) ||
      (extra !== undefined && extra.pattern.test(name)) ||
      isDeclaredBinLauncher(manifest, name);
    if (!allowed) problems.push(`${name}: should not be published (allowed: package.json, README.md, LICENSE, CHANGELOG.md, dist/**)`);
  }
  for (const name of REQUIRED_FILES) if (!entries.has(name)) problems.push(`${name}: missing from the tarball`);
  const files = [...entries.keys()].sort();
  const bytes = [...entries.values()].reduce((n, b) => n + (b?.length ?? 0), 0);
  return { problems, files, manifest, bytes };
}

// ---------------------------------------------------------------- workspace

function readWorkspace() {
  const byName = new Map();
  for (const dir of readdirSync(join(REPO, "packages"))) {
    const file = join(REPO, "packages", dir, "package.json");
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, "utf8"));
    byName.set(manifest.name, { name: manifest.name, version: manifest.version, private: manifest.private === true, dir: join(REPO, "packages", dir), manifest });
  }
  return byName;
}

/** The @lars packages `roots` pull in (themselves included), from the tarball manifests. */
function closure(roots, manifests) {
  const seen = new Set();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop();
    if (seen.has(name)) continue;
    const manifest = manifests.get(name);
    if (!manifest) fail(`${name} is needed but was not packed`);
    seen.add(name);
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"])
      for (const dep of Object.keys(manifest[field] ?? {})) if (manifests.has(dep)) stack.push(dep);
  }
  return [...seen].sort();
}

function thirdPartyDeps(names, manifests) {
  const out = new Set();
  for (const name of names)
    for (const field of ["dependencies", "peerDependencies", "optionalDependencies"])
      for (const dep of Object.keys(manifests.get(name)[field] ?? {})) if (!manifests.has(dep)) out.add(dep);
  return [...out].sort();
}

// ---------------------------------------------------------------- scratch projects

async function createProject(dir, title, direct, tarballs, manifests) {
  await mkdir(dir, { recursive: true });
  const deps = Object.fromEntries(direct.map((n) => [n, `file:${tarballs.get(n)}`]));
  // Transitive @lars deps resolve to the tarballs through overrides; a direct
  // dependency must not also be overridden (npm: EOVERRIDE), and needs not be.
  const overrides = Object.fromEntries([...tarballs].filter(([n]) => !direct.includes(n)).map(([n, f]) => [n, `file:${f}`]));
  const pkg = { name: `lars-consumer-${title}`, version: "0.0.0", private: true, license: "MIT", dependencies: deps, overrides };
  await writeFile(join(dir, "package.json"), `${JSON.stringify(pkg, null, 2)}\n`);
  const expected = closure(direct, manifests);
  return { dir, title, direct, expected, thirdParty: thirdPartyDeps(expected, manifests) };
}

async function install(project) {
  const argv = [
    "install",
    "--no-audit",
    "--no-fund",
    "--prefer-offline",
    "--no-update-notifier",
    "--fetch-retries=0",
    `--@lars:registry=${BLOCKED_LARS_REGISTRY}`,
    "--loglevel=warn",
  ];
  const child = start("npm", argv, { cwd: project.dir });
  const result = await finish(child, `npm install in ${project.title}`, 120_000);
  if (result.code !== 0) {
    const text = `${result.stdout}\n${result.stderr}`;
    const fetched = [...text.matchAll(/127\.0\.0\.1:9\/(@lars(?:\/|%2f)[\w.-]+)/gi)].map((m) => decodeURIComponent(m[1]));
    if (fetched.length > 0 || /ECONNREFUSED[\s\S]*127\.0\.0\.1/.test(text))
      fail(
        `npm install in ${project.title}: npm tried to fetch ${fetched.length ? [...new Set(fetched)].join(", ") : "an @lars package"} from the registry ` +
          `(blocked on purpose): some @lars dependency is not satisfied by the local tarballs — a version mismatch between a tarball's ` +
          `pins and the packed versions, or a package that was not packed.\n${tailText(result.stdout, result.stderr)}`,
      );
    fail(`npm install in ${project.title}: exited with ${result.code ?? result.signal}\n${tailText(result.stdout, result.stderr)}`);
  }
  await verifyInstalledTree(project);
}

/** node_modules/@lars holds exactly the expected closure, each from a file: tarball, deduped. */
async function verifyInstalledTree(project) {
  const larsDir = join(project.dir, "node_modules", "@lars");
  const installed = existsSync(larsDir) ? readdirSync(larsDir).map((d) => `@lars/${d}`).sort() : [];
  if (installed.join() !== project.expected.join())
    fail(`${project.title}: node_modules/@lars holds [${installed.join(", ")}], expected exactly [${project.expected.join(", ")}]`);
  const lock = JSON.parse(await readFile(join(project.dir, "package-lock.json"), "utf8"));
  for (const [key, entry] of Object.entries(lock.packages ?? {})) {
    const m = /(?:^|\/)node_modules\/(@lars\/[^/]+)$/.exec(key);
    if (!m) continue;
    if (key !== `node_modules/${m[1]}`) fail(`${project.title}: ${m[1]} installed twice (nested at ${key}): the tarball pins disagree`);
    if (!String(entry.resolved ?? "").startsWith("file:")) fail(`${project.title}: ${m[1]} resolved from ${entry.resolved ?? "?"}, not from a local tarball`);
  }
  const top = readdirSync(join(project.dir, "node_modules")).filter((d) => !d.startsWith("."));
  const unscoped = top.filter((d) => d !== "@lars");
  if (project.thirdParty.length === 0 && unscoped.length > 0)
    fail(`${project.title}: unexpected packages installed besides @lars/*: ${unscoped.join(", ")}`);
  log(`${project.title}: installed ${installed.join(", ")}${unscoped.length ? ` + ${unscoped.length} third-party` : ""} (all @lars from tarballs)`);
}

// ---------------------------------------------------------------- scripts run by the consumers

const SERVER_MJS = `// Echo server of the consumer test: ESM, from the installed tarballs.
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";

const expectedClients = Number(process.argv[2]);
const guard = setTimeout(() => { console.error("server: timed out waiting for clients"); process.exit(3); }, 60_000);
guard.unref();

const loop = new EventLoop();
let closed = 0;
const server = new TcpServer(loop, {
  host: "127.0.0.1",
  port: 0,
  onConnStart: (conn) => conn.sendMessage("welcome", 9),
  onConnClose: () => {
    closed += 1;
    if (closed === expectedClients) void loop.stop();
  },
  onError: (err) => { console.error("server error:", err); process.exitCode = 1; },
});
server.addMsgRouter(1, (body, msgid, conn) => { conn.sendMessage("echo:" + Buffer.from(body).toString("utf8"), msgid); });
server.addMsgRouter(2, (body, msgid, conn) => { conn.sendMessage(body, msgid); });
const { port } = await server.listen();
console.log("listening " + port);
await loop.run();
console.log("stopped");
// no process.exit: a stopped loop must leave no handle behind
`;

const SERVER_SMOKE_CJS = `// CommonJS require() of the server layers, from the installed tarballs.
"use strict";
const assert = require("node:assert/strict");
const { EventLoop } = require("@lars/event-loop");
const { TcpServer, TcpConn } = require("@lars/tcp-server");
assert.equal(typeof EventLoop, "function");
assert.equal(typeof TcpServer, "function");
assert.equal(typeof TcpConn, "function");
(async () => {
  const loop = new EventLoop();
  const server = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
  const { port } = await server.listen();
  assert.ok(port > 0);
  await loop.stop();
  console.log("cjs server smoke ok");
})().catch((err) => { console.error(err); process.exit(1); });
`;

/** The client logic, shared by the .mjs and .cjs scripts (only the imports differ). */
const CLIENT_BODY = `
const [portArg, label] = process.argv.slice(2);
const guard = setTimeout(() => { console.error(label + ": timed out"); process.exit(3); }, 30_000);
guard.unref();

async function main() {
  const loop = new EventLoop();
  let welcome;
  const client = new TcpClient(loop, { host: "127.0.0.1", port: Number(portArg), name: label, reconnect: false });
  client.addMsgRouter(9, (body) => { welcome = Buffer.from(body).toString("utf8"); });
  await client.ready();
  const reply = await client.request(1, "hello from " + label, { timeoutMs: 10_000 });
  if (reply.toString("utf8") !== "echo:hello from " + label) throw new Error(label + ": bad reply " + JSON.stringify(reply.toString("utf8")));
  // the largest body (65527 bytes) travels in several TCP chunks both ways
  const big = Buffer.alloc(65527);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + 7) & 0xff;
  const bigReply = await client.request(2, big, { timeoutMs: 10_000 });
  if (!big.equals(bigReply)) throw new Error(label + ": large body came back different");
  if (welcome !== "welcome") throw new Error(label + ": no welcome message routed (got " + String(welcome) + ")");
  await loop.stop();
  console.log(label + " ok");
}
main().catch((err) => { console.error(label + " failed:", err); process.exit(1); });
`;
const CLIENT_MJS = `import { EventLoop } from "@lars/event-loop";\nimport { TcpClient } from "@lars/tcp-client";\n${CLIENT_BODY}`;
const CLIENT_CJS = `"use strict";\nconst { EventLoop } = require("@lars/event-loop");\nconst { TcpClient } = require("@lars/tcp-client");\n${CLIENT_BODY}`;

/** Compiled under each resolution mode; @ts-expect-error proves the types are not \`any\`. */
const TYPES_SOURCE = `import { EventLoop } from "@lars/event-loop";
import type { TimerHandle } from "@lars/event-loop";
import { TcpClient, SendError, isLarsError } from "@lars/tcp-client";
import type { ClientStatus, TcpClientOptions, TcpClientStats, CloseReason } from "@lars/tcp-client";

export async function useClient(port: number): Promise<string> {
  const loop: EventLoop = new EventLoop();
  const options: TcpClientOptions = {
    host: "127.0.0.1",
    port,
    reconnect: { initialDelayMs: 100, maxAttempts: 3 },
    onConnClose: (_client, reason: CloseReason) => void reason,
  };
  const client = new TcpClient(loop, options);
  const status: ClientStatus = client.status;
  const stats: TcpClientStats = client.stats();
  client.addMsgRouter(1, (body, msgid, conn) => {
    const id: number = msgid;
    conn.sendMessage(body, id);
  });
  const timer: TimerHandle = loop.runAfter(10, () => undefined);
  void timer;
  try {
    const accepted: boolean = client.sendMessage("hi", 1);
    void accepted;
  } catch (err) {
    if (err instanceof SendError && isLarsError(err)) return err.code;
  }
  const reply: Buffer = await client.request(1, new Uint8Array([1, 2, 3]), { timeoutMs: 100 });
  // @ts-expect-error port must be a number
  new TcpClient(loop, { host: "127.0.0.1", port: "7777" });
  await loop.stop();
  return status.state + String(stats) + reply.toString("utf8");
}
`;

function tsconfig(module, moduleResolution, files) {
  return {
    compilerOptions: {
      module,
      moduleResolution,
      target: "ES2022",
      lib: ["ES2023"],
      strict: true,
      noEmit: true,
      skipLibCheck: false, // check the installed .d.ts/.d.cts files too
      types: ["node"],
      typeRoots: [TYPE_ROOTS],
    },
    files,
  };
}

// ---------------------------------------------------------------- main

async function main() {
  const workspace = readWorkspace();
  const publicPackages = [...workspace.values()].filter((p) => !p.private);
  if (publicPackages.length === 0) fail("no public package under packages/");

  tempRoot = await mkdtemp(join(tmpdir(), "lars-consumer-"));
  const rel = relative(REPO, tempRoot);
  if (!rel.startsWith("..") && !isAbsolute(rel)) fail(`temp dir ${tempRoot} is inside the repo; set TMPDIR elsewhere`);
  log(`temp dir ${tempRoot}`);

  if (BUILD) {
    await run(join(REPO, "node_modules", ".bin", "turbo"), ["run", "build", "--filter=./packages/*", "--output-logs=errors-only"], "build (turbo run build)", {
      cwd: REPO,
      env: { TURBO_TELEMETRY_DISABLED: "1" },
      timeoutMs: 180_000,
    });
    log("build done");
  }

  // 1. pack
  const packDir = join(tempRoot, "tarballs");
  await mkdir(packDir);
  const packArgs = ["pack", "--json", "--pack-destination", packDir, ...publicPackages.flatMap((p) => ["--workspace", p.name])];
  const packed = await run("npm", packArgs, "npm pack", { cwd: REPO, timeoutMs: 60_000 });
  const packInfo = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("[")));
  const tarballs = new Map();
  for (const info of packInfo) tarballs.set(info.name, join(packDir, info.filename));
  for (const p of publicPackages) if (!tarballs.has(p.name)) fail(`npm pack produced no tarball for ${p.name}`);
  log(`packed ${tarballs.size} packages`);

  // 2. tarball contents and manifests
  const manifests = new Map();
  const problems = [];
  for (const p of publicPackages) {
    const result = checkTarball(p, tarballs.get(p.name), workspace);
    if (result.manifest) manifests.set(p.name, result.manifest);
    const pins = Object.entries(result.manifest?.dependencies ?? {})
      .filter(([d]) => workspace.has(d))
      .map(([d, v]) => `${d}@${v}`);
    console.log(`  ${p.name}@${p.version}  ${result.files.length} files, ${(result.bytes / 1024).toFixed(1)} KiB unpacked; pins: ${pins.join(" ") || "none"}`);
    console.log(`    ${result.files.join("  ")}`);
    for (const problem of result.problems) problems.push(`${p.name}: ${problem}`);
  }
  if (problems.length > 0) fail(`tarball check failed:\n  ${problems.join("\n  ")}`);
  log("tarballs: exact internal pins, only published files");

  // 3. scratch projects (outside the repo), installed in parallel
  const needed = ["@lars/tcp-server", "@lars/tcp-client", "@lars/event-loop", "@lars/codec"];
  for (const n of needed) if (!tarballs.has(n)) fail(`${n} is not a public package of this repo`);
  const serverProject = await createProject(join(tempRoot, "server"), "server", ["@lars/tcp-server", "@lars/event-loop"], tarballs, manifests);
  const clientProject = await createProject(join(tempRoot, "client"), "client", ["@lars/tcp-client", "@lars/event-loop"], tarballs, manifests);
  const codecProject = await createProject(join(tempRoot, "codec-only"), "codec-only", ["@lars/codec"], tarballs, manifests);
  await Promise.all([install(serverProject), install(clientProject), install(codecProject)]);

  // 3a. codec alone: no socket or event-loop package, no socket module
  const codecInstalled = readdirSync(join(codecProject.dir, "node_modules", "@lars")).map((d) => `@lars/${d}`);
  const runtime = codecInstalled.filter((n) => RUNTIME_PACKAGES.includes(n));
  if (runtime.length > 0) fail(`installing @lars/codec alone pulled in ${runtime.join(", ")}`);
  if (codecInstalled.sort().join() !== "@lars/codec,@lars/iobuf")
    fail(`installing @lars/codec alone gave node_modules/@lars = [${codecInstalled.join(", ")}], expected [@lars/codec, @lars/iobuf]`);
  const socketImport = new RegExp(`(?:from\\s*|require\\(\\s*|import\\(\\s*)["'](?:node:)?(?:${SOCKET_MODULES.join("|")})["']`);
  for (const name of codecInstalled) {
    const dist = join(codecProject.dir, "node_modules", name, "dist");
    for (const f of readdirSync(dist).filter((f) => /\.(c|m)?js$/.test(f)))
      if (socketImport.test(readFileSync(join(dist, f), "utf8"))) fail(`${name}/dist/${f} imports a socket/process module (${SOCKET_MODULES.join(", ")})`);
  }
  await writeFile(
    join(codecProject.dir, "smoke.cjs"),
    `"use strict";\nconst { encodeFrame, HEADER_LENGTH } = require("@lars/codec");\nconst f = encodeFrame(7, "abc");\nif (f.length !== HEADER_LENGTH + 3 || f.readInt32LE(0) !== 7 || f.readInt32LE(4) !== 3) throw new Error("bad frame " + f.toString("hex"));\nconsole.log("cjs codec ok");\n`,
  );
  await writeFile(
    join(codecProject.dir, "smoke.mjs"),
    `import { encodeFrame, HEADER_LENGTH } from "@lars/codec";\nimport { BufPool } from "@lars/iobuf";\nconst f = encodeFrame(1, "abcd");\nif (f.length !== HEADER_LENGTH + 4 || f.subarray(HEADER_LENGTH).toString() !== "abcd") throw new Error("bad frame " + f.toString("hex"));\nif (typeof BufPool !== "function") throw new Error("no BufPool");\nconsole.log("esm codec ok");\n`,
  );
  await Promise.all([
    run(process.execPath, ["smoke.cjs"], "codec-only: require(@lars/codec)", { cwd: codecProject.dir, timeoutMs: 20_000 }),
    run(process.execPath, ["smoke.mjs"], "codec-only: import @lars/codec", { cwd: codecProject.dir, timeoutMs: 20_000 }),
  ]);
  log("codec-only: @lars/codec + @lars/iobuf only, no socket or event-loop package; ESM and CJS load");

  // 3b. type-check the client's installed declarations (in parallel with the socket run)
  await writeFile(join(clientProject.dir, "types-esm.mts"), TYPES_SOURCE);
  await writeFile(join(clientProject.dir, "types-cjs.cts"), TYPES_SOURCE);
  await writeFile(join(clientProject.dir, "types-bundler.ts"), TYPES_SOURCE);
  const modes = [
    ["node16", "node16", "node16", ["types-esm.mts", "types-cjs.cts"]],
    ["nodenext", "nodenext", "nodenext", ["types-esm.mts", "types-cjs.cts"]],
    ["bundler", "esnext", "bundler", ["types-bundler.ts"]],
  ];
  const typeChecks = Promise.all(
    modes.map(async ([label, module, resolution, files]) => {
      const config = `tsconfig.${label}.json`;
      await writeFile(join(clientProject.dir, config), `${JSON.stringify(tsconfig(module, resolution, files), null, 2)}\n`);
      await run(process.execPath, [TSC, "-p", config, "--pretty", "false"], `tsc --noEmit (module ${module}, moduleResolution ${resolution})`, {
        cwd: clientProject.dir,
        timeoutMs: 120_000,
      });
      return label;
    }),
  );
  typeChecks.catch(() => {}); // awaited below; do not crash as "unhandled" if something else fails first

  // 3c. server (ESM) + CJS smoke; clients (ESM and CJS) against it
  await writeFile(join(serverProject.dir, "server.mjs"), SERVER_MJS);
  await writeFile(join(serverProject.dir, "smoke.cjs"), SERVER_SMOKE_CJS);
  await writeFile(join(clientProject.dir, "client.mjs"), CLIENT_MJS);
  await writeFile(join(clientProject.dir, "client.cjs"), CLIENT_CJS);
  await run(process.execPath, ["smoke.cjs"], "server: require(@lars/tcp-server) smoke", { cwd: serverProject.dir, timeoutMs: 20_000 });

  const server = start(process.execPath, ["server.mjs", "2"], { cwd: serverProject.dir });
  const port = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new TestFailure(`server did not report its port within 15 s\n${tail(server)}`)), 15_000);
    const onData = () => {
      const m = /listening (\d+)/.exec(server.out);
      if (m) {
        clearTimeout(timer);
        server.stdout.off("data", onData);
        resolvePort(Number(m[1]));
      }
    };
    server.stdout.on("data", onData);
    void server.done.then((r) => {
      clearTimeout(timer);
      reject(new TestFailure(`server exited early (${r.code ?? r.signal})\n${tail(server)}`));
    });
    onData();
  });
  log(`server (ESM, @lars/tcp-server from tarball) listening on 127.0.0.1:${port}`);

  const [esm, cjs] = await Promise.all([
    run(process.execPath, ["client.mjs", String(port), "esm-client"], "client.mjs (ESM import)", { cwd: clientProject.dir, timeoutMs: 30_000 }),
    run(process.execPath, ["client.cjs", String(port), "cjs-client"], "client.cjs (CommonJS require)", { cwd: clientProject.dir, timeoutMs: 30_000 }),
  ]);
  log(`clients: ${esm.stdout.trim()}; ${cjs.stdout.trim()} (exited 0 by themselves after loop.stop())`);

  const serverResult = await finish(server, "server (after both clients closed; a stopped loop must let the process exit)", 15_000);
  if (serverResult.code !== 0 || !serverResult.stdout.includes("stopped"))
    fail(`server exited with ${serverResult.code ?? serverResult.signal}\n${tailText(serverResult.stdout, serverResult.stderr)}`);
  log("server stopped and exited 0 by itself");

  const checked = await typeChecks;
  log(`tsc --noEmit passed against the installed types: ${checked.join(", ")}`);
}

async function cleanup() {
  for (const child of children) killTree(child);
  await Promise.all([...children].map((c) => c.done));
  if (tempRoot && !KEEP) await rm(tempRoot, { recursive: true, force: true, maxRetries: 3 });
  else if (tempRoot) console.log(`kept ${tempRoot}`);
}

let exiting = false;
process.on("unhandledRejection", (err) => {
  if (exiting) return; // work cut short by the time limit or a signal
  console.error(`consumer-test: FAILED: ${err instanceof TestFailure ? err.message : (err?.stack ?? err)}`);
  exiting = true;
  void cleanup().finally(() => process.exit(1));
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    console.error(`consumer-test: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

const overall = setTimeout(() => {
  exiting = true;
  console.error(`consumer-test: FAILED: over the time limit of ${TIME_LIMIT_MS} ms (LARS_CONSUMER_TIMEOUT_MS)`);
  void cleanup().finally(() => process.exit(1));
}, TIME_LIMIT_MS);
overall.unref();

try {
  await main();
  clearTimeout(overall);
  await cleanup();
  log("PASSED");
} catch (err) {
  clearTimeout(overall);
  if (!exiting) {
    console.error(`consumer-test: FAILED: ${err instanceof TestFailure ? err.message : (err?.stack ?? err)}`);
    await cleanup();
    process.exitCode = 1;
  }
}
