// Contender "lars" client: C @lars TcpClients on one EventLoop; each keeps
// D requests in flight (D = 1: ping-pong), sending the next request from its
// msgid-1 route handler when a reply arrives (client.sendMessage: encoded
// into the connection's OutputBuf, flushed once the reply chunk is decoded). Default
// options except reconnect: false. Prints one JSON result line at the end.
//   node bench/clients/lars.mjs --port P [--conns C] [--depth D] [--seconds S] [--warmup W]
import { performance } from "node:perf_hooks";
import { EventLoop } from "@lars/event-loop";
import { TcpClient } from "@lars/tcp-client";
import { LatencyMeter, MSGID, SendTimes, benchArgs, emit, fail } from "../lib/common.mjs";

const { host, port, conns, depth, seconds, warmup, payload } = benchArgs();
const loop = new EventLoop();
const meter = new LatencyMeter({
  warmup,
  seconds,
  onDone(result) {
    emit(result);
    process.exit(0);
  },
});

function open() {
  const times = new SendTimes(depth);
  const client = new TcpClient(loop, {
    host,
    port,
    reconnect: false,
    onConnStart(c) {
      for (let i = 0; i < depth; i++) {
        times.push(performance.now());
        c.sendMessage(payload, MSGID);
      }
    },
    onConnClose: (_c, reason, err) => fail(`lars client: connection closed (${reason}) ${err?.message ?? ""}`),
    onGiveUp: (_c, err) => fail(`lars client: gave up: ${err.message}`),
    onError: (_c, err) => fail(`lars client: ${err.message}`),
  });
  client.addMsgRouter(MSGID, (body, msgid, c) => {
    if (body.length !== payload.length) fail(`lars client: unexpected reply msgid ${msgid}, ${body.length} bytes`);
    meter.record(times.shift());
    times.push(performance.now());
    c.sendMessage(payload, MSGID);
  });
}

for (let i = 0; i < conns; i++) open();
meter.start();
