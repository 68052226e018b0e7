import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { LarsAgent, agentOptionsFromConfig, startAgentEndpoint } from "@lars/agent";
import { startConsole } from "@lars/console";
import type { LarsConsole } from "@lars/console";
import { DnsServer, dnsOptionsFromConfig } from "@lars/dns";
import { EventLoop } from "@lars/event-loop";
import { ReporterServer, createStoreWriter, reporterConfigFromFile } from "@lars/reporter";
import { readServiceConfig, startServiceEndpoint } from "@lars/service";
import type { HttpEndpoint, Logger } from "@lars/service";
import { openStore } from "@lars/store";
import type { LarsStore } from "@lars/store";
import type { DataDir } from "./data-dir.js";

const version = (createRequire(import.meta.url)("../package.json") as { version: string }).version;

/** Options of {@link startSystem}. */
export interface SystemOptions {
  /** Overrides `[console] port` of console.conf (0 = any free port). */
  readonly consolePort?: number;
  /** Where the services report; pino-shaped. */
  readonly logger: Logger;
}

/** The running services of `lars up`, all in this process, each on its own event loop. */
export interface LarsSystem {
  readonly store: LarsStore;
  readonly dns: DnsServer;
  readonly dnsAddress: AddressInfo;
  readonly reporter: ReporterServer;
  readonly reporterAddress: AddressInfo;
  readonly agent: LarsAgent;
  /** The agent's UDP ports, in port-index order. */
  readonly agentPorts: readonly number[];
  readonly console: LarsConsole;
  /** `/metrics` + `/status` of each service, when enabled in its config. */
  readonly endpoints: { readonly dns?: HttpEndpoint; readonly reporter?: HttpEndpoint; readonly agent?: HttpEndpoint };
  /** Stops everything in reverse order of start; safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Starts dns, reporter, agent and console from the configs of a data folder, wired to each
 * other (the agent talks to this dns and this reporter whatever its config says), on one
 * SQLite file (or the database the configs name). On a failure, what started is stopped.
 */
export async function startSystem(data: DataDir, options: SystemOptions): Promise<LarsSystem> {
  const { logger } = options;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.splice(0).reverse()) {
      try {
        await stop();
      } catch (err) {
        logger.warn({ err }, "lars up: a service did not stop cleanly");
      }
    }
  };
  try {
    const dnsFile = readServiceConfig(data.dnsConf);
    const dnsOpts = dnsOptionsFromConfig(dnsFile.config, dnsFile.dir);
    const store = await openStore(dnsOpts.store, { logger: logger.child({ service: "store" }) });
    stops.push(() => store.close());
    const dns = new DnsServer({
      store,
      host: dnsOpts.host,
      port: dnsOpts.port,
      pollIntervalMs: dnsFile.config.getNumber("dns", "poll_interval_ms", 1000),
      logger: logger.child({ service: "dns" }),
    });
    stops.push(() => dns.close());
    const dnsAddress = await dns.start();
    const dnsHttp = await startServiceEndpoint(dnsFile.config, { service: "dns", version, defaultPort: 9778, stats: () => dns.stats() });
    if (dnsHttp) stops.push(() => dnsHttp.close());

    const repFile = readServiceConfig(data.reporterConf);
    const repConf = reporterConfigFromFile(repFile.config, repFile.dir);
    const repLogger = logger.child({ service: "reporter" });
    for (const w of repConf.warnings) repLogger.warn({}, w);
    const writer = createStoreWriter(repConf.store, { threads: repConf.dbThreadCnt, logger: repLogger });
    await writer.open();
    const repLoop = new EventLoop();
    const reporter = new ReporterServer(repLoop, {
      writer,
      host: repConf.host,
      port: repConf.port,
      maxConn: repConf.maxConn,
      queueCap: repConf.queueCap,
      batchSize: repConf.batchSize,
      flushIntervalMs: repConf.flushIntervalMs,
      history: repConf.history,
      logger: repLogger,
    });
    stops.push(async () => {
      await reporter.close();
      await repLoop.stop();
    });
    const reporterAddress = await reporter.listen();
    const repHttp = await startServiceEndpoint(repFile.config, { service: "reporter", version, defaultPort: 9779, stats: () => reporter.stats() });
    if (repHttp) stops.push(() => repHttp.close());

    const agentFile = readServiceConfig(data.agentConf);
    const agent = new LarsAgent({
      ...agentOptionsFromConfig(agentFile.config),
      dns: { host: dnsAddress.address, port: dnsAddress.port },
      reporter: { host: reporterAddress.address, port: reporterAddress.port },
      logger: logger.child({ service: "agent" }),
    });
    stops.push(() => agent.stop());
    const agentPorts = (await agent.start()).map((a) => a.port);
    const agentHttp = await startAgentEndpoint(agentFile.config, agent, version);
    if (agentHttp) stops.push(() => agentHttp.close());

    const conFile = readServiceConfig(data.consoleConf);
    const password = conFile.config.getString("console", "password", "");
    const token = conFile.config.getString("console", "token", "");
    const services = [
      ...(dnsHttp ? [{ name: "dns", kind: "dns" as const, statusUrl: `http://${dnsHttp.host}:${dnsHttp.port}/status` }] : []),
      ...(repHttp ? [{ name: "reporter", kind: "reporter" as const, statusUrl: `http://${repHttp.host}:${repHttp.port}/status` }] : []),
      ...(agentHttp ? [{ name: "agent", kind: "agent" as const, statusUrl: `http://${agentHttp.host}:${agentHttp.port}/status` }] : []),
    ];
    const larsConsole = await startConsole({
      host: conFile.config.getString("console", "ip", "127.0.0.1"),
      port: options.consolePort ?? conFile.config.getNumber("console", "port", 8080),
      store,
      auth: { ...(password !== "" ? { password } : {}), ...(token !== "" ? { token } : {}) },
      services,
      logger: logger.child({ service: "console" }),
    });
    stops.push(() => larsConsole.close());

    const endpoints = { ...(dnsHttp ? { dns: dnsHttp } : {}), ...(repHttp ? { reporter: repHttp } : {}), ...(agentHttp ? { agent: agentHttp } : {}) };
    return { store, dns, dnsAddress, reporter, reporterAddress, agent, agentPorts, console: larsConsole, endpoints, stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
