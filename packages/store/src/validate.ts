import { StoreArgumentError } from "./errors.js";
import type { HostInfo } from "./route-types.js";

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Throws unless `value` is an int32 (ids and addresses travel as int32). */
export function checkInt32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < INT32_MIN || value > INT32_MAX) {
    throw new StoreArgumentError(`${name} must be an int32, got ${String(value)}`);
  }
}

/** Throws unless `value` is a uint32 (counters). */
export function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new StoreArgumentError(`${name} must be a uint32, got ${String(value)}`);
  }
}

/** Throws unless `port` is 1..65535. */
export function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new StoreArgumentError(`port must be 1..65535, got ${String(port)}`);
}

/** Throws unless the host's ip is an int32 and its port valid. */
export function checkHost(host: HostInfo): void {
  if (host === null || typeof host !== "object") throw new StoreArgumentError("a host is { ip, port }");
  checkInt32("ip", host.ip);
  checkPort(host.port);
}

/** The unsigned column value of an int32 IPv4 number. */
export function ipToColumn(ip: number): number {
  return ip >>> 0;
}

/** The int32 wire value of an unsigned column (mysql2 may hand big numbers as strings). */
export function ipFromColumn(value: number | string | bigint): number {
  return Number(value) | 0;
}
