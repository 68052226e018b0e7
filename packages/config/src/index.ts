export { LarsConfig, DEFAULT_SOURCE_NAME } from "./lars-config.js";
export { ConfigError, ConfigErrorCode, isConfigError } from "./errors.js";
export type { ConfigErrorDetails } from "./errors.js";
export {
  serverOptionsFromConfig,
  DEFAULT_SERVER_SECTION,
  DEFAULT_SERVER_OPTIONS,
  SERVER_OPTION_KEYS,
} from "./server-options.js";
export type { ServerOptions } from "./server-options.js";
