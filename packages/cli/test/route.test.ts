import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "@lars/store";
import { run } from "./helpers.js";

const root = mkdtempSync(join(tmpdir(), "lars-cli-route-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe("lars route", () => {
  it("adds, lists, removes, replaces and deletes routes in one database; bad input changes nothing", async () => {
    const conf = join(root, "dns.conf");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(conf, "[store]\ntype = sqlite\npath = routes.db\n");
    const add = await run(["route", "add", "1", "-2", "10.0.0.1:80", "10.0.0.2:80", "--config", conf]);
    expect(add).toMatchObject({ code: 0 });
    expect(add.stdout).toMatch(/^1 -2: add 10\.0\.0\.1:80 done, route version \d+\n1 -2: add 10\.0\.0\.2:80 done/);
    const again = await run(["route", "add", "1", "-2", "10.0.0.1:80", "--config", conf]);
    expect(again.stdout).toBe("1 -2: add 10.0.0.1:80 changed nothing\n");

    const bad = await run(["route", "add", "1", "x", "10.0.0.3:80", "--config", conf]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/CMDID must be a 32-bit integer/);
    const badHost = await run(["route", "replace", "1", "-2", "10.0.0.300:80", "--config", conf]);
    expect(badHost.code).toBe(2);
    expect(badHost.stderr).toMatch(/not an IPv4/);

    expect((await run(["route", "list", "--config", conf])).stdout).toBe("1 -2 10.0.0.1:80 10.0.0.2:80\n");
    await run(["route", "remove", "1", "-2", "10.0.0.1:80", "--config", conf]);
    await run(["route", "replace", "7", "7", "192.168.1.177:7777", "--config", conf]);
    expect((await run(["route", "list", "--config", conf])).stdout).toBe("1 -2 10.0.0.2:80\n7 7 192.168.1.177:7777\n");
    expect((await run(["route", "list", "7", "--config", conf])).stdout).toBe("7 7 192.168.1.177:7777\n");
    const del = await run(["route", "delete", "1", "-2", "--config", conf]);
    expect(del.stdout).toMatch(/^1 -2: delete done/);

    const store = await openStore({ type: "sqlite", path: join(root, "routes.db") });
    try {
      expect(await store.listRoutes()).toEqual([{ modid: 7, cmdid: 7, hosts: [{ ip: -1062731343, port: 7777 }] }]);
      expect((await store.loadRouteChanges()).length).toBeGreaterThanOrEqual(5);
    } finally {
      await store.close();
    }
  });

  it("--help exits 0; no command or an unknown one exits 2; a missing --dir says to run lars up", async () => {
    expect((await run(["route", "--help"])).code).toBe(0);
    expect((await run(["route"])).code).toBe(2);
    expect((await run(["route", "frobnicate", "--dir", root])).code).toBe(2);
    const missing = await run(["route", "list", "--dir", join(root, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/run lars up first/);
  });
});

describe("lars", () => {
  it("--help lists the commands; --version prints the version; an unknown command exits 2", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/lars up/);
    expect((await run(["--version"])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
    expect((await run(["bogus"])).code).toBe(2);
    const dnsHelp = await run(["dns", "--help"]);
    expect(dnsHelp.code).toBe(0);
    expect(dnsHelp.stdout).toMatch(/usage: lars-dns/);
  });
});
