// Shared by the api's bins: argument parsing into LarsClient options.
import { isIPv4 } from "node:net";
import { BinUsageError } from "@lars/service";
import type { LarsClientOptions } from "../index.js";

/** The agent options every api bin takes. */
export const AGENT_OPTIONS_HELP = `  --ip IP           the agent's IPv4 (default 127.0.0.1)
  --port P          the agent's first port (default 8888); route at P + (modid + cmdid) % count
  --count N         the agent's number of ports (default 3)
  --ports P1,P2,..  the agent's ports one by one (overrides --port/--count)
  --timeout MS      reply timeout (default 1000)`;

/** parseArgs option specs of {@link AGENT_OPTIONS_HELP} plus modid/cmdid/seconds/help. */
export const COMMON_OPTIONS = {
  modid: { type: "string" },
  cmdid: { type: "string" },
  seconds: { type: "string" },
  ip: { type: "string" },
  port: { type: "string" },
  count: { type: "string" },
  ports: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** An integer option in [min, max]; `undefined` when absent and no default. */
export function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (value.trim() === "" || !Number.isInteger(n) || n < min || n > max) throw new BinUsageError(`--${name} must be an integer ${min}..${max}, got ${JSON.stringify(value)}`);
  return n;
}

/** A positive number option (e.g. seconds, may be fractional). */
export function positiveOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new BinUsageError(`--${name} must be a number > 0, got ${JSON.stringify(value)}`);
  return n;
}

/** --modid and --cmdid, both required int32s. */
export function routeOptions(values: { modid?: string | undefined; cmdid?: string | undefined }): { modid: number; cmdid: number } {
  if (values.modid === undefined) throw new BinUsageError("--modid is required");
  if (values.cmdid === undefined) throw new BinUsageError("--cmdid is required");
  return { modid: intOption(values.modid, "modid", -0x80000000, 0x7fffffff) as number, cmdid: intOption(values.cmdid, "cmdid", -0x80000000, 0x7fffffff) as number };
}

/** LarsClient options from --ip/--port/--count/--ports/--timeout. */
export function clientOptions(values: { ip?: string | undefined; port?: string | undefined; count?: string | undefined; ports?: string | undefined; timeout?: string | undefined }): LarsClientOptions {
  const host = values.ip ?? "127.0.0.1";
  if (!isIPv4(host)) throw new BinUsageError(`--ip must be an IPv4 address, got ${JSON.stringify(host)}`);
  const timeoutMs = intOption(values.timeout, "timeout", 1, 3_600_000);
  const common = { host, ...(timeoutMs === undefined ? {} : { timeoutMs }) };
  if (values.ports !== undefined) {
    const ports = values.ports.split(",").map((p) => intOption(p, "ports", 1, 65535) as number);
    return { ...common, ports };
  }
  const count = intOption(values.count, "count", 1, 1000) ?? 3;
  const basePort = intOption(values.port, "port", 1, 65536 - count) ?? 8888;
  return { ...common, basePort, count };
}

/** `ip:port` → its key, validated. */
export function hostPortOption(value: string, name: string): string {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(value);
  if (m === null || !isIPv4(m[1] as string) || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new BinUsageError(`--${name} must be IP:PORT, got ${JSON.stringify(value)}`);
  return `${m[1]}:${Number(m[2])}`;
}

/** A rejection that is a timeout (the only error the loops count and go on after). */
export function isTimeout(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "LARS_API_TIMEOUT";
}
