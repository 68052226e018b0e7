/**
 * @packageDocumentation The Lars web console (the C++ larsWeb): route admin
 * over the store, each agent's live host state and each service's health
 * from their `/status`, call-history charts (uPlot), behind a login.
 */
export const PACKAGE_NAME = "@lars/console";
export { startConsole, SESSION_COOKIE, DEFAULT_CONSOLE_PORT } from "./console.js";
export { ConsoleConfigError } from "./errors.js";
export { consoleOptionsFromConfig, parseServicesList, DEFAULT_SERVICES } from "./console-config.js";
export type { ConsoleFileOptions } from "./console-config.js";
export type {
  ConsoleOptions,
  LarsConsole,
  ConsoleAuth,
  ConsoleService,
  ServiceKind,
  ConsoleStore,
  ConsoleHost,
  ConsoleRoute,
  ConsoleAdminResult,
  ConsoleCallStatusRow,
  ConsoleCallHistoryRow,
  ConsoleLogger,
  ServiceHealth,
  AgentRouteStatus,
  AgentHostStatus,
} from "./types.js";
