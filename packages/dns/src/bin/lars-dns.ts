// lars-dns: the Lars DNS service. `lars-dns --config FILE`.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import {
  createLogger,
  emptyServiceConfig,
  onShutdownSignals,
  readServiceConfig,
  runBin,
  startServiceEndpoint,
  BinUsageError,
} from "@lars/service";
import { isServerWorker } from "@lars/tcp-server";
import { DEFAULT_DNS_METRICS_PORT, DnsServer, DnsStoreUnavailableError, WorkerTableLoader, dnsOptionsFromConfig } from "../index.js";
import { openBinStore } from "./open-store.js";

const USAGE = `usage: lars-dns [--config FILE]

The Lars DNS service: answers GetRouteRequest (msgid 1) with GetRouteResponse
(msgid 2) and pushes route changes to the connections that asked.

  --config FILE  a lars_dns.conf: [reactor] ip (127.0.0.1), port (7778), maxConn,
                 threadNum (0; N > 0: N worker processes serve, the primary polls);
                 [store] type = sqlite (default) | mysql, path (lars.db beside the file);
                 [mysql] db_host, db_port, db_user, db_passwd, db_name;
                 [dns] poll_interval_ms (1000), full_reload_ms (10000), max_backoff_ms (30000),
                 clear_route_changes (true; false beside C++ lars_dns instances),
                 load_in_worker (true: whole reloads on a worker thread);
                 [metrics] ip (127.0.0.1), port (9778; 0 = any free), enabled (true)
  -h, --help     show this help

Prints "listening on HOST:PORT" once it serves and "metrics on
http://HOST:PORT/metrics" (/metrics, /status, /healthz) unless [metrics]
enabled = false. SIGINT/SIGTERM: graceful stop, exit 0.
A store that cannot be read at start: one line on stderr, exit 1.`;

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
  const { config, dir } = values.config !== undefined ? readServiceConfig(values.config) : emptyServiceConfig();
  const options = dnsOptionsFromConfig(config, dir);
  const logger = createLogger({ name: "lars-dns" });
  const workers = options.threadNum;
  if (!Number.isInteger(workers) || workers < 0) throw new BinUsageError(`[reactor] threadNum must be a non-negative integer, got ${workers}`);
  if (workers > 0 && isServerWorker()) {
    // A worker (this same program, forked by the primary's TcpServer): no database, no metrics port, no
    // signal handling of its own (the primary stops it; SIGTERM from outside drains it).
    const dns = new DnsServer({ workers, host: options.host, port: options.port, ...(options.maxConn !== undefined ? { maxConn: options.maxConn } : {}), logger });
    await dns.start();
    return;
  }
  let store;
  try {
    store = await openBinStore(options.store, logger);
  } catch (err) {
    throw new DnsStoreUnavailableError(err);
  }
  // Whole reloads on a worker thread: SQLite's load is synchronous (about half a second per 100k routes).
  const loader = config.getBool("dns", "load_in_worker", true) ? new WorkerTableLoader(options.store) : undefined;
  const dns = new DnsServer({
    ...(loader !== undefined ? { tableLoader: loader } : {}),
    store,
    ...(workers > 0 ? { workers } : {}),
    host: options.host,
    port: options.port,
    ...(options.maxConn !== undefined ? { maxConn: options.maxConn } : {}),
    pollIntervalMs: config.getNumber("dns", "poll_interval_ms", 1000),
    fullReloadMs: config.getNumber("dns", "full_reload_ms", 10_000),
    maxBackoffMs: config.getNumber("dns", "max_backoff_ms", 30_000),
    clearRouteChanges: config.getBool("dns", "clear_route_changes", true),
    logger,
  });
  let address;
  try {
    address = await dns.start();
  } catch (err) {
    await dns.close();
    await loader?.close();
    await store.close().catch(() => {});
    throw err;
  }
  const version = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  let http;
  try {
    http = await startServiceEndpoint(config, {
      service: "dns",
      version,
      defaultPort: DEFAULT_DNS_METRICS_PORT,
      stats: () => dns.stats(),
      status: () => {
        const s = dns.stats();
        // `version` stays the package version (every service's /status has it); the route version is `routeVersion`.
        return { routes: s.routes, subscribers: s.subscribers, routeVersion: s.version, pushes: s.pushes };
      },
    });
  } catch (err) {
    await dns.close();
    await loader?.close();
    await store.close().catch(() => {});
    throw err;
  }
  onShutdownSignals(
    async () => {
      await http?.close();
      await dns.close();
      await loader?.close();
      await store.close();
    },
    { logger },
  );
  process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  if (http !== undefined) process.stdout.write(`metrics on http://${http.host}:${http.port}/metrics\n`);
}

runBin(main, { name: "lars-dns" });
