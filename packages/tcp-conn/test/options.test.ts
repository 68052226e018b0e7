import { InvalidArgumentError } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { BufPool } from "@lars/iobuf";
import { DEFAULT_CLOSE_TIMEOUT_MS, DEFAULT_HIGH_WATER_MARK, DEFAULT_OUTPUT_CAP, resolveTcpConnOptions } from "../src/index.js";

describe("resolveTcpConnOptions", () => {
  it("fills in the documented defaults", () => {
    expect(DEFAULT_OUTPUT_CAP).toBe(4 * 1024 * 1024);
    expect(DEFAULT_HIGH_WATER_MARK).toBe(1024 * 1024);
    expect(DEFAULT_CLOSE_TIMEOUT_MS).toBe(5000);
    expect(resolveTcpConnOptions()).toEqual({
      maxMessageLength: 65527,
      outputCap: DEFAULT_OUTPUT_CAP,
      highWaterMark: DEFAULT_HIGH_WATER_MARK,
      lowWaterMark: DEFAULT_HIGH_WATER_MARK / 2,
      closeOnOutputFull: false,
      closeTimeoutMs: DEFAULT_CLOSE_TIMEOUT_MS,
      pool: undefined,
    });
    expect(resolveTcpConnOptions({})).toEqual(resolveTcpConnOptions());
  });

  it("keeps what is given, and derives the low-water mark from the high-water mark", () => {
    const pool = new BufPool();
    const r = resolveTcpConnOptions({
      maxMessageLength: 1000,
      outputCap: 100_000,
      highWaterMark: 30_000,
      closeOnOutputFull: true,
      closeTimeoutMs: 0,
      pool,
    });
    expect(r).toEqual({
      maxMessageLength: 1000,
      outputCap: 100_000,
      highWaterMark: 30_000,
      lowWaterMark: 15_000,
      closeOnOutputFull: true,
      closeTimeoutMs: 0,
      pool,
    });
    expect(r.pool).toBe(pool);
    expect(resolveTcpConnOptions({ highWaterMark: 1001 }).lowWaterMark).toBe(500);
    expect(resolveTcpConnOptions({ lowWaterMark: 0 }).lowWaterMark).toBe(0);
    expect(resolveTcpConnOptions({ highWaterMark: 5000, lowWaterMark: 5000 }).lowWaterMark).toBe(5000);
  });

  it("clamps the default high-water mark to a small outputCap", () => {
    const r = resolveTcpConnOptions({ outputCap: 100_000 });
    expect(r.highWaterMark).toBe(100_000);
    expect(r.lowWaterMark).toBe(50_000);
  });

  it.each([
    ["maxMessageLength", { maxMessageLength: -1 }],
    ["maxMessageLength", { maxMessageLength: 1.5 }],
    ["maxMessageLength", { maxMessageLength: 8 * 1024 * 1024 }],
    ["maxMessageLength", { maxMessageLength: Number.NaN }],
    ["outputCap", { outputCap: 0 }],
    ["outputCap", { outputCap: -1 }],
    ["outputCap", { outputCap: 70_000.5 }],
    ["outputCap", { outputCap: Number.POSITIVE_INFINITY }],
    ["highWaterMark", { highWaterMark: 0 }],
    ["highWaterMark", { highWaterMark: -5 }],
    ["highWaterMark", { highWaterMark: 2.5 }],
    ["lowWaterMark", { lowWaterMark: -1 }],
    ["lowWaterMark", { lowWaterMark: 0.5 }],
    ["lowWaterMark", { highWaterMark: 1000, lowWaterMark: 1001 }],
    ["closeTimeoutMs", { closeTimeoutMs: -1 }],
    ["closeTimeoutMs", { closeTimeoutMs: Number.NaN }],
    ["closeTimeoutMs", { closeTimeoutMs: Number.POSITIVE_INFINITY }],
  ] as const)("refuses a bad %s (%j) with an InvalidArgumentError naming it", (field, options) => {
    expect(() => resolveTcpConnOptions(options)).toThrow(InvalidArgumentError);
    expect(() => resolveTcpConnOptions(options)).toThrow(expect.objectContaining({ code: "LARS_INVALID_ARGUMENT", field }));
    expect(() => resolveTcpConnOptions(options)).toThrow(new RegExp(`^${field}`));
  });

  it("refuses a highWaterMark over the outputCap, naming both", () => {
    expect(() => resolveTcpConnOptions({ outputCap: 100_000, highWaterMark: 100_001 })).toThrow(InvalidArgumentError);
    expect(() => resolveTcpConnOptions({ outputCap: 100_000, highWaterMark: 100_001 })).toThrow(/highWaterMark.*outputCap/);
    expect(resolveTcpConnOptions({ outputCap: 100_000, highWaterMark: 100_000 }).highWaterMark).toBe(100_000);
  });

  it("refuses an outputCap that cannot hold one largest frame", () => {
    expect(() => resolveTcpConnOptions({ outputCap: 65_534 })).toThrow(/outputCap.*65535/);
    expect(resolveTcpConnOptions({ outputCap: 65_535 }).outputCap).toBe(65_535);
    expect(() => resolveTcpConnOptions({ maxMessageLength: 1000, outputCap: 1007 })).toThrow(/outputCap/);
    expect(resolveTcpConnOptions({ maxMessageLength: 1000, outputCap: 1008 }).outputCap).toBe(1008);
  });
});
