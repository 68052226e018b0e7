// Issue 10 ("one error base with stable code for every package"): ConfigError
// was a plain Error; it is a LarsError now and keeps its stable codes.
import { isLarsError, LarsError } from "@lars/iobuf";
import { describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, isConfigError, LarsConfig, serverOptionsFromConfig } from "../src/index.js";

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw, nothing was thrown");
}

describe("ConfigError is a LarsError", () => {
  it("a missing file: instanceof LarsError and ConfigError, code LARS_CONFIG_NOT_FOUND, name ConfigError", () => {
    const err = caught(() => LarsConfig.loadSync("/no/such/dir/serv.conf"));
    expect(err).toBeInstanceOf(LarsError);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err).toBeInstanceOf(Error);
    expect(isLarsError(err, "LARS_CONFIG_NOT_FOUND")).toBe(true);
    expect((err as ConfigError).code).toBe("LARS_CONFIG_NOT_FOUND");
    expect((err as ConfigError).name).toBe("ConfigError");
    expect((err as ConfigError).file).toBe("/no/such/dir/serv.conf");
    expect((err as ConfigError).cause).toMatchObject({ code: "ENOENT" });
  });

  it("the async loader rejects with the same LarsError", async () => {
    const err: unknown = await LarsConfig.load("/no/such/dir/serv.conf").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(LarsError);
    expect(isConfigError(err, ConfigErrorCode.NOT_FOUND)).toBe(true);
  });

  it.each([
    ["[s]\nn = 12abc\n", (c: LarsConfig) => c.getNumber("s", "n"), "LARS_CONFIG_BAD_NUMBER"],
    ["[s]\nb = maybe\n", (c: LarsConfig) => c.getBool("s", "b"), "LARS_CONFIG_BAD_BOOL"],
    ["[s]\n", (c: LarsConfig) => c.getString("s", "missing"), "LARS_CONFIG_MISSING_KEY"],
    ["[reactor]\nip = 127.0.0.1\n", (c: LarsConfig) => serverOptionsFromConfig(c, "reactor"), "LARS_CONFIG_MISSING_KEY"],
  ] as const)("%j: code %s… is stable and the error is a LarsError", (text, get, code) => {
    const err = caught(() => get(LarsConfig.parse(text, "t.conf")));
    expect(err).toBeInstanceOf(LarsError);
    expect((err as LarsError).code).toBe(code);
  });

  it("the codes are the released strings", () => {
    expect(ConfigErrorCode).toEqual({
      NOT_FOUND: "LARS_CONFIG_NOT_FOUND",
      UNREADABLE: "LARS_CONFIG_UNREADABLE",
      MISSING_KEY: "LARS_CONFIG_MISSING_KEY",
      BAD_NUMBER: "LARS_CONFIG_BAD_NUMBER",
      BAD_BOOL: "LARS_CONFIG_BAD_BOOL",
    });
    const err = new ConfigError(ConfigErrorCode.BAD_BOOL, "x", { key: "k" });
    expect(err).toBeInstanceOf(LarsError);
    expect(err.code).toBe("LARS_CONFIG_BAD_BOOL");
    expect(err.key).toBe("k");
    expect("cause" in err).toBe(false);
  });
});
