// The QPS test in one command (`npm start` at the repository root): starts
// the QPS server on a free local port, runs the QPS client against it (live
// QPS every second, then the summary), stops the server, exits 0.
// Server and client are separate processes, as in the C++ test, so each
// gets a core of its own.
//
//   node demo.mjs [--conns 8] [--depth 1] [--seconds 10] [--workers 0]
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { parseCli } from "../_shared/cli.mjs";

const USAGE = `usage: node demo.mjs [options]

  --conns C      client connections (default 8)
  --depth D      messages in flight per connection, 1 = ping-pong (default 1)
  --seconds S    how long to measure (default 10)
  --workers N    server worker processes (default 0: one server process)
  -h, --help     show this help`;

const values = parseCli(USAGE, {
  conns: { type: "string", default: "8" },
  depth: { type: "string", default: "1" },
  seconds: { type: "string", default: "10" },
  workers: { type: "string", default: "0" },
});

const here = (file) => fileURLToPath(new URL(file, import.meta.url));
const children = new Set();
function run(script, args, options) {
  const child = spawn(process.execPath, [here(script), ...args], options);
  children.add(child);
  child.on("exit", () => children.delete(child));
  return child;
}
// Never leave a process behind, whatever happens to this one.
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});
// Ctrl-C: the client stops early and prints its summary; then the server is
// stopped as usual. (The server runs in its own process group, so Ctrl-C
// does not close it under the client's feet.)
let client;
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    if (client !== undefined) client.kill("SIGINT");
    else for (const child of children) child.kill("SIGTERM"); // not started yet: just stop
  });
}

async function exitCode(child) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? 1;
  const [code] = await once(child, "exit");
  return code ?? 1;
}

// 1. The server, on port 0; its first line says where it listens.
const server = run("server.mjs", ["--host", "127.0.0.1", "--port", "0", "--workers", values.workers], {
  stdio: ["ignore", "pipe", "inherit"],
  detached: true,
});
const firstLine = await new Promise((resolve) => {
  let text = "";
  const onData = (chunk) => {
    text += chunk;
    if (text.includes("\n")) done(text.slice(0, text.indexOf("\n")));
  };
  const done = (line) => {
    server.stdout.off("data", onData);
    server.off("exit", done);
    resolve(line);
  };
  server.stdout.setEncoding("utf8").on("data", onData);
  server.once("exit", () => done(""));
});
const listening = /^listening on (.+):(\d+)$/.exec(firstLine ?? "");
if (listening === null) {
  console.error(`demo: the QPS server did not start${firstLine ? ` (it said: ${firstLine})` : ""}`);
  process.exit(1);
}
server.stdout.resume(); // keep draining (it prints nothing more)
const [, host, port] = listening;
const workers = Number(values.workers);
console.log(`demo: QPS server pid ${server.pid} on ${host}:${port}${workers > 0 ? ` with ${workers} workers` : ""}`);
console.log(`demo: QPS client: ${values.conns} connections x ${values.depth} in flight, ${values.seconds} s (node client.mjs --port ${port} --conns ${values.conns} --depth ${values.depth} --seconds ${values.seconds})`);

// 2. The client, printing straight to this terminal.
const clientArgs = ["--host", host, "--port", port, "--conns", values.conns, "--depth", values.depth, "--seconds", values.seconds];
client = run("client.mjs", clientArgs, { stdio: "inherit" });
const clientCode = await exitCode(client);

// 3. Stop the server gracefully and wait for it.
if (server.exitCode === null && server.signalCode === null) server.kill("SIGTERM");
const serverCode = await exitCode(server);
if (serverCode !== 0) console.error(`demo: the QPS server exited with code ${serverCode}`);
if (clientCode === 0 && Number(values.depth) === 1) {
  console.log("demo: pipelined: npm run -w @lars/example-qps demo -- --depth 16");
}
process.exitCode = clientCode !== 0 ? clientCode : serverCode;
