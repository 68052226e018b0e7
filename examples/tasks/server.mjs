// Lars async tasks (C++ `send_task`): the primary of a multi-worker server
// runs a timer that sends a task to every worker; each worker runs it on its
// own loop and pushes a message (msgid 200) to every connection it holds.
//
//   node server.mjs --host 127.0.0.1 --port 7777 [--workers 2] [--interval 1000]
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";
import { intFlag, parseCli } from "../_shared/cli.mjs";

const PUSH_MSGID = 200;

const USAGE = `usage: node server.mjs [options]

  --host HOST      address to listen on (default 127.0.0.1)
  --port PORT      TCP port, 0 = any free port (default 7777)
  --workers N      worker processes (default 2; 0 runs the task in this process)
  --interval MS    how often the primary sends the task (default 1000)
  -h, --help       show this help

The first line printed is "listening on HOST:PORT". SIGINT/SIGTERM: graceful stop, exit 0.`;

const values = parseCli(USAGE, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "7777" },
  workers: { type: "string", default: "2" },
  interval: { type: "string", default: "1000" },
});
const workers = intFlag(values, "workers", 0, 64);
const interval = intFlag(values, "interval", 1, 3_600_000);

const loop = new EventLoop({ logger: console });
const server = new TcpServer(loop, {
  host: values.host,
  port: intFlag(values, "port", 0, 65535),
  workers,
  logger: console,
});

// The task runs in every worker (this program runs in each of them), on that
// worker's loop, and reaches the connections that worker holds.
server.onTask("push", ({ n }) => {
  const conns = server.connections();
  for (const conn of conns) conn.sendMessage(`push #${n} from worker pid ${process.pid} (${conns.length} connections here)`, PUSH_MSGID);
});

let address;
try {
  address = await server.listen();
} catch (err) {
  console.error(`cannot listen on ${values.host}:${values.port}: ${err.message}`);
  process.exit(1);
}

// Only the primary (or the single process) runs the timer.
if (server.role !== "worker") {
  for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void loop.stop());
  console.log(`listening on ${address.address}:${address.port}`);
  console.log(`primary pid ${process.pid}: sending task "push" to ${workers > 0 ? `${workers} workers` : "itself (no workers)"} every ${interval} ms`);
  let n = 0;
  loop.runEvery(interval, () => server.sendTask("push", { n: ++n }, "all"));
}
await loop.run();
