/** @packageDocumentation The Lars client API: getHost, report, getRoute through the local agent over UDP. */
export const PACKAGE_NAME = "@lars/api";
export { agentPortIndex } from "./port.js";
export {
  LarsClient,
  DEFAULT_AGENT_HOST,
  DEFAULT_AGENT_BASE_PORT,
  DEFAULT_AGENT_PORT_COUNT,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MAX_PENDING,
} from "./client.js";
export type {
  LarsClientOptions,
  CallOptions,
  RegInitOptions,
  ApiHost,
  ReportHost,
  GetHostFailure,
  GetHostOk,
  GetHostFail,
  GetHostResult,
  LarsClientStats,
} from "./client.js";
export {
  LarsApiTimeoutError,
  LarsApiClosedError,
  LarsApiAbortedError,
  LarsApiPendingFullError,
  LarsApiInvalidArgumentError,
  LarsApiSendError,
} from "./errors.js";
