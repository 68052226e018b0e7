import { parseArgs } from "node:util";
import { openStore } from "@lars/store";
import { BinUsageError, createLogger, onShutdownSignals, readServiceConfig, runBin, storeOptionsFromConfig } from "@lars/service";
import { consoleOptionsFromConfig } from "../console-config.js";
import { startConsole } from "../console.js";

const USAGE = `Usage: lars-console --config FILE

The Lars web console (the C++ larsWeb): routes (list, search, add/remove/replace
hosts, delete), each agent's live host state, call-status history charts and
the health of every service, behind a login.

Options:
  -c, --config FILE  console.conf: [console] ip (127.0.0.1), port (8080),
                     password and/or token (one is required), services (items
                     KIND=URL or KIND:NAME=URL, KIND dns|reporter|agent; default
                     the three local services' /status), poll_ms (1000),
                     secure_cookie (false); [store] type = sqlite|mysql, path;
                     [mysql] db_host, db_port, db_user, db_passwd, db_name.
  -h, --help         show this help

Prints "console on http://HOST:PORT" once it serves; SIGINT/SIGTERM exit 0.
Keep the config file private (chmod 600): it holds the password.
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
  if (values.config === undefined) throw new BinUsageError("--config FILE is required (it holds the console's password or token)");
  const file = readServiceConfig(values.config);
  const options = consoleOptionsFromConfig(file.config);
  const logger = createLogger({ name: "lars-console" });
  const store = await openStore(storeOptionsFromConfig(file.config, file.dir), { logger });
  let larsConsole;
  try {
    larsConsole = await startConsole({ ...options, store, logger });
  } catch (err) {
    await store.close().catch(() => undefined);
    throw err;
  }
  const running = larsConsole;
  onShutdownSignals(
    async () => {
      await running.close();
      await store.close();
      logger.info({}, "stopped");
    },
    { logger },
  );
  process.stdout.write(`console on ${running.url}\n`);
}

runBin(main, { name: "lars-console" });
