// Contender "raw" server: node:net echo of Lars frames, ONE socket.write per
// reply frame, TCP_NODELAY on. Prints {"event":"listening","port":P}.
//   node bench/servers/raw.mjs [--host 127.0.0.1] [--port 0]
import net from "node:net";
import { benchArgs, emit, serverControl } from "../lib/common.mjs";
import { FrameReader, encodeFrame } from "../lib/raw-framing.mjs";

const args = benchArgs();
let conns = 0;

const server = net.createServer({ noDelay: true }, (socket) => {
  conns++;
  socket.setNoDelay(true);
  const reader = new FrameReader((msgid, body) => {
    socket.write(encodeFrame(msgid, body));
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
