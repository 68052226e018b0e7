import type { LarsConfig } from "@lars/config";
import type { LarsAgentOptions } from "./agent.js";
import { DEFAULT_LOAD_BALANCE_CONFIG, resolveLoadBalanceConfig } from "./config.js";

/**
 * Agent options from a lars config file: `[agent] ip, port, count`, `[dnsserver] ip, port`,
 * `[reporter] ip, port`, `[loadbalance]` with the C++ keys (`probe_num`, `init_succ_cnt`, ...,
 * plus `noexist_timeout`).
 * @throws ConfigError for a malformed value; InvalidArgumentError for one out of range.
 */
export function agentOptionsFromConfig(config: LarsConfig): Required<Pick<LarsAgentOptions, "ip" | "port" | "count" | "dns" | "reporter" | "loadBalance">> {
  const d = DEFAULT_LOAD_BALANCE_CONFIG;
  const lb = (key: string, def: number): number => config.getFloat("loadbalance", key, def);
  return {
    ip: config.getString("agent", "ip", "127.0.0.1"),
    port: config.getNumber("agent", "port", 8888),
    count: config.getNumber("agent", "count", 3),
    dns: { host: config.getString("dnsserver", "ip", "127.0.0.1"), port: config.getNumber("dnsserver", "port", 7778) },
    reporter: { host: config.getString("reporter", "ip", "127.0.0.1"), port: config.getNumber("reporter", "port", 7779) },
    loadBalance: resolveLoadBalanceConfig({
      probeNum: lb("probe_num", d.probeNum),
      initSuccCnt: lb("init_succ_cnt", d.initSuccCnt),
      initErrCnt: lb("init_err_cnt", d.initErrCnt),
      errRate: lb("err_rate", d.errRate),
      succRate: lb("succ_rate", d.succRate),
      continErrLimit: lb("contin_err_limit", d.continErrLimit),
      continSuccLimit: lb("contin_succ_limit", d.continSuccLimit),
      windowErrRate: lb("window_err_rate", d.windowErrRate),
      idleTimeout: lb("idle_timeout", d.idleTimeout),
      overloadTimeout: lb("overload_timeout", d.overloadTimeout),
      updateTimeout: lb("update_timeout", d.updateTimeout),
      noexistTimeout: lb("noexist_timeout", d.noexistTimeout),
    }),
  };
}
