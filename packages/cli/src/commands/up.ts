import { parseArgs } from "node:util";
import { LarsClient } from "@lars/api";
import { BinUsageError, createLogger } from "@lars/service";
import { ensureDataDir } from "../data-dir.js";
import { DEMO_ROUTES, DemoTraffic } from "../demo.js";
import { OverloadLog, liveLine, summary } from "../live-report.js";
import { startSystem } from "../system.js";

export const UP_USAGE = `usage: lars up [--dir DIR] [--console-port P] [--demo] [--seconds N]

Starts the whole Lars system in this process: lars-dns, lars-reporter, lars-agent and the
web console, on one SQLite file in DIR. On the first run it writes DIR/dns.conf,
reporter.conf, agent.conf and console.conf (the console's login password is in
console.conf, readable only by you) and seeds two demo routes.

  --dir DIR           where the state lives (default ./lars-data)
  --console-port P    the console's port (default: console.conf, 8080; 0 = any free port)
  --demo              simulated callers against simulated backends: 127.0.0.1:9103 is
                      down from the 3rd to the 18th second, 127.0.0.1:9104 fails one call
                      in five; watch the agent steer around them
  --seconds N         stop after N seconds (default: run until Ctrl-C)
  -h, --help          show this help

Prints "console on http://HOST:PORT" once the console serves, then one line per second:
calls/s, each host's share of its route's calls, the hosts in overload. Ctrl-C, SIGTERM or
--seconds: graceful stop, a summary, exit 0.`;

/** `lars up`. */
export async function up(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: {
      dir: { type: "string" },
      "console-port": { type: "string" },
      demo: { type: "boolean" },
      seconds: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${UP_USAGE}\n`);
    return;
  }
  if (positionals.length > 0) throw new BinUsageError(`unexpected argument: ${positionals[0]}`);
  const seconds = optionalInt(values.seconds, "--seconds", 1);
  const consolePort = optionalInt(values["console-port"], "--console-port", 0);
  const data = ensureDataDir(values.dir ?? "lars-data", process.env.INIT_CWD ?? process.cwd());
  const logger = createLogger({ name: "lars", level: (process.env.LARS_LOG_LEVEL as "info" | undefined) ?? "warn" });

  const system = await startSystem(data, { logger, ...(consolePort === undefined ? {} : { consolePort }) });
  if ((await system.store.listRoutes()).length === 0) {
    for (const r of DEMO_ROUTES) await system.store.replaceHosts(r.modid, r.cmdid, [...r.hosts]);
    process.stdout.write(`seeded routes ${DEMO_ROUTES.map((r) => `${r.modid}:${r.cmdid}`).join(", ")} into ${data.dir}\n`);
  }
  process.stdout.write(`dns on ${system.dnsAddress.address}:${system.dnsAddress.port}, reporter on ${system.reporterAddress.address}:${system.reporterAddress.port}, agent on udp ${system.agentPorts.join("/")}\n`);
  process.stdout.write(`console on ${system.console.url} (log in with the password in ${data.consoleConf})\n`);

  const client = new LarsClient({ host: "127.0.0.1", ports: system.agentPorts });
  const demo = values.demo === true ? new DemoTraffic(client) : undefined;
  demo?.start();
  const overloads = new OverloadLog();
  let second = 0;
  let lastGetHosts = system.agent.stats.getHosts;
  const ticker = setInterval(() => {
    second++;
    const routes = system.agent.snapshot();
    overloads.record(second, routes);
    if (demo !== undefined) {
      process.stdout.write(`${liveLine(second, demo.takeWindow(), routes)}\n`);
    } else {
      const n = system.agent.stats.getHosts - lastGetHosts;
      lastGetHosts = system.agent.stats.getHosts;
      process.stdout.write(`[${String(second).padStart(3)}s] ${n} getHost/s, ${routes.length} routes held by the agent\n`);
    }
  }, 1000);

  const reason = await new Promise<string>((resolve) => {
    if (seconds !== undefined) setTimeout(() => resolve(`${seconds} s passed`), seconds * 1000).unref();
    const onSignal = (signal: NodeJS.Signals): void => {
      resolve(signal);
      // a second signal while stopping: give up at once
      process.once(signal === "SIGINT" ? "SIGINT" : "SIGTERM", () => process.exit(1));
    };
    process.once("SIGINT", onSignal);
    process.once("SIGTERM", onSignal);
  });
  clearInterval(ticker);
  process.stdout.write(`stopping (${reason})\n`);
  if (demo !== undefined) {
    await demo.stop();
    for (const line of summary(second, demo.total, overloads)) process.stdout.write(`${line}\n`);
  }
  await client.close();
  await system.stop();
  process.stdout.write(`stopped; the state is in ${data.dir}\n`);
}

function optionalInt(text: string | undefined, name: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new BinUsageError(`${name} wants an integer >= ${min}, not ${JSON.stringify(text)}`);
  return n;
}
