import type { LarsConfig } from "@lars/config";
import { storeOptionsFromConfig, type ServiceStoreOptions } from "@lars/service";
import { DEFAULT_DNS_HOST, DEFAULT_DNS_PORT } from "./dns-server.js";

/** What a `lars_dns.conf` gives: where to listen and which store to read. */
export interface DnsConfigOptions {
  /** `[reactor] ip`, default `127.0.0.1`. */
  readonly host: string;
  /** `[reactor] port`, default 7778. */
  readonly port: number;
  /** `[reactor] maxConn`, when set. */
  readonly maxConn?: number;
  /** `[reactor] threadNum`, default 0 (serve in one process). */
  readonly threadNum: number;
  /** `[store]` / `[mysql]`: see `storeOptionsFromConfig` of `@lars/service`. */
  readonly store: ServiceStoreOptions;
}

/**
 * Reads the C++ `conf/lars_dns.conf` shape: `[reactor] ip, port, maxConn,
 * threadNum`; `[store] type = sqlite|mysql, path` (default `lars.db` in
 * `baseDir`); `[mysql] db_host, db_port, db_user, db_passwd, db_name`.
 *
 * @throws {ConfigError} on a malformed number or an unknown store type.
 */
export function dnsOptionsFromConfig(config: LarsConfig, baseDir: string): DnsConfigOptions {
  const host = config.getString("reactor", "ip", DEFAULT_DNS_HOST);
  const port = config.getNumber("reactor", "port", DEFAULT_DNS_PORT);
  const threadNum = config.getNumber("reactor", "threadNum", 0);
  const maxConn = config.has("reactor", "maxConn") ? config.getNumber("reactor", "maxConn") : undefined;
  return {
    host,
    port,
    threadNum,
    ...(maxConn !== undefined ? { maxConn } : {}),
    store: storeOptionsFromConfig(config, baseDir),
  };
}
