// Lars echo client — the C++ tutorial's client: connect, say hello (msgid 1),
// send a few more messages, print every frame that comes back, and stop.
//
//   node client.mjs --host 127.0.0.1 --port 7777 [--count N]
import { MessageRouter } from "@lars/codec";
import { EventLoop } from "@lars/event-loop";
import { TcpClient } from "@lars/tcp-client";
import { intFlag, parseCli } from "../_shared/cli.mjs";

const USAGE = `usage: node client.mjs [options]

  --host HOST     server address (default 127.0.0.1)
  --port PORT     server port (default 7777)
  --count N       extra messages to echo after hello/ping/pid (default 3)
  --timeout MS    give up when the replies take longer (default 5000)
  -h, --help      show this help

Sends msgid 1 "hello lars!", msgid 2 "ping", msgid 3 "pid?" (answered with
"pong" and the server's pid by a server run with --demo-routes, echoed
otherwise) and N messages on msgids 10.., prints every frame received, and exits 0 once all
replies arrived (1 on a connection error or timeout).`;

const values = parseCli(USAGE, {
  host: { type: "string", default: "127.0.0.1" },
  port: { type: "string", default: "7777" },
  count: { type: "string", default: "3" },
  timeout: { type: "string", default: "5000" },
});
const host = values.host;
const port = intFlag(values, "port", 1, 65535);
const count = intFlag(values, "count", 0, 1000);
const timeoutMs = intFlag(values, "timeout", 1, 600_000);

const requests = [
  [1, "hello lars!"],
  [2, "ping"],
  [3, "pid?"],
];
for (let i = 0; i < count; i++) requests.push([10 + i, `message ${i + 1}`]);

const loop = new EventLoop({ logger: console });
let pending = requests.length;

function fail(message) {
  console.error(message);
  process.exitCode = 1;
  void loop.stop();
}

// Print every frame; the welcome (msgid 101) is not a reply, the others are.
const router = new MessageRouter({
  onUnknown(body, msgid) {
    console.log(`msgid ${msgid}: ${body.toString()}`);
    if (msgid !== 101 && --pending === 0) void loop.stop();
  },
});

new TcpClient(loop, {
  host,
  port,
  router,
  reconnect: false, // a one-shot tool: report a refused connection instead of retrying
  onConnStart(client) {
    console.log(`connected to ${host}:${port}`);
    for (const [msgid, text] of requests) client.sendMessage(text, msgid);
  },
  onConnClose(_client, reason) {
    if (pending > 0) fail(`connection closed (${reason}) with ${pending} replies missing`);
  },
  onGiveUp: (_client, err) => fail(`cannot connect: ${err.message}`),
  onError: () => {}, // connect failures also arrive at onGiveUp, which reports them
});

loop.runAfter(timeoutMs, () => fail(`timed out after ${timeoutMs} ms with ${pending} replies missing`));
await loop.run();
