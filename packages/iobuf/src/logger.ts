/**
 * Where the Lars packages report what they may not throw (network failures,
 * dropped peers, hook errors). The packages never print on their own: give a
 * logger to see these reports.
 *
 * The shape is pino's, fields first and the message second
 * (`logger.warn({ err, connId }, "lars tcp-server: ...")`), so a pino logger
 * (or a child of one) drops in and keeps its context; `console` fits too.
 */
export interface Logger {
  error(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  info?(obj: Record<string, unknown>, msg?: string): void;
  debug?(obj: Record<string, unknown>, msg?: string): void;
}
