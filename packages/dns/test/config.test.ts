import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { LarsConfig } from "@lars/config";
import { dnsOptionsFromConfig } from "../src/index.js";

describe("dnsOptionsFromConfig", () => {
  it("reads the C++ lars_dns.conf shape with a MySQL store", () => {
    const config = LarsConfig.parse(
      "[reactor]\nip = 0.0.0.0\nport = 7779\nmaxConn = 500\nthreadNum = 3\n[store]\ntype = mysql\n[mysql]\ndb_host = 10.0.0.5\ndb_port = 3307\ndb_user = lars\ndb_passwd = pw\ndb_name = lars_dns\n",
      "lars_dns.conf",
    );
    expect(dnsOptionsFromConfig(config, "/etc/lars")).toEqual({
      host: "0.0.0.0",
      port: 7779,
      maxConn: 500,
      threadNum: 3,
      store: { type: "mysql", host: "10.0.0.5", port: 3307, user: "lars", password: "pw", database: "lars_dns" },
    });
  });
  it("defaults: 127.0.0.1:7778, one process, SQLite lars.db beside the file", () => {
    const opts = dnsOptionsFromConfig(LarsConfig.parse("", "empty.conf"), "/srv/dns");
    expect(opts).toEqual({ host: "127.0.0.1", port: 7778, threadNum: 0, store: { type: "sqlite", path: join("/srv/dns", "lars.db") } });
  });
  it("refuses a malformed port and an unknown store type", () => {
    expect(() => dnsOptionsFromConfig(LarsConfig.parse("[reactor]\nport = 12ab\n", "x.conf"), "/")).toThrow(/port/);
    expect(() => dnsOptionsFromConfig(LarsConfig.parse("[store]\ntype = redis\n", "x.conf"), "/")).toThrow(/redis/);
  });
});
