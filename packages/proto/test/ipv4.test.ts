import { describe, expect, it } from "vitest";
import { InvalidIpError, int32ToIp, int32ToUint32, ipToInt32, uint32ToInt32 } from "../src/index.js";

describe("IPv4 helpers", () => {
  it.each([
    ["192.168.1.177", -1062731343],
    ["255.255.255.255", -1],
    ["0.0.0.0", 0],
    ["127.0.0.1", 2130706433],
    ["128.0.0.0", -(2 ** 31)],
    ["127.255.255.255", 2 ** 31 - 1],
  ])("%s <-> %i", (ip, n) => {
    expect(ipToInt32(ip)).toBe(n);
    expect(int32ToIp(n)).toBe(ip);
  });

  it("int32ToIp also takes the unsigned form", () => {
    expect(int32ToIp(3232235953)).toBe("192.168.1.177");
    expect(int32ToIp(4294967295)).toBe("255.255.255.255");
  });

  it("converts between int32 and uint32", () => {
    expect(int32ToUint32(-1062731343)).toBe(3232235953);
    expect(int32ToUint32(-1)).toBe(4294967295);
    expect(int32ToUint32(5)).toBe(5);
    expect(uint32ToInt32(3232235953)).toBe(-1062731343);
    expect(uint32ToInt32(4294967295)).toBe(-1);
    expect(uint32ToInt32(-7)).toBe(-7);
  });

  it.each(["", "1.2.3", "1.2.3.4.5", "256.0.0.1", "1.2.3.-1", "01.2.3.4", " 1.2.3.4", "1.2.3.4 ", "a.b.c.d", "1..2.3", "1.2.3.1e2", "0x1.2.3.4"])(
    "ipToInt32(%j) throws InvalidIpError",
    (ip) => {
      expect(() => ipToInt32(ip)).toThrow(InvalidIpError);
      try {
        ipToInt32(ip);
      } catch (err) {
        expect((err as InvalidIpError).code).toBe("LARS_INVALID_IP");
      }
    },
  );

  it.each([1.5, Number.NaN, 2 ** 32, -(2 ** 31) - 1, Infinity])("number %s throws InvalidIpError", (n) => {
    expect(() => int32ToIp(n)).toThrow(InvalidIpError);
    expect(() => int32ToUint32(n)).toThrow(InvalidIpError);
    expect(() => uint32ToInt32(n)).toThrow(InvalidIpError);
  });

  it("a non-string throws InvalidIpError", () => {
    expect(() => ipToInt32(123 as unknown as string)).toThrow(InvalidIpError);
  });
});
