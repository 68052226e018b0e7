// lars-dns: the Lars DNS service. `lars-dns --config FILE`.
import { parseArgs } from "node:util";
import { createLogger, emptyServiceConfig, onShutdownSignals, readServiceConfig, runBin, BinUsageError } from "@lars/service";
import { DnsServer, DnsStoreUnavailableError, dnsOptionsFromConfig } from "../index.js";
import { openBinStore } from "./open-store.js";

const USAGE = `usage: lars-dns [--config FILE]

The Lars DNS service: answers GetRouteRequest (msgid 1) with GetRouteResponse
(msgid 2) and pushes route changes to the connections that asked.

  --config FILE  a lars_dns.conf: [reactor] ip (127.0.0.1), port (7778), maxConn;
                 [store] type = sqlite (default) | mysql, path (lars.db beside the file);
                 [mysql] db_host, db_port, db_user, db_passwd, db_name;
                 [dns] poll_interval_ms (1000), full_reload_ms (10000)
  -h, --help     show this help

Prints "listening on HOST:PORT" once it serves. SIGINT/SIGTERM: graceful stop, exit 0.
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
  if (options.threadNum > 0) logger.warn({ threadNum: options.threadNum }, "threadNum > 0 is not supported yet: serving in one process");
  let store;
  try {
    store = await openBinStore(options.store, logger);
  } catch (err) {
    throw new DnsStoreUnavailableError(err);
  }
  const dns = new DnsServer({
    store,
    host: options.host,
    port: options.port,
    ...(options.maxConn !== undefined ? { maxConn: options.maxConn } : {}),
    pollIntervalMs: config.getNumber("dns", "poll_interval_ms", 1000),
    fullReloadMs: config.getNumber("dns", "full_reload_ms", 10_000),
    logger,
  });
  let address;
  try {
    address = await dns.start();
  } catch (err) {
    await dns.close();
    await store.close().catch(() => {});
    throw err;
  }
  onShutdownSignals(
    async () => {
      await dns.close();
      await store.close();
    },
    { logger },
  );
  process.stdout.write(`listening on ${address.address}:${address.port}\n`);
}

runBin(main, { name: "lars-dns" });
