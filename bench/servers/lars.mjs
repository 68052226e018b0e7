// Contender "lars" server: an @lars TcpServer echoing msgid 1 (the body as
// is, through conn.sendMessage: encoded into the connection's OutputBuf and
// flushed once per loop turn). Default EventLoop and server options except
// host/port/maxConn. Prints {"event":"listening","port":P}.
//   node bench/servers/lars.mjs [--host 127.0.0.1] [--port 0] [--max-conn N]
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "@lars/tcp-server";
import { MSGID, benchArgs, emit, serverControl } from "../lib/common.mjs";

const args = benchArgs();
const loop = new EventLoop();
const server = new TcpServer(loop, {
  host: args.host,
  port: args.port,
  maxConn: args.maxConn,
  onError: (err) => process.stderr.write(`lars server: ${err.message}\n`),
});
server.addMsgRouter(MSGID, (body, msgid, conn) => conn.sendMessage(body, msgid));
const address = await server.listen();
emit({ event: "listening", port: address.port });
serverControl(() => server.connectionCount);
