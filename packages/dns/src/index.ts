/** @packageDocumentation The Lars DNS service: routes from the database, pushed to subscribers. */
export const PACKAGE_NAME = "@lars/dns";
export { diffRouteTables, routeKey, parseRouteKey } from "./routes.js";
export type { DnsRoute, DnsRouteTable } from "./routes.js";
export { SubscriptionRegistry } from "./subscriptions.js";
export type { SubscribeResult } from "./subscriptions.js";
export type { DnsStore, DnsRouteChange, DnsRouteChangeEvent, DnsLogger } from "./store-port.js";
export { DnsServer, DEFAULT_DNS_HOST, DEFAULT_DNS_PORT, DEFAULT_DNS_METRICS_PORT } from "./dns-server.js";
export type { DnsServerOptions, DnsServerStats } from "./dns-server.js";
export { DnsStoreUnavailableError, DnsReloadError, DnsStateError } from "./errors.js";
export { dnsOptionsFromConfig } from "./config.js";
export { WorkerTableLoader } from "./worker-table-loader.js";
export type { DnsTableLoader, DnsTableDelta } from "./worker-table-loader.js";
export type { StoreOptions } from "@lars/store";
export type { DnsConfigOptions } from "./config.js";
export type { HostInfo } from "@lars/proto";
export type { LarsConfig } from "@lars/config";
export type { ServiceStoreOptions } from "@lars/service";
