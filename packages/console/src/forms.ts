import { ipToInt32 } from "@lars/proto";
import type { ConsoleHost } from "./types.js";

/** A form field that is not what it must be; the message is shown on the page (HTTP 400). */
export class FormError extends Error {
  override readonly name = "FormError";
}

/** A form body as @fastify/formbody parses it. */
export type FormBody = Record<string, string | string[] | undefined>;

/** One field's value (the first when repeated), trimmed; "" when absent. */
export function field(body: FormBody | undefined, name: string): string {
  const v = body?.[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === "string" ? s.trim() : "";
}

const INT = /^[+-]?\d{1,10}$/;

/** A modid or cmdid: an integer in the int32 range (the C++ column is INT). */
export function parseId(name: string, raw: string): number {
  if (raw === "") throw new FormError(`${name} is required`);
  const n = Number(raw);
  if (!INT.test(raw) || !Number.isSafeInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new FormError(`${name} must be an integer (got ${JSON.stringify(raw.slice(0, 40))})`);
  }
  return n;
}

/** An optional id filter: undefined when empty. */
export function parseOptionalId(name: string, raw: string): number | undefined {
  return raw === "" ? undefined : parseId(name, raw);
}

/** A port: an integer 1..65535. */
export function parsePort(raw: string): number {
  if (raw === "") throw new FormError("port is required");
  const n = Number(raw);
  if (!/^\d{1,5}$/.test(raw) || n < 1 || n > 65535) throw new FormError(`port must be an integer from 1 to 65535 (got ${JSON.stringify(raw.slice(0, 40))})`);
  return n;
}

/** A dotted-quad IPv4 address, as the int32 of the store. */
export function parseIp(raw: string): number {
  if (raw === "") throw new FormError("ip is required");
  try {
    return ipToInt32(raw);
  } catch {
    throw new FormError(`ip must be an IPv4 address like 192.168.1.177 (got ${JSON.stringify(raw.slice(0, 40))})`);
  }
}

/** `IP:PORT` items separated by newlines, commas or spaces (the replace-hosts text area). */
export function parseHostList(raw: string): ConsoleHost[] {
  const items = raw.split(/[\s,]+/).filter((s) => s !== "");
  if (items.length > 10_000) throw new FormError("at most 10000 hosts");
  return items.map((item) => {
    const colon = item.lastIndexOf(":");
    if (colon <= 0) throw new FormError(`each host must be IP:PORT (got ${JSON.stringify(item.slice(0, 40))})`);
    return { ip: parseIp(item.slice(0, colon)), port: parsePort(item.slice(colon + 1)) };
  });
}
