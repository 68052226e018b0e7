/** A host as in `@lars/store`: `ip` is the int32 `a<<24|b<<16|c<<8|d`, as on the wire. */
export interface ConsoleHost {
  readonly ip: number;
  readonly port: number;
}

/** A route as `listRoutes` of `@lars/store` returns it. */
export interface ConsoleRoute {
  readonly modid: number;
  readonly cmdid: number;
  readonly hosts: readonly ConsoleHost[];
}

/** What a route admin call of `@lars/store` returns. */
export interface ConsoleAdminResult {
  readonly version: number;
  readonly changed: boolean;
}

/** A `ServerCallStatus` row (`CallStatusRow` of `@lars/store`); `ip` and `caller` are int32. */
export interface ConsoleCallStatusRow {
  readonly modid: number;
  readonly cmdid: number;
  readonly ip: number;
  readonly port: number;
  readonly caller: number;
  readonly succCnt: number;
  readonly errCnt: number;
  readonly ts: number;
  readonly overload: boolean;
}

/** A `ServerCallHistory` row (`CallHistoryRow` of `@lars/store`): one host during the window starting at `windowStart` (unix s). */
export interface ConsoleCallHistoryRow {
  readonly modid: number;
  readonly cmdid: number;
  readonly ip: number;
  readonly port: number;
  readonly windowStart: number;
  readonly succ: number;
  readonly err: number;
  readonly overload: boolean;
}

/**
 * The part of a `LarsStore` (from `@lars/store`) the console uses. A
 * `LarsStore` fits as it is.
 */
export interface ConsoleStore {
  listRoutes(filter?: { readonly modid?: number; readonly cmdid?: number }): Promise<ConsoleRoute[]>;
  addHost(modid: number, cmdid: number, host: ConsoleHost): Promise<ConsoleAdminResult>;
  removeHost(modid: number, cmdid: number, host: ConsoleHost): Promise<ConsoleAdminResult>;
  replaceHosts(modid: number, cmdid: number, hosts: readonly ConsoleHost[]): Promise<ConsoleAdminResult>;
  deleteRoute(modid: number, cmdid: number): Promise<ConsoleAdminResult>;
  listCallStatus(filter?: { readonly modid?: number; readonly cmdid?: number }): Promise<ConsoleCallStatusRow[]>;
  listCallHistory(filter: { readonly modid: number; readonly cmdid: number; readonly since?: number }): Promise<ConsoleCallHistoryRow[]>;
}

/** A pino-shaped logger; pino's own (and `createLogger` of `@lars/service`) fits. */
export interface ConsoleLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** The kinds of Lars service whose `/status` the console reads. */
export type ServiceKind = "dns" | "reporter" | "agent";

/** A service the console watches: its `/status` URL (the Service HTTP endpoint). */
export interface ConsoleService {
  /** Shown on the pages; unique. */
  readonly name: string;
  readonly kind: ServiceKind;
  /** e.g. `http://127.0.0.1:9888/status`. */
  readonly statusUrl: string;
}

/** Who may log in: a password, a token, or both (either is accepted). */
export interface ConsoleAuth {
  readonly password?: string;
  readonly token?: string;
}

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  /** Address to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** TCP port; 0 takes any free one. */
  readonly port: number;
  readonly store: ConsoleStore;
  /** At least one of `password`, `token`, else `ConsoleConfigError`. */
  readonly auth: ConsoleAuth;
  /** Services whose `/status` is polled (live host state, health). */
  readonly services?: readonly ConsoleService[];
  /** How often each `/status` is fetched, ms; default 1000. */
  readonly pollMs?: number;
  /** Idle session lifetime, ms; default 1 hour. */
  readonly sessionIdleMs?: number;
  /** Absolute session lifetime, ms; default 12 hours. */
  readonly sessionMaxMs?: number;
  /** Sessions kept at most (the oldest is dropped); default 1000. */
  readonly maxSessions?: number;
  /** Mark the session cookie `Secure` (serve behind TLS); default false. */
  readonly secureCookie?: boolean;
  /** Where the console reports (no secrets are ever logged). Silent without one. */
  readonly logger?: ConsoleLogger;
}

/** A running console. */
export interface LarsConsole {
  /** The port it listens on. */
  readonly port: number;
  /** `http://HOST:PORT`. */
  readonly url: string;
  /** Stops polling, ends the event streams, closes the server. Idempotent. */
  close(): Promise<void>;
}

/** One host of an agent route, as the agent's `/status` has it. */
export interface AgentHostStatus {
  readonly ip: string;
  readonly port: number;
  readonly state: "idle" | "overload";
  readonly vsucc: number;
  readonly verr: number;
  readonly rsucc: number;
  readonly rerr: number;
  readonly continSucc: number;
  readonly continErr: number;
  readonly picks: number;
  readonly probes: number;
}

/** One route of an agent's `/status` (`AgentRouteSnapshot` of `@lars/agent`). */
export interface AgentRouteStatus {
  readonly modid: number;
  readonly cmdid: number;
  readonly state: string;
  readonly updatedAt: number;
  readonly hosts: readonly AgentHostStatus[];
}

/** What the console last learned of one service. */
export interface ServiceHealth {
  readonly name: string;
  readonly kind: ServiceKind;
  /** The status URL without any user:password part. */
  readonly statusUrl: string;
  readonly up: boolean;
  /** Unix ms of the last poll; 0 before the first one ended. */
  readonly checkedAt: number;
  /** Why it is down. */
  readonly error?: string;
  readonly version?: string;
  readonly pid?: number;
  readonly uptimeSeconds?: number;
  /** The service's `stats` (numbers, nested objects flattened to `a.b`). */
  readonly stats: Readonly<Record<string, number | string | boolean>>;
  /** Agents only: every route with its hosts' state. */
  readonly routes?: readonly AgentRouteStatus[];
}
