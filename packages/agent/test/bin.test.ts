import { spawn } from "node:child_process";
import { createSocket } from "node:dgram";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { MsgId, getHostRequestCodec, getHostResponseCodec, getRouteRequestCodec, getRouteResponseCodec, ipToInt32 } from "@lars/proto";
import { TcpServer } from "@lars/tcp-server";

const BIN = fileURLToPath(new URL("../bin/lars-agent.mjs", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "lars-agent-bin-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

describe("lars-agent", () => {
  it("--help prints usage (with the metrics section) and exits 0; bad usage exits 2", async () => {
    const r = await run(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/usage: lars-agent/);
    expect(r.stdout).toMatch(/\[metrics\]/);
    const bad = await run(["--bogus"]);
    expect(bad.code).toBe(2);
  });

  it("serves UDP and /status with the route's host state; SIGTERM exits 0", async () => {
    const loop = new EventLoop();
    const dns = new TcpServer(loop, { host: "127.0.0.1", port: 0 });
    dns.addMsgRouter(MsgId.GetRouteRequest, (body, _m, conn) => {
      const req = getRouteRequestCodec.decode(body);
      conn.sendMessage(getRouteResponseCodec.encode({ modid: req.modid, cmdid: req.cmdid, host: [{ ip: ipToInt32("10.1.2.3"), port: 80 }] }), MsgId.GetRouteResponse);
    });
    const dnsAddr = await dns.listen();
    const conf = join(dir, "agent.conf");
    writeFileSync(conf, `[agent]\nport = 0\n[dnsserver]\nip = 127.0.0.1\nport = ${dnsAddr.port}\n[reporter]\nport = 1\n[metrics]\nport = 0\n`);
    const child = spawn(process.execPath, [BIN, "--config", conf], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = once(child, "exit") as Promise<[number | null, string | null]>;
    const udpPorts: number[] = [];
    let metricsUrl = "";
    for await (const line of createInterface({ input: child.stdout })) {
      const udp = /^listening on udp 127\.0\.0\.1:(\d+)$/.exec(line);
      if (udp) udpPorts.push(Number(udp[1]));
      const m = /^metrics on (http:\/\/\S+)\/metrics$/.exec(line);
      if (m) {
        metricsUrl = m[1] as string;
        break;
      }
    }
    expect(udpPorts).toHaveLength(3);
    // (modid 1 + cmdid 1) % 3 = 2: the third port holds the route
    const sock = createSocket("udp4");
    sock.bind(0, "127.0.0.1");
    await once(sock, "listening");
    const answers: { retcode: number }[] = [];
    sock.on("message", (msg: Buffer) => answers.push(getHostResponseCodec.decode(msg.subarray(8))));
    let seq = 0;
    const ask = async (): Promise<number> => {
      const body = getHostRequestCodec.encode({ seq: ++seq, modid: 1, cmdid: 1 });
      const head = Buffer.alloc(8);
      head.writeInt32LE(MsgId.GetHostRequest, 0);
      head.writeInt32LE(body.length, 4);
      sock.send(Buffer.concat([head, body]), udpPorts[2] as number, "127.0.0.1");
      await once(sock, "message");
      return (answers.at(-1) as { retcode: number }).retcode;
    };
    while ((await ask()) !== 0);
    sock.close();
    const status = (await (await fetch(`${metricsUrl}/status`)).json()) as {
      service: string;
      routes: { modid: number; hosts: { ip: string; state: string; picks: number }[] }[];
      connections: { dns: boolean };
      stats: { getHosts: number };
    };
    expect(status.service).toBe("agent");
    expect(status.connections.dns).toBe(true);
    expect(status.routes).toEqual([expect.objectContaining({ modid: 1, cmdid: 1, hosts: [expect.objectContaining({ ip: "10.1.2.3", port: 80, state: "idle", picks: 1 })] })]);
    expect(status.stats.getHosts).toBe(seq);
    const metrics = await (await fetch(`${metricsUrl}/metrics`)).text();
    expect(metrics).toMatch(/^lars_agent_get_hosts \d+/m);
    expect(metrics).toMatch(/^lars_agent_host_picks\{modid="1",cmdid="1",host="10\.1\.2\.3:80"\} 1$/m);
    expect(metrics).toMatch(/^lars_agent_host_overloaded\{modid="1",cmdid="1",host="10\.1\.2\.3:80"\} 0$/m);
    child.kill("SIGTERM");
    const [code] = await exited;
    expect({ code, stderr: code === 0 ? "" : stderr }).toEqual({ code: 0, stderr: "" });
    await loop.stop();
  });
});
