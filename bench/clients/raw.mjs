// Contender "raw" client: C node:net connections; each keeps D requests in
// flight (D = 1: ping-pong), sending the next request when a reply arrives;
// ONE socket.write per request frame (encoded per message, as the server
// encodes each reply). Prints one JSON result line at the end.
//   node bench/clients/raw.mjs --port P [--conns C] [--depth D] [--seconds S] [--warmup W]
import net from "node:net";
import { performance } from "node:perf_hooks";
import { LatencyMeter, MSGID, SendTimes, benchArgs, emit, fail } from "../lib/common.mjs";
import { FrameReader, encodeFrame } from "../lib/raw-framing.mjs";

const { host, port, conns, depth, seconds, warmup, payload } = benchArgs();
const sockets = [];
const meter = new LatencyMeter({
  warmup,
  seconds,
  onDone(result) {
    emit(result);
    for (const s of sockets) s.destroy();
    process.exit(0);
  },
});

function open() {
  const socket = net.connect({ host, port, noDelay: true });
  sockets.push(socket);
  const times = new SendTimes(depth);
  const send = () => {
    times.push(performance.now());
    socket.write(encodeFrame(MSGID, payload));
  };
  const reader = new FrameReader((msgid, body) => {
    if (msgid !== MSGID || body.length !== payload.length) fail(`raw client: unexpected reply msgid ${msgid}, ${body.length} bytes`);
    meter.record(times.shift());
    send();
  });
  socket.on("connect", () => {
    socket.setNoDelay(true);
    for (let i = 0; i < depth; i++) send();
  });
  socket.on("data", (chunk) => reader.push(chunk));
  socket.on("error", (err) => fail(`raw client: ${err.message}`));
  socket.on("close", () => fail("raw client: connection closed by the server"));
}

for (let i = 0; i < conns; i++) open();
meter.start();
