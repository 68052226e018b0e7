import type { LarsConfig } from "@lars/config";
import { ConsoleConfigError } from "./errors.js";
import type { ConsoleService, ServiceKind } from "./types.js";

/** Services watched when `[console] services` is absent: the three services on this host at their default metrics ports. */
export const DEFAULT_SERVICES: readonly ConsoleService[] = [
  { name: "dns", kind: "dns", statusUrl: "http://127.0.0.1:9778/status" },
  { name: "reporter", kind: "reporter", statusUrl: "http://127.0.0.1:9779/status" },
  { name: "agent", kind: "agent", statusUrl: "http://127.0.0.1:9888/status" },
];

const KINDS: readonly ServiceKind[] = ["dns", "reporter", "agent"];

/**
 * `[console] services`: items `KIND=URL` or `KIND:NAME=URL` separated by
 * commas or spaces, e.g. `dns=http://127.0.0.1:9778/status
 * agent:edge-2=http://10.0.0.2:9888/status`. A name defaults to its kind
 * (`agent-2`, `agent-3`, ... for more of one kind).
 *
 * @throws {ConsoleConfigError} on an item that is not so.
 */
export function parseServicesList(items: readonly string[]): ConsoleService[] {
  const out: ConsoleService[] = [];
  const used = new Set<string>();
  for (const item of items) {
    const m = /^([a-z]+)(?::([A-Za-z0-9._-]+))?=(https?:\/\/\S+)$/.exec(item);
    const kind = m?.[1] as ServiceKind | undefined;
    if (m === null || kind === undefined || !KINDS.includes(kind)) {
      throw new ConsoleConfigError(`[console] services: ${JSON.stringify(item.slice(0, 80))} is not KIND=URL or KIND:NAME=URL (KIND dns, reporter or agent)`);
    }
    let name = m[2] ?? kind;
    if (m[2] === undefined) for (let i = 2; used.has(name); i++) name = `${kind}-${i}`;
    if (used.has(name)) throw new ConsoleConfigError(`[console] services: two services are named ${JSON.stringify(name)}`);
    used.add(name);
    out.push({ name, kind, statusUrl: m[3]! });
  }
  return out;
}

/** What `[console]` of a config file says (the store comes from `[store]`/`[mysql]`). */
export interface ConsoleFileOptions {
  readonly host: string;
  readonly port: number;
  readonly auth: { readonly password?: string; readonly token?: string };
  readonly services: readonly ConsoleService[];
  readonly pollMs: number;
  readonly secureCookie: boolean;
}

/**
 * `[console] ip` (127.0.0.1), `port` (8080), `password`, `token`,
 * `services` (see {@link parseServicesList}; default {@link DEFAULT_SERVICES}),
 * `poll_ms` (1000), `secure_cookie` (false).
 *
 * @throws {ConsoleConfigError} without password nor token or with a bad `services`; `ConfigError` of `@lars/config` on a malformed number.
 */
export function consoleOptionsFromConfig(config: LarsConfig): ConsoleFileOptions {
  const password = config.getString("console", "password", "");
  const token = config.getString("console", "token", "");
  if (password === "" && token === "") throw new ConsoleConfigError(`${config.source}: [console] needs password or token`);
  const port = config.getNumber("console", "port", 8080);
  if (port < 0 || port > 65535) throw new ConsoleConfigError(`${config.source}: [console] port must be 0..65535, got ${port}`);
  return {
    host: config.getString("console", "ip", "127.0.0.1"),
    port,
    auth: { ...(password !== "" ? { password } : {}), ...(token !== "" ? { token } : {}) },
    services: config.has("console", "services") ? parseServicesList(config.getList("console", "services")) : DEFAULT_SERVICES,
    pollMs: config.getNumber("console", "poll_ms", 1000),
    secureCookie: config.getBool("console", "secure_cookie", false),
  };
}
