import { describe, expect, it } from "vitest";
import { ConfigError } from "./errors.js";
import { LarsConfig } from "./lars-config.js";
import { DEFAULT_SERVER_OPTIONS, serverOptionsFromConfig } from "./server-options.js";

const SERV_CONF = "[reactor]\nmaxConn = 1024\nthreadNum = 5\nip = 127.0.0.1\nport = 7777\n";

function reactor(lines: string): LarsConfig {
  return LarsConfig.parse(`[reactor]\n${lines}\n`, "serv.conf");
}

function expectConfigError(fn: () => unknown, code: string, key: string): ConfigError {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ConfigError);
  const err = caught as ConfigError;
  expect(err.code).toBe(code);
  expect(err.file).toBe("serv.conf");
  expect(err.section).toBe("reactor");
  expect(err.key).toBe(key);
  expect(err.message).toContain("serv.conf");
  expect(err.message).toContain("[reactor]");
  expect(err.message).toContain(key);
  return err;
}

describe("serverOptionsFromConfig", () => {
  it("maps the C++ serv.conf keys, threadNum to workers", () => {
    expect(serverOptionsFromConfig(LarsConfig.parse(SERV_CONF))).toEqual({
      host: "127.0.0.1",
      port: 7777,
      maxConn: 1024,
      workers: 5,
    });
  });

  it("reads another section when asked", () => {
    const config = LarsConfig.parse(`${SERV_CONF}[dns]\nport = 9876\nthreadNum = 0\n`);
    expect(serverOptionsFromConfig(config, "dns")).toEqual({
      host: DEFAULT_SERVER_OPTIONS.host,
      port: 9876,
      maxConn: DEFAULT_SERVER_OPTIONS.maxConn,
      workers: 0,
    });
  });

  it("fills missing keys from DEFAULT_SERVER_OPTIONS", () => {
    expect(serverOptionsFromConfig(reactor("port = 0"))).toEqual({ host: "0.0.0.0", port: 0, maxConn: 1024, workers: 0 });
  });

  it("prefers the config over the defaults argument, and the defaults argument over the built-ins", () => {
    const defaults = { host: "::1", port: 8888, maxConn: 10, workers: 2 };
    expect(serverOptionsFromConfig(reactor("port = 7777"), "reactor", defaults)).toEqual({ ...defaults, port: 7777 });
    expect(serverOptionsFromConfig(reactor(""), "reactor", { port: 8888, workers: undefined })).toEqual({
      host: "0.0.0.0",
      port: 8888,
      maxConn: 1024,
      workers: 0,
    });
  });

  it("requires a port when neither the config nor the defaults give one", () => {
    expectConfigError(() => serverOptionsFromConfig(reactor("ip = 1.2.3.4")), "LARS_CONFIG_MISSING_KEY", "port");
  });

  it.each(["65536", "-1", "70000"])("refuses port = %s as out of range", (port) => {
    const err = expectConfigError(() => serverOptionsFromConfig(reactor(`port = ${port}`)), "LARS_CONFIG_BAD_NUMBER", "port");
    expect(err.value).toBe(port);
    expect(err.message).toBe(`serv.conf: [reactor] port = "${port}" is out of range (expected an integer from 0 to 65535)`);
  });

  it.each(["77x7", "7777.0", "", "0x1E61"])("refuses port = %j as not an integer", (port) => {
    expectConfigError(() => serverOptionsFromConfig(reactor(`port = ${port}`)), "LARS_CONFIG_BAD_NUMBER", "port");
  });

  it("accepts the port bounds 0 and 65535", () => {
    expect(serverOptionsFromConfig(reactor("port = 65535")).port).toBe(65535);
    expect(serverOptionsFromConfig(reactor("port = 0")).port).toBe(0);
  });

  it.each(["0", "-5"])("refuses maxConn = %s", (maxConn) => {
    const err = expectConfigError(
      () => serverOptionsFromConfig(reactor(`port = 1\nmaxConn = ${maxConn}`)),
      "LARS_CONFIG_BAD_NUMBER",
      "maxConn",
    );
    expect(err.message).toContain("greater than 0");
  });

  it("refuses a negative threadNum, naming the C++ key", () => {
    const err = expectConfigError(
      () => serverOptionsFromConfig(reactor("port = 1\nthreadNum = -1")),
      "LARS_CONFIG_BAD_NUMBER",
      "threadNum",
    );
    expect(err.message).toContain("0 or more");
  });

  it("refuses a non-integer threadNum", () => {
    expectConfigError(() => serverOptionsFromConfig(reactor("port = 1\nthreadNum = four")), "LARS_CONFIG_BAD_NUMBER", "threadNum");
  });

  it.each([
    [{ port: 65536 }, /defaults\.port must be an integer from 0 to 65535, got 65536/],
    [{ port: 1.5 }, /defaults\.port/],
    [{ maxConn: 0 }, /defaults\.maxConn must be an integer greater than 0/],
    [{ workers: -1 }, /defaults\.workers must be an integer of 0 or more/],
  ])("throws a RangeError for bad defaults %j, even when the config has the key", (defaults, message) => {
    const config = LarsConfig.parse(SERV_CONF);
    expect(() => serverOptionsFromConfig(config, "reactor", defaults)).toThrow(RangeError);
    expect(() => serverOptionsFromConfig(config, "reactor", defaults)).toThrow(message);
  });
});
