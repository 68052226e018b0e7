// The server side of bench/run.mjs, in a worker thread (its own event loop, so the
// load generator in the main thread does not share it): either a DnsServer over a
// SQLite store, or a raw echo TcpServer of the same reactor (msgid 1 in, the same
// body back as msgid 2: what a DNS lookup costs without the DNS).
import { parentPort, workerData } from "node:worker_threads";
import { performance } from "node:perf_hooks";
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";
import { openStore } from "@lars/store";
import { DnsServer } from "../dist/index.js";

const { mode, db, maxConn } = workerData;
const now = () => performance.timeOrigin + performance.now();
let close;
let dns;
let store;

if (mode === "echo") {
  const loop = new EventLoop();
  const server = new TcpServer(loop, { host: "127.0.0.1", port: 0, maxConn });
  server.addMsgRouter(1, (body, _msgid, conn) => conn.sendMessage(body, 2));
  const { port } = await server.listen();
  close = async () => {
    await server.close();
    await loop.stop();
  };
  parentPort.postMessage({ event: "listening", port });
} else {
  store = await openStore({ type: "sqlite", path: db });
  dns = new DnsServer({ store, port: 0, maxConn, pollIntervalMs: 1000, fullReloadMs: 3_600_000 });
  const { port } = await dns.start();
  close = async () => {
    await dns.close();
    await store.close();
  };
  parentPort.postMessage({ event: "listening", port });
}

parentPort.on("message", async (m) => {
  if (m.cmd === "change") {
    // An admin change through this process's store: the DnsServer reloads and pushes at once.
    const pushes = dns.stats().pushes;
    const t0 = now();
    const r = m.add ? await store.addHost(m.modid, m.cmdid, m.host) : await store.removeHost(m.modid, m.cmdid, m.host);
    const committedAt = now();
    // When the server has handed every push to its connections (written at the end of that loop turn).
    while (dns.stats().pushes < pushes + m.subscribers) await new Promise((resolve) => setImmediate(resolve));
    parentPort.postMessage({ event: "changed", t0, committedAt, pushedAt: now(), version: r.version });
  } else if (m.cmd === "stats") {
    parentPort.postMessage({ event: "stats", stats: dns?.stats() });
  } else if (m.cmd === "stop") {
    await close();
    parentPort.postMessage({ event: "stopped" });
    parentPort.close();
  }
});
