// Command-line plumbing shared by the example programs, so that each of them
// shows its own logic only. The conventions of every example:
//   - `-h, --help` prints the usage to stdout and exits 0;
//   - a bad flag prints what is wrong and the usage to stderr and exits 2.
// A program calls parseCli once; usageError and intFlag then print its usage.
import { resolve } from "node:path";
import { parseArgs } from "node:util";

let programUsage = "";

/**
 * Parses process.argv with node:util parseArgs (strict; `-h, --help` added to
 * `options`) and returns the values. Exits on --help or on a bad flag.
 */
export function parseCli(usage, options) {
  programUsage = usage;
  let values;
  try {
    ({ values } = parseArgs({ options: { ...options, help: { type: "boolean", short: "h" } }, strict: true }));
  } catch (err) {
    usageError(err.message);
  }
  if (values.help) {
    console.log(usage);
    process.exit(0);
  }
  return values;
}

/** Prints `message` and the usage to stderr, then exits 2. */
export function usageError(message) {
  process.stderr.write(`${message}\n\n${programUsage}\n`);
  process.exit(2);
}

/** The flag `name` as an integer in min..max (undefined when not given and without default); a usage error otherwise. */
export function intFlag(values, name, min, max) {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < min || n > max) usageError(`--${name} must be an integer in ${min}..${max}, got "${raw}"`);
  return n;
}

/**
 * `path` resolved from the folder the user ran the command in. `npm run`
 * changes the working directory to the workspace's folder and puts the
 * caller's folder in INIT_CWD, so `npm run echo-server -- --config
 * examples/echo/serv.conf` from the repository root finds the file; a plain
 * `node server.mjs --config serv.conf` resolves from process.cwd().
 */
export function userPath(path) {
  return resolve(process.env.INIT_CWD || process.cwd(), path);
}
