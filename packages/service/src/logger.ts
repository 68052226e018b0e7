import { pino, type Logger, type LevelWithSilent } from "pino";

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Shown as `name` on every line (e.g. `lars-dns`). */
  readonly name: string;
  /** Lowest level written; default `info`, or `LARS_LOG_LEVEL` from the environment. */
  readonly level?: LevelWithSilent;
  /**
   * Human-readable lines (pino-pretty) instead of JSON. Default: pretty when
   * stderr is a terminal, JSON otherwise (for log shippers).
   */
  readonly pretty?: boolean;
}

/**
 * The logger every Lars binary uses: pino, writing to stderr (stdout stays
 * for the lines scripts read, such as `listening on HOST:PORT`). A pino
 * logger is also what the Lars libraries accept as their `logger` option.
 */
export function createLogger(options: CreateLoggerOptions): Logger {
  const level = options.level ?? (process.env.LARS_LOG_LEVEL as LevelWithSilent | undefined) ?? "info";
  const pretty = options.pretty ?? process.stderr.isTTY === true;
  if (pretty) {
    return pino({
      name: options.name,
      level,
      transport: { target: "pino-pretty", options: { destination: 2, colorize: true, translateTime: "SYS:HH:MM:ss.l" } },
    });
  }
  return pino({ name: options.name, level }, pino.destination({ dest: 2, sync: true }));
}

export type { Logger };
