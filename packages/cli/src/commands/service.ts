import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const BINS = {
  dns: ["@lars/dns", "lars-dns"],
  reporter: ["@lars/reporter", "lars-reporter"],
  agent: ["@lars/agent", "lars-agent"],
  console: ["@lars/console", "lars-console"],
} as const;

/** A service name `lars <name>` runs. */
export type ServiceName = keyof typeof BINS;

/** True for `dns`, `reporter`, `agent`, `console`. */
export function isServiceName(name: string): name is ServiceName {
  return Object.hasOwn(BINS, name);
}

/**
 * `lars dns|reporter|agent|console ARGS`: runs that package's binary as a child with the same
 * terminal, forwards SIGINT/SIGTERM to it, and ends with its exit code.
 */
export function runService(name: ServiceName, argv: string[]): Promise<number> {
  const [pkg, bin] = BINS[name];
  const root = dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`));
  const child = spawn(process.execPath, [join(root, "bin", `${bin}.mjs`), ...argv], { stdio: "inherit" });
  const forward = (signal: NodeJS.Signals): void => {
    child.kill(signal);
  };
  process.on("SIGINT", forward);
  process.on("SIGTERM", forward);
  return new Promise((resolve) => {
    child.on("exit", (code, signal) => {
      process.off("SIGINT", forward);
      process.off("SIGTERM", forward);
      resolve(code ?? (signal === null ? 1 : 128 + 15));
    });
  });
}
