import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LarsConfig } from "@lars/config";
import { isLarsError } from "@lars/iobuf";
import { readServiceConfig, storeOptionsFromConfig, StoreSynchronousError, StoreTypeError } from "../src/index.js";

describe("storeOptionsFromConfig", () => {
  it("defaults to a SQLite file lars.db beside the config", () => {
    expect(storeOptionsFromConfig(LarsConfig.parse(""), "/srv/lars")).toEqual({ type: "sqlite", path: "/srv/lars/lars.db" });
  });

  it("resolves a relative SQLite path from the config's folder and keeps an absolute one", () => {
    expect(storeOptionsFromConfig(LarsConfig.parse("[store]\npath = data/x.db\n"), "/etc/lars")).toEqual({ type: "sqlite", path: "/etc/lars/data/x.db" });
    expect(storeOptionsFromConfig(LarsConfig.parse("[store]\npath = /var/x.db\n"), "/etc/lars")).toEqual({ type: "sqlite", path: "/var/x.db" });
  });

  it("reads the C++ [mysql] keys when type = mysql", () => {
    const config = LarsConfig.parse("[store]\ntype = mysql\n[mysql]\ndb_host = 10.0.0.5\ndb_port = 3307\ndb_user = lars\ndb_passwd = s3cret\ndb_name = lars_dns\n");
    expect(storeOptionsFromConfig(config, "/")).toEqual({ type: "mysql", host: "10.0.0.5", port: 3307, user: "lars", password: "s3cret", database: "lars_dns" });
  });

  it("reads [store] synchronous = full | normal for SQLite, and refuses anything else", () => {
    expect(storeOptionsFromConfig(LarsConfig.parse("[store]\nsynchronous = FULL\n"), "/d")).toEqual({ type: "sqlite", path: "/d/lars.db", synchronous: "full" });
    expect(storeOptionsFromConfig(LarsConfig.parse("[store]\nsynchronous = normal\n"), "/d")).toEqual({ type: "sqlite", path: "/d/lars.db", synchronous: "normal" });
    expect(() => storeOptionsFromConfig(LarsConfig.parse("[store]\nsynchronous = off\n", "x.conf"), "/d")).toThrow(StoreSynchronousError);
  });

  it("refuses an unknown store type with a typed error", () => {
    let caught: unknown;
    try {
      storeOptionsFromConfig(LarsConfig.parse("[store]\ntype = oracle\n", "x.conf"), "/");
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(StoreTypeError);
    expect(isLarsError(caught, "LARS_CONFIG_BAD_VALUE")).toBe(true);
    expect((caught as Error).message).toContain("oracle");
  });
});

describe("readServiceConfig", () => {
  it("resolves the file from the given cwd and reports its folder", () => {
    const dir = mkdtempSync(join(tmpdir(), "lars-service-"));
    writeFileSync(join(dir, "dns.conf"), "[reactor]\nport = 7778\n");
    const { config, dir: base } = readServiceConfig("dns.conf", dir);
    expect(base).toBe(dir);
    expect(config.getNumber("reactor", "port")).toBe(7778);
  });

  it("throws the config's typed error for a missing file", () => {
    expect(() => readServiceConfig("/nonexistent/lars.conf")).toThrow(expect.objectContaining({ code: "LARS_CONFIG_NOT_FOUND" }));
  });
});
