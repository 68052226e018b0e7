export { TcpConn, closeConnection } from "./tcp-conn.js";
export type { CloseReason, TcpConnEvents } from "./hooks.js";
export {
  resolveTcpConnOptions,
  DEFAULT_OUTPUT_CAP,
  DEFAULT_HIGH_WATER_MARK,
  DEFAULT_CLOSE_TIMEOUT_MS,
} from "./options.js";
export type { TcpConnOptions, ResolvedTcpConnOptions } from "./options.js";
