/** @packageDocumentation The lars command: lars up (the whole system in one command), lars route, lars dns|reporter|agent. */
export const PACKAGE_NAME = "@lars/cli";
export { ensureDataDir } from "./data-dir.js";
export type { DataDir } from "./data-dir.js";
export { startSystem } from "./system.js";
export type { LarsSystem, SystemOptions } from "./system.js";
export { DemoTraffic, DEMO_ROUTES, DEMO_FAILURES } from "./demo.js";
export type { DemoRoute, DemoFailure, DemoCounts, DemoTrafficOptions } from "./demo.js";
export { liveLine, summary, overloadedHosts, OverloadLog } from "./live-report.js";
