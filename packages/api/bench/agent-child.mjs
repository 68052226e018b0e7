// The bench's agent, in its own process: a fake DNS (TcpServer answering GetRouteRequest with
// route 1:1 -> two hosts) and a real LarsAgent on three free ports. Prints one JSON line
// {"ports":[...]} once serving; stops on SIGTERM or when stdin closes.
import { LarsAgent } from "@lars/agent";
import { EventLoop } from "@lars/event-loop";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec, ipToInt32 } from "@lars/proto";
import { TcpServer } from "@lars/tcp-server";

const loop = new EventLoop();
const dns = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
const hosts = [{ ip: ipToInt32("10.0.0.1"), port: 9000 }, { ip: ipToInt32("10.0.0.2"), port: 9000 }];
dns.addMsgRouter(MsgId.GetRouteRequest, (body, _m, conn) => {
  const req = getRouteRequestCodec.decode(body);
  conn.sendMessage(getRouteResponseCodec.encode({ modid: req.modid, cmdid: req.cmdid, host: hosts }), MsgId.GetRouteResponse);
});
const sink = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
sink.addMsgRouter(MsgId.ReportStatusRequest, () => undefined);
const dnsAddr = await dns.listen();
const sinkAddr = await sink.listen();
const agent = new LarsAgent({ port: 0, dns: { host: "127.0.0.1", port: dnsAddr.port }, reporter: { host: "127.0.0.1", port: sinkAddr.port } });
const addrs = await agent.start();
process.stdout.write(`${JSON.stringify({ ports: addrs.map((a) => a.port) })}\n`);
let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await agent.stop();
  await loop.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.resume();
