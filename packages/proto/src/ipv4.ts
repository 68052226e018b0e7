import { LarsError } from "@lars/codec";

/** An IPv4 address string or number that is not valid. Code `LARS_INVALID_IP`. */
export class InvalidIpError extends LarsError {
  override readonly name = "InvalidIpError";
  constructor(readonly input: unknown, message: string) {
    super("LARS_INVALID_IP", message);
  }
}

const OCTET = /^(?:0|[1-9][0-9]{0,2})$/;

/**
 * The dotted-quad `ip` as the number `a<<24|b<<16|c<<8|d` in an int32, as
 * Lars carries it on the wire: `ipToInt32("192.168.1.177") === -1062731343`.
 * @throws InvalidIpError unless `ip` is four decimal octets 0..255 (no
 * leading zeros, no spaces).
 */
export function ipToInt32(ip: string): number {
  if (typeof ip !== "string") throw new InvalidIpError(ip, `not an IPv4 address: ${String(ip)}`);
  const parts = ip.split(".");
  if (parts.length !== 4) throw new InvalidIpError(ip, `not an IPv4 address: ${JSON.stringify(ip)}`);
  let n = 0;
  for (const part of parts) {
    const octet = Number(part);
    if (!OCTET.test(part) || octet > 255) throw new InvalidIpError(ip, `not an IPv4 address: ${JSON.stringify(ip)}`);
    n = (n << 8) | octet;
  }
  return n | 0;
}

/**
 * The dotted quad of an address given as an int32 (or as the same number
 * unsigned, 0..2^32-1): `int32ToIp(-1062731343) === "192.168.1.177"`.
 * @throws InvalidIpError unless `n` is an integer in -2^31..2^32-1.
 */
export function int32ToIp(n: number): string {
  const u = int32ToUint32(n);
  return `${u >>> 24}.${(u >>> 16) & 255}.${(u >>> 8) & 255}.${u & 255}`;
}

function checkInteger(n: number): void {
  if (typeof n !== "number" || !Number.isInteger(n) || n < -(2 ** 31) || n > 2 ** 32 - 1) {
    throw new InvalidIpError(n, `not a 32-bit address number: ${String(n)}`);
  }
}

/**
 * The int32 as the same 32 bits unsigned (the C++ `RouteData.serverip` column):
 * `int32ToUint32(-1) === 4294967295`. An already unsigned number is returned as is.
 * @throws InvalidIpError unless `n` is an integer in -2^31..2^32-1.
 */
export function int32ToUint32(n: number): number {
  checkInteger(n);
  return n >>> 0;
}

/**
 * The uint32 as the same 32 bits signed (the wire's int32):
 * `uint32ToInt32(3232235953) === -1062731343`. An already signed number is returned as is.
 * @throws InvalidIpError unless `n` is an integer in -2^31..2^32-1.
 */
export function uint32ToInt32(n: number): number {
  checkInteger(n);
  return n | 0;
}
