import { describe, expect, it } from "vitest";
import { LarsConfig } from "@lars/config";
import { reporterConfigFromFile } from "../src/reporter-config.js";

describe("reporterConfigFromFile", () => {
  it("reads the C++ lars_reporter.conf shape, with the misspelt [repoter] section and a warning", () => {
    const conf = LarsConfig.parse(
      ["[reactor]", "ip = 127.0.0.1", "port = 7780", "maxConn = 64", "threadNum = 0", "[mysql]", "db_host = 127.0.0.1", "db_port = 3306", "db_user = root", "db_passwd = x", "db_name = lars", "[repoter]", "db_thread_cnt = 3"].join("\n"),
      "lars_reporter.conf",
    );
    const c = reporterConfigFromFile(conf, "/etc/lars");
    expect(c).toMatchObject({ host: "127.0.0.1", port: 7780, maxConn: 64, dbThreadCnt: 3, history: undefined });
    expect(c.store).toEqual({ type: "sqlite", path: "/etc/lars/lars.db" });
    expect(c.warnings).toEqual([expect.stringContaining("[repoter]")]);
  });

  it("has defaults, history off; [history] and [store] mysql when asked", () => {
    const d = reporterConfigFromFile(LarsConfig.parse("", "x"), "/d");
    expect(d).toMatchObject({ host: "127.0.0.1", port: 7779, queueCap: 100_000, batchSize: 2000, flushIntervalMs: 50, history: undefined, warnings: [] });
    const conf = LarsConfig.parse(
      ["[store]", "type = mysql", "[mysql]", "db_host = db", "db_name = l", "[reporter]", "db_thread_cnt = 2", "[history]", "enabled = true", "interval = 10", "retention = 3600"].join("\n"),
      "x",
    );
    const c = reporterConfigFromFile(conf, "/d");
    expect(c.history).toEqual({ intervalSec: 10, retentionSec: 3600 });
    expect(c.store).toMatchObject({ type: "mysql", host: "db", database: "l" });
    expect(c.dbThreadCnt).toBe(2);
    expect(c.warnings).toEqual([]);
  });

  it("refuses a malformed number", () => {
    expect(() => reporterConfigFromFile(LarsConfig.parse("[reporter]\nqueue_cap = many", "x"), "/d")).toThrow(/queue_cap/);
  });
});
