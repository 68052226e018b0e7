import { ConfigError, ConfigErrorCode } from "./errors.js";
import type { LarsConfig } from "./lars-config.js";

/** What a Lars TCP server needs from `serv.conf`. */
export interface ServerOptions {
  /** Address to listen on (C++ key `ip`). Passed on as written: not resolved or checked here. */
  readonly host: string;
  /** TCP port, an integer 0..65535 (C++ key `port`); 0 lets the OS choose. */
  readonly port: number;
  /** Most connections open at once, an integer > 0 (C++ key `maxConn`). */
  readonly maxConn: number;
  /**
   * Worker processes, an integer >= 0 (C++ key `threadNum`). C++ Lars runs
   * `threadNum` I/O threads; Node cannot hand a socket to a worker thread, so
   * `@lars/tcp-server` runs that many `node:cluster` workers instead. 0 means
   * no workers: accept and serve in this process (C++: no thread pool).
   */
  readonly workers: number;
}

/** The section `serverOptionsFromConfig` reads by default, as in C++ Lars. */
export const DEFAULT_SERVER_SECTION = "reactor";

/**
 * Values used for keys missing from the config. `port` has none: the C++
 * programs each hard-code a different one, so it must be in the file or in
 * the `defaults` argument. `maxConn` matches the shipped `serv.conf`.
 */
export const DEFAULT_SERVER_OPTIONS: Readonly<Omit<ServerOptions, "port">> = Object.freeze({
  host: "0.0.0.0",
  maxConn: 1024,
  workers: 0,
});

/** The `serv.conf` key behind each option. */
export const SERVER_OPTION_KEYS = Object.freeze({
  host: "ip",
  port: "port",
  maxConn: "maxConn",
  workers: "threadNum",
} as const satisfies Record<keyof ServerOptions, string>);

interface IntRule {
  readonly min: number;
  readonly max: number;
  readonly expected: string;
}

const RULES: Readonly<Record<"port" | "maxConn" | "workers", IntRule>> = {
  port: { min: 0, max: 65535, expected: "an integer from 0 to 65535" },
  maxConn: { min: 1, max: Number.MAX_SAFE_INTEGER, expected: "an integer greater than 0" },
  workers: { min: 0, max: Number.MAX_SAFE_INTEGER, expected: "an integer of 0 or more" },
};

/**
 * Reads the server options from `section` (default `reactor`) of a Lars
 * config: `ip` → host, `port` → port, `maxConn` → maxConn, `threadNum` →
 * workers. A key missing from the config takes its value from `defaults`,
 * then from {@link DEFAULT_SERVER_OPTIONS}.
 *
 * @throws {ConfigError} `LARS_CONFIG_MISSING_KEY` when `port` is in neither
 *   the config nor `defaults`; `LARS_CONFIG_BAD_NUMBER` when `port`,
 *   `maxConn` or `threadNum` is not an integer or is out of range. The error
 *   names the file, section and C++ key.
 * @throws {RangeError} when a value in `defaults` is out of range (a
 *   programmer mistake, reported before the config is read).
 */
export function serverOptionsFromConfig(
  config: LarsConfig,
  section: string = DEFAULT_SERVER_SECTION,
  defaults: Partial<ServerOptions> = {},
): ServerOptions {
  const merged: Partial<ServerOptions> = {
    host: defaults.host ?? DEFAULT_SERVER_OPTIONS.host,
    port: defaults.port,
    maxConn: defaults.maxConn ?? DEFAULT_SERVER_OPTIONS.maxConn,
    workers: defaults.workers ?? DEFAULT_SERVER_OPTIONS.workers,
  };
  for (const field of ["port", "maxConn", "workers"] as const) {
    const value = merged[field];
    if (value !== undefined && !inRange(value, RULES[field])) {
      throw new RangeError(`serverOptionsFromConfig: defaults.${field} must be ${RULES[field].expected}, got ${value}`);
    }
  }

  const readInt = (field: "port" | "maxConn" | "workers"): number => {
    const key = SERVER_OPTION_KEYS[field];
    const value = config.getNumber(section, key, merged[field]);
    const rule = RULES[field];
    if (config.has(section, key) && !inRange(value, rule)) {
      const raw = config.getString(section, key);
      throw new ConfigError(
        ConfigErrorCode.BAD_NUMBER,
        `${config.source}: [${section}] ${key} = ${JSON.stringify(raw)} is out of range (expected ${rule.expected})`,
        { file: config.source, section, key, value: raw },
      );
    }
    return value;
  };

  return {
    host: config.getString(section, SERVER_OPTION_KEYS.host, merged.host),
    port: readInt("port"),
    maxConn: readInt("maxConn"),
    workers: readInt("workers"),
  };
}

function inRange(value: number, rule: IntRule): boolean {
  return Number.isInteger(value) && value >= rule.min && value <= rule.max;
}
