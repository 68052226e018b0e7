// Lars echo server — the C++ tutorial's reactor v0.4–v0.8 in a few lines:
// a hello route, a catch-all echo, connect/close hooks and a per-connection
// attribute; plus multi-core workers, a serv.conf and a UDP echo beside it.
//
//   node server.mjs --host 127.0.0.1 --port 7777 [--max-conn N] [--workers N]
//                   [--config serv.conf] [--udp-port P] [--no-welcome] [--demo-routes]
//
// Its contract (what interop peers assume): every frame is answered with the
// same msgid and the same body.
//   1  hello   echoes the body, logs the greeting with the connection's name
//   *          any other msgid: echoed as it is (the router's onUnknown)
// With --demo-routes, two routes answer differently (the tutorial's routing demo):
//   2  ping    "ping" → "pong" (anything else is echoed)
//   3  pid     replies with this process's pid (which worker served you)
// On connect the server sends msgid 101 "welcome! you online.." (the C++
// tutorial's hello), unless --no-welcome.
import { MessageRouter } from "@lars/codec";
import { LarsConfig, serverOptionsFromConfig } from "@lars/config";
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";
import { intFlag, parseCli, usageError, userPath } from "../_shared/cli.mjs";

const USAGE = `usage: node server.mjs [options]

  --host HOST      address to listen on (default 127.0.0.1, or [reactor] ip)
  --port PORT      TCP port, 0 = any free port (default 7777, or [reactor] port)
  --max-conn N     most connections at once (default 1024, or [reactor] maxConn)
  --workers N      worker processes, 0 = serve in this process (default 0, or [reactor] threadNum)
  --config FILE    a Lars serv.conf; its [reactor] section gives ip, port,
                   maxConn and threadNum. Flags given on the command line win.
                   A relative FILE is read from the folder you ran the command in.
  --udp-port PORT  also serve a UDP echo on this port (same routes)
  --no-welcome     do not send msgid 101 "welcome! you online.." on connect
  --demo-routes    msgid 2 answers "ping" with "pong", msgid 3 answers with the
                   serving process's pid (default: every msgid is echoed)
  -h, --help       show this help

Every frame is answered with its msgid and body (an echo), except the demo routes.

The first line printed is "listening on HOST:PORT". SIGINT/SIGTERM: graceful stop, exit 0.`;

const values = parseCli(USAGE, {
  host: { type: "string" },
  port: { type: "string" },
  "max-conn": { type: "string" },
  workers: { type: "string" },
  config: { type: "string" },
  "udp-port": { type: "string" },
  "no-welcome": { type: "boolean" },
  "demo-routes": { type: "boolean" },
});
const welcome = values["no-welcome"] !== true;
const demoRoutes = values["demo-routes"] === true;

const flags = {
  host: values.host,
  port: intFlag(values, "port", 0, 65535),
  maxConn: intFlag(values, "max-conn", 1, Number.MAX_SAFE_INTEGER),
  workers: intFlag(values, "workers", 0, 64),
};
// Options: built-in defaults < serv.conf < command-line flags.
let options = { host: "127.0.0.1", port: 7777, maxConn: 1024, workers: 0 };
if (values.config !== undefined) {
  try {
    options = serverOptionsFromConfig(await LarsConfig.load(userPath(values.config)), "reactor", options);
  } catch (err) {
    usageError(`--config: ${err.message}`);
  }
}
for (const [key, value] of Object.entries(flags)) if (value !== undefined) options[key] = value;
const udpPort = intFlag(values, "udp-port", 0, 65535);

// Routes. The catch-all echo is the router's onUnknown; explicit routes win over it.
const router = new MessageRouter({ onUnknown: (body, msgid, conn) => conn.sendMessage(body, msgid) });
router.register(1, (body, msgid, conn) => {
  console.log(`hello from ${conn.getAttr("name") ?? `udp ${conn.remoteAddress}:${conn.remotePort}`}: ${body.toString()}`);
  conn.sendMessage(body, msgid);
});
if (demoRoutes) {
  router.register(2, (body, msgid, conn) => conn.sendMessage(body.toString() === "ping" ? "pong" : body, msgid));
  router.register(3, (_body, msgid, conn) => conn.sendMessage(String(process.pid), msgid));
}

const loop = new EventLoop({ logger: console });
const server = new TcpServer(loop, {
  ...options,
  router,
  logger: console,
  onConnStart(conn) {
    // A connection attribute (C++ "connection parameters"): set once here, read in every handler.
    conn.setAttr("name", `conn ${conn.id} (${conn.remoteAddress}:${conn.remotePort}, pid ${process.pid})`);
    if (welcome) conn.sendMessage("welcome! you online..", 101);
  },
  onConnClose(conn, reason) {
    console.log(`${conn.getAttr("name")} closed: ${reason}`);
  },
});

let address;
try {
  address = await server.listen();
} catch (err) {
  console.error(`cannot listen on ${options.host}:${options.port}: ${err.message}`);
  process.exit(1);
}

// With --workers N this program also runs in N workers, each of which gets
// here too: only the primary (or the single process) reports and owns UDP.
if (server.role !== "worker") {
  // Handlers first: whoever reads the line below may signal at once.
  const stop = (signal) => {
    if (loop.stopping) return;
    console.log(`${signal}: shutting down`);
    void loop.stop();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  console.log(`listening on ${address.address}:${address.port}`);
  if (options.workers > 0) console.log(`serving with ${options.workers} workers (primary pid ${process.pid})`);
  if (udpPort !== undefined) {
    try {
      const { UdpServer } = await import("@lars/udp"); // loaded only when asked for
      const udp = new UdpServer(loop, { host: options.host, port: udpPort, router, logger: console });
      const u = await udp.bind();
      console.log(`udp listening on ${u.address}:${u.port}`);
    } catch (err) {
      console.error(`cannot serve UDP on ${options.host}:${udpPort}: ${err.message}`);
      process.exitCode = 1;
      await loop.stop();
    }
  }
}

await loop.run();
if (server.role !== "worker") console.log("stopped");
