// Connects N clients to the tasks server and prints every push (msgid 200).
//
//   node client.mjs --host 127.0.0.1 --port 7777 [--conns 4] [--pushes 3]
import { EventLoop } from "@lars/event-loop";
import { TcpClient } from "@lars/tcp-client";
import { intFlag, parseCli } from "../_shared/cli.mjs";

const PUSH_MSGID = 200;

const USAGE = `usage: node client.mjs [options]

  --host HOST     server address (default 127.0.0.1)
  --port PORT     server port (default 7777)
  --conns N       connections (default 4)
  --pushes K      exit 0 once every connection got K pushes; 0 = run until Ctrl-C (default 3)
  -h, --help      show this help`;

const values = parseCli(USAGE, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "7777" },
  conns: { type: "string", default: "4" },
  pushes: { type: "string", default: "3" },
});
const host = values.host;
const port = intFlag(values, "port", 1, 65535);
const conns = intFlag(values, "conns", 1, 10_000);
const pushes = intFlag(values, "pushes", 0, 1_000_000);

const loop = new EventLoop({ logger: console });
let waiting = conns; // connections that still want pushes

function fail(message) {
  console.error(message);
  process.exitCode = 1;
  void loop.stop();
}

for (let i = 1; i <= conns; i++) {
  const client = new TcpClient(loop, {
    host,
    port,
    reconnect: false,
    onConnClose: (_c, reason) => {
      if (!loop.stopping) fail(`conn ${i}: closed (${reason})`);
    },
    onGiveUp: (_c, err) => fail(`conn ${i}: cannot connect: ${err.message}`),
    onError: () => {}, // connect failures also end in onGiveUp
  });
  let received = 0;
  client.addMsgRouter(PUSH_MSGID, (body) => {
    console.log(`conn ${i}: ${body.toString()}`);
    if (++received === pushes && --waiting === 0) void loop.stop();
  });
}
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => void loop.stop());
await loop.run();
