/** @packageDocumentation The Lars client API: getHost, report, getRoute through the local agent over UDP. */
export const PACKAGE_NAME = "@lars/api";
export { agentPortIndex } from "./port.js";
export { LarsClient } from "./client.js";
export type { LarsClientOptions, CallOptions, GetHostOk, GetHostFail, GetHostResult } from "./client.js";
export { LarsTimeoutError, LarsAbortedError, LarsPendingFullError } from "./errors.js";
export type { HostInfo } from "@lars/proto";
