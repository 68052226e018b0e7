/** @packageDocumentation What every Lars service binary shares: pino logger, config and store options, /metrics and /status HTTP, graceful signals. */
export const PACKAGE_NAME = "@lars/service";
