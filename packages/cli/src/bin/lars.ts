// lars: the Lars system's command. `lars up`, `lars route ...`, `lars dns|reporter|agent|console --config FILE`.
import { createRequire } from "node:module";
import { BinUsageError, runBin } from "@lars/service";
import { route } from "../commands/route.js";
import { isServiceName, runService } from "../commands/service.js";
import { up } from "../commands/up.js";

const USAGE = `usage: lars <command> [options]

  lars up [--dir DIR] [--console-port P] [--demo] [--seconds N]
                                 the whole system in one command (see lars up --help)
  lars route list|add|remove|replace|delete ...
                                 administer routes (see lars route --help)
  lars dns --config FILE         run lars-dns (the C++ run_lars shape)
  lars reporter --config FILE    run lars-reporter
  lars agent --config FILE       run lars-agent
  lars console --config FILE     run lars-console
  lars --version | --help`;

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case undefined:
    case "-h":
    case "--help":
    case "help":
      process.stdout.write(`${USAGE}\n`);
      if (command === undefined) process.exitCode = 2;
      return;
    case "--version":
    case "-v":
      process.stdout.write(`${(createRequire(import.meta.url)("../../package.json") as { version: string }).version}\n`);
      return;
    case "up":
      await up(rest);
      // every service is stopped; a handle a library forgot must not keep the shell waiting
      process.exit(0);
      break;
    case "route":
      await route(rest);
      return;
    default:
      if (isServiceName(command)) {
        process.exitCode = await runService(command, rest);
        return;
      }
      throw new BinUsageError(`unknown command: ${command}`);
  }
}

runBin(main, { name: "lars" });
