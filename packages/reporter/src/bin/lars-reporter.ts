import { parseArgs } from "node:util";
import { EventLoop } from "@lars/event-loop";
import { createRequire } from "node:module";
import { createLogger, emptyServiceConfig, onShutdownSignals, readServiceConfig, runBin, startServiceEndpoint, BinUsageError } from "@lars/service";
import { reporterConfigFromFile } from "../reporter-config.js";
import { ReporterServer } from "../reporter-server.js";
import { createStoreWriter } from "../store-writer.js";

const USAGE = `Usage: lars-reporter [--config FILE]

The Lars report service: agents send msgid 3 ReportStatusRequest over TCP;
every host call result is upserted into ServerCallStatus in batches.

Options:
  -c, --config FILE  lars_reporter.conf: [reactor] ip, port, maxConn; [reporter]
                     db_thread_cnt, queue_cap, batch_size, flush_interval_ms;
                     [store] type = sqlite|mysql, path; [mysql] db_host, db_port,
                     db_user, db_passwd, db_name; [history] enabled, interval,
                     retention (seconds); [metrics] ip, port (9779), enabled.
                     Default: 127.0.0.1:7779, SQLite lars.db.
  -h, --help         show this help

Prints "listening on HOST:PORT" once it serves and "metrics on
http://HOST:PORT/metrics" (/metrics, /status, /healthz); SIGINT/SIGTERM write
what is queued and exit 0.
`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { config: { type: "string", short: "c" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(USAGE);
    return;
  }
  if (positionals.length > 0) throw new BinUsageError(`unexpected argument ${positionals[0]}`);
  const file = values.config === undefined ? emptyServiceConfig() : readServiceConfig(values.config);
  const config = reporterConfigFromFile(file.config, file.dir);
  const logger = createLogger({ name: "lars-reporter" });
  for (const w of config.warnings) logger.warn({}, w);

  // LARS_REPORTER_STORE_MODULE: another module with @lars/store's openStore contract (tests, benchmarks)
  const storeModule = process.env.LARS_REPORTER_STORE_MODULE;
  const writer = createStoreWriter(config.store, { threads: config.dbThreadCnt, logger, ...(storeModule ? { storeModule } : {}) });
  try {
    await writer.open();
  } catch (err) {
    await writer.close().catch(() => undefined);
    throw err;
  }
  const loop = new EventLoop();
  const reporter = new ReporterServer(loop, {
    writer,
    host: config.host,
    port: config.port,
    maxConn: config.maxConn,
    queueCap: config.queueCap,
    batchSize: config.batchSize,
    flushIntervalMs: config.flushIntervalMs,
    history: config.history,
    logger,
  });
  const address = await reporter.listen();
  const version = (createRequire(import.meta.url)("../../package.json") as { version: string }).version;
  const http = await startServiceEndpoint(file.config, { service: "reporter", version, defaultPort: 9779, stats: () => reporter.stats() });
  onShutdownSignals(
    async () => {
      await http?.close();
      await reporter.close();
      logger.info({ stats: reporter.stats() }, "stopped");
      await loop.stop();
    },
    { logger },
  );
  process.stdout.write(`listening on ${address.address}:${address.port}\n`);
  if (http !== undefined) process.stdout.write(`metrics on http://${http.host}:${http.port}/metrics\n`);
  await loop.run();
}

runBin(main, { name: "lars-reporter" });
