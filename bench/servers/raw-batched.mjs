// Contender "raw-batched" server: node:net echo of Lars frames; the replies
// produced during one loop turn are collected per connection and written
// with one socket.write (Buffer.concat) from a setImmediate. TCP_NODELAY on.
//   node bench/servers/raw-batched.mjs [--host 127.0.0.1] [--port 0]
import net from "node:net";
import { benchArgs, emit, serverControl } from "../lib/common.mjs";
import { FrameReader, TurnBatcher, encodeFrame } from "../lib/raw-framing.mjs";

const args = benchArgs();
const batcher = new TurnBatcher();
let conns = 0;

const server = net.createServer({ noDelay: true }, (socket) => {
  conns++;
  socket.setNoDelay(true);
  const c = { socket, out: [] };
  const reader = new FrameReader((msgid, body) => {
    batcher.queue(c, encodeFrame(msgid, body));
  });
  socket.on("data", (chunk) => {
    try {
      reader.push(chunk);
    } catch {
      socket.destroy();
    }
  });
  socket.on("error", () => {});
  socket.on("close", () => conns--);
});
server.maxConnections = args.maxConn;
server.listen({ host: args.host, port: args.port, backlog: 511 }, () => {
  emit({ event: "listening", port: server.address().port });
});
serverControl(() => conns);
