import { describe, expect, it } from "vitest";
import { ConfigError, ConfigErrorCode, isConfigError } from "./errors.js";
import { DEFAULT_SOURCE_NAME, LarsConfig } from "./lars-config.js";

const SERV_CONF = `
[reactor]
maxConn = 1024
threadNum = 5
ip = 127.0.0.1
port = 7777

[types]
int = -42
float = 3.25
bool_yes = YES
bool_no = 0
list = a, b,,c\td
empty =
quoted = "x"
bad_int = 12abc
bad_float = 1.5s
bad_bool = maybe
`;

const config = LarsConfig.parse(SERV_CONF, "serv.conf");

/** Runs `fn`, expecting a ConfigError; returns it for further checks. */
function catchConfigError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error("expected a ConfigError, nothing was thrown");
}

describe("LarsConfig structure", () => {
  it("lists sections in order and reports presence", () => {
    expect(config.sections()).toEqual(["reactor", "types"]);
    expect(config.hasSection("reactor")).toBe(true);
    expect(config.hasSection("Reactor")).toBe(false);
    expect(config.has("reactor", "port")).toBe(true);
    expect(config.has("reactor", "Port")).toBe(false);
    expect(config.has("types", "empty")).toBe(true);
    expect(config.has("nope", "port")).toBe(false);
  });

  it("returns a section as a fresh plain record", () => {
    const reactor = config.section("reactor");
    expect(reactor).toEqual({ maxConn: "1024", threadNum: "5", ip: "127.0.0.1", port: "7777" });
    expect(Object.getPrototypeOf(reactor)).toBe(Object.prototype);
    reactor["port"] = "1";
    expect(config.getString("reactor", "port")).toBe("7777");
    expect(config.section("missing")).toEqual({});
  });

  it("returns fresh arrays from sections()", () => {
    config.sections().push("x");
    expect(config.sections()).toEqual(["reactor", "types"]);
  });

  it("keeps a __proto__ key as an own property of section()", () => {
    const c = LarsConfig.parse("[s]\n__proto__ = p\nconstructor = c");
    const s = c.section("s");
    expect(Object.keys(s)).toEqual(["__proto__", "constructor"]);
    expect(Object.getPrototypeOf(s)).toBe(Object.prototype);
    expect(c.getString("s", "__proto__")).toBe("p");
  });

  it("names its source", () => {
    expect(config.source).toBe("serv.conf");
    expect(LarsConfig.parse("").source).toBe(DEFAULT_SOURCE_NAME);
  });
});

describe("getters with the key present", () => {
  it("getString returns the raw value", () => {
    expect(config.getString("reactor", "ip")).toBe("127.0.0.1");
    expect(config.getString("types", "quoted", "dflt")).toBe('"x"');
    expect(config.getString("types", "empty", "dflt")).toBe("");
  });

  it("getNumber returns the integer", () => {
    expect(config.getNumber("reactor", "port")).toBe(7777);
    expect(config.getNumber("types", "int", 0)).toBe(-42);
  });

  it("getFloat returns the number, integers included", () => {
    expect(config.getFloat("types", "float")).toBe(3.25);
    expect(config.getFloat("types", "int", 1.5)).toBe(-42);
  });

  it("getBool accepts the six spellings in any case", () => {
    expect(config.getBool("types", "bool_yes")).toBe(true);
    expect(config.getBool("types", "bool_no", true)).toBe(false);
  });

  it("getList splits and drops empty items", () => {
    expect(config.getList("types", "list")).toEqual(["a", "b", "c", "d"]);
    expect(config.getList("types", "empty", ["dflt"])).toEqual([]);
    expect(config.getList("reactor", "ip")).toEqual(["127.0.0.1"]);
  });
});

