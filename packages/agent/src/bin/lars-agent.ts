// lars-agent: the Lars load-balance agent. `lars-agent --config FILE`.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { BinUsageError, createLogger, emptyServiceConfig, onShutdownSignals, readServiceConfig, runBin } from "@lars/service";
import { LarsAgent, agentOptionsFromConfig, startAgentEndpoint } from "../index.js";

const USAGE = `usage: lars-agent [--config FILE]

The Lars load-balance agent: callers ask it for a host over UDP (GetHost 4 -> 5,
Report 6, GetRoute 7 -> 8); it pulls routes from lars-dns and reports to lars-reporter.

  --config FILE  a lars_lb_agent.conf: [agent] ip (127.0.0.1), port (8888), count (3);
                 [dnsserver] ip, port (127.0.0.1:7778); [reporter] ip, port (127.0.0.1:7779);
                 [loadbalance] probe_num, init_succ_cnt, init_err_cnt, err_rate, succ_rate,
                 contin_err_limit, contin_succ_limit, window_err_rate, idle_timeout,
                 overload_timeout, update_timeout, noexist_timeout;
                 [metrics] ip (127.0.0.1), port (9888, 0 = any), enabled (true)
  -h, --help     show this help

Prints "listening on udp HOST:PORT" for each port once it serves, then
"metrics on http://HOST:PORT/metrics" (also /status with every route's host state, /healthz). SIGINT/SIGTERM: exit 0.`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length > 0) throw new BinUsageError(`unexpected argument: ${positionals[0]}`);
  const { config } = values.config !== undefined ? readServiceConfig(values.config) : emptyServiceConfig();
  const logger = createLogger({ name: "lars-agent" });
  const agent = new LarsAgent({ ...agentOptionsFromConfig(config), logger });
  let addrs;
  try {
    addrs = await agent.start();
  } catch (err) {
    await agent.stop();
    throw err;
  }
  const version = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  let http;
  try {
    http = await startAgentEndpoint(config, agent, version);
  } catch (err) {
    await agent.stop();
    throw err;
  }
  onShutdownSignals(async () => {
    await http?.close();
    await agent.stop();
  }, { logger });
  for (const a of addrs) process.stdout.write(`listening on udp ${a.address}:${a.port}\n`);
  if (http !== undefined) process.stdout.write(`metrics on http://${http.host}:${http.port}/metrics\n`);
}

runBin(main, { name: "lars-agent" });
