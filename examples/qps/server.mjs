// Lars QPS server (C++ ch. 13): decodes every qps_test.EchoMessage (msgid 1)
// and sends it back with the same msgid. Wire-compatible with the C++ Lars
// qps client and server.
//
//   node server.mjs --host 127.0.0.1 --port 7777 [--workers N]
import { typedRoute } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { echoMessageCodec } from "@lars/protobuf";
import { TcpServer } from "@lars/tcp-server";
import { intFlag, parseCli } from "../_shared/cli.mjs";

const USAGE = `usage: node server.mjs [options]

  --host HOST    address to listen on (default 127.0.0.1)
  --port PORT    TCP port, 0 = any free port (default 7777)
  --workers N    worker processes, 0 = serve in this process (default 0)
  --max-conn N   most connections at once (default 1024)
  -h, --help     show this help

The first line printed is "listening on HOST:PORT". SIGINT/SIGTERM: graceful stop, exit 0.`;

const values = parseCli(USAGE, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "7777" },
  workers: { type: "string", default: "0" },
  "max-conn": { type: "string", default: "1024" },
});

const loop = new EventLoop({ logger: console });
const server = new TcpServer(loop, {
  host: values.host,
  port: intFlag(values, "port", 0, 65535),
  workers: intFlag(values, "workers", 0, 64),
  maxConn: intFlag(values, "max-conn", 1, 1_000_000),
  logger: console,
});

// The C++ server's handler: parse the EchoMessage, serialize it again, send it back.
server.addMsgRouter(
  1,
  typedRoute(echoMessageCodec, (message, msgid, conn) => conn.sendMessage(echoMessageCodec.encode(message), msgid)),
);

let address;
try {
  address = await server.listen();
} catch (err) {
  console.error(`cannot listen on ${values.host}:${values.port}: ${err.message}`);
  process.exit(1);
}

if (server.role !== "worker") {
  // Handlers before the line: whoever reads it may signal at once.
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => void loop.stop());
  console.log(`listening on ${address.address}:${address.port}`);
}
await loop.run();
