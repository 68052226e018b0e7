/**
 * Where the Lars packages report what they may not throw (network failures,
 * dropped peers, hook errors). The packages never print on their own: give a
 * logger (`console` fits) to see these reports.
 */
export interface Logger {
  error(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  info?(message: string, meta?: Record<string, unknown>): void;
  debug?(message: string, meta?: Record<string, unknown>): void;
}