describe("getters with the key missing", () => {
  it("return the default when one is given", () => {
    expect(config.getString("reactor", "nope", "d")).toBe("d");
    expect(config.getString("reactor", "nope", "")).toBe("");
    expect(config.getNumber("reactor", "nope", 0)).toBe(0);
    expect(config.getFloat("nosection", "nope", 0.5)).toBe(0.5);
    expect(config.getBool("reactor", "nope", false)).toBe(false);
    const dflt = ["x", "y"];
    const list = config.getList("reactor", "nope", dflt);
    expect(list).toEqual(["x", "y"]);
    expect(list).not.toBe(dflt);
  });

  it.each([
    ["getString", () => config.getString("reactor", "nope")],
    ["getNumber", () => config.getNumber("reactor", "nope")],
    ["getFloat", () => config.getFloat("reactor", "nope")],
    ["getBool", () => config.getBool("reactor", "nope")],
    ["getList", () => config.getList("reactor", "nope")],
    ["getString (undefined default)", () => config.getString("reactor", "nope", undefined)],
  ])("%s throws LARS_CONFIG_MISSING_KEY without a default", (_name, call) => {
    const err = catchConfigError(call);
    expect(err.code).toBe(ConfigErrorCode.MISSING_KEY);
    expect(err.code).toBe("LARS_CONFIG_MISSING_KEY");
    expect(err.name).toBe("ConfigError");
    expect(err.file).toBe("serv.conf");
    expect(err.section).toBe("reactor");
    expect(err.key).toBe("nope");
    expect(err.value).toBeUndefined();
    expect(err.message).toBe('serv.conf: no key "nope" in section [reactor]');
  });

  it("says when the whole section is missing", () => {
    const err = catchConfigError(() => config.getNumber("server", "port"));
    expect(err.code).toBe("LARS_CONFIG_MISSING_KEY");
    expect(err.section).toBe("server");
    expect(err.key).toBe("port");
    expect(err.message).toBe('serv.conf: no section [server] (wanted key "port")');
  });
});

describe("getters with a malformed value", () => {
  it.each([
    ["getNumber", "bad_int", () => config.getNumber("types", "bad_int", 1)],
    ["getNumber on a float", "float", () => config.getNumber("types", "float")],
    ["getNumber on an empty value", "empty", () => config.getNumber("types", "empty", 1)],
    ["getFloat", "bad_float", () => config.getFloat("types", "bad_float", 1)],
  ])("%s throws LARS_CONFIG_BAD_NUMBER even with a default", (_name, key, call) => {
    const err = catchConfigError(call);
    expect(err.code).toBe("LARS_CONFIG_BAD_NUMBER");
    expect(err.file).toBe("serv.conf");
    expect(err.section).toBe("types");
    expect(err.key).toBe(key);
    expect(err.value).toBe(config.getString("types", key));
    expect(err.message).toContain("serv.conf");
    expect(err.message).toContain("[types]");
    expect(err.message).toContain(key);
  });

  it("getNumber's message quotes the bad text", () => {
    const err = catchConfigError(() => config.getNumber("types", "bad_int"));
    expect(err.message).toBe('serv.conf: [types] bad_int = "12abc" is not an integer');
  });

  it("getBool throws LARS_CONFIG_BAD_BOOL even with a default", () => {
    const err = catchConfigError(() => config.getBool("types", "bad_bool", true));
    expect(err.code).toBe("LARS_CONFIG_BAD_BOOL");
    expect(err.section).toBe("types");
    expect(err.key).toBe("bad_bool");
    expect(err.value).toBe("maybe");
    expect(err.message).toBe('serv.conf: [types] bad_bool = "maybe" is not a boolean (expected true/false/yes/no/1/0)');
  });

  it("getBool refuses an empty value", () => {
    expect(catchConfigError(() => config.getBool("types", "empty")).code).toBe("LARS_CONFIG_BAD_BOOL");
  });
});

describe("ConfigError", () => {
  it("is an Error with a stable code, name, fields and cause", () => {
    const cause = new Error("root");
    const err = new ConfigError(ConfigErrorCode.UNREADABLE, "msg", { file: "f", section: "s", key: "k", cause });
    expect(err).toBeInstanceOf(Error);
    expect(err.name).toBe("ConfigError");
    expect(err.code).toBe("LARS_CONFIG_UNREADABLE");
    expect(err.cause).toBe(cause);
    expect([err.file, err.section, err.key, err.value]).toEqual(["f", "s", "k", undefined]);
    expect(String(err)).toBe("ConfigError: msg");
  });

  it("has no cause property unless given one", () => {
    expect("cause" in new ConfigError(ConfigErrorCode.BAD_BOOL, "m")).toBe(false);
  });

  it("is recognised by isConfigError, optionally by code", () => {
    const err = new ConfigError(ConfigErrorCode.BAD_BOOL, "m");
    expect(isConfigError(err)).toBe(true);
    expect(isConfigError(err, "LARS_CONFIG_BAD_BOOL")).toBe(true);
    expect(isConfigError(err, "LARS_CONFIG_BAD_NUMBER")).toBe(false);
    expect(isConfigError(new Error("m"))).toBe(false);
    expect(isConfigError(undefined)).toBe(false);
  });

  it("has the five documented codes", () => {
    expect(Object.values(ConfigErrorCode).sort()).toEqual([
      "LARS_CONFIG_BAD_BOOL",
      "LARS_CONFIG_BAD_NUMBER",
      "LARS_CONFIG_MISSING_KEY",
      "LARS_CONFIG_NOT_FOUND",
      "LARS_CONFIG_UNREADABLE",
    ]);
  });
});
