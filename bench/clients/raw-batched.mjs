// Contender "raw-batched" client: as the raw client, but the requests
// produced during one loop turn are collected per connection and written
// with one socket.write (Buffer.concat) from a setImmediate.
//   node bench/clients/raw-batched.mjs --port P [--conns C] [--depth D] [--seconds S] [--warmup W]
import net from "node:net";
import { performance } from "node:perf_hooks";
import { LatencyMeter, MSGID, SendTimes, benchArgs, emit, fail } from "../lib/common.mjs";
import { FrameReader, TurnBatcher, encodeFrame } from "../lib/raw-framing.mjs";

const { host, port, conns, depth, seconds, warmup, payload } = benchArgs();
const batcher = new TurnBatcher();
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
  const c = { socket, out: [] };
  const times = new SendTimes(depth);
  const send = () => {
    times.push(performance.now());
    batcher.queue(c, encodeFrame(MSGID, payload));
  };
  const reader = new FrameReader((msgid, body) => {
    if (msgid !== MSGID || body.length !== payload.length) fail(`raw-batched client: unexpected reply msgid ${msgid}, ${body.length} bytes`);
    meter.record(times.shift());
    send();
  });
  socket.on("connect", () => {
    socket.setNoDelay(true);
    for (let i = 0; i < depth; i++) send();
  });
  socket.on("data", (chunk) => reader.push(chunk));
  socket.on("error", (err) => fail(`raw-batched client: ${err.message}`));
  socket.on("close", () => fail("raw-batched client: connection closed by the server"));
}

for (let i = 0; i < conns; i++) open();
meter.start();
