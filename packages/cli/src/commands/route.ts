import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { int32ToIp, ipToInt32 } from "@lars/proto";
import type { HostInfo } from "@lars/proto";
import { BinUsageError, readServiceConfig, storeOptionsFromConfig } from "@lars/service";
import { openStore } from "@lars/store";
import type { AdminResult, StoreOptions } from "@lars/store";

export const ROUTE_USAGE = `usage: lars route <command> [--dir DIR | --config FILE]

Administers routes in the Lars database, each change in one transaction (RouteData rows,
a RouteChange row, RouteVersion bumped), so running lars-dns services push it within
their poll interval.

  lars route list [MODID [CMDID]]          the routes, one per line: MODID CMDID IP:PORT ...
  lars route add MODID CMDID IP:PORT...    add hosts to a route (created when absent)
  lars route remove MODID CMDID IP:PORT... remove hosts (the route goes when emptied)
  lars route replace MODID CMDID IP:PORT...set a route's hosts
  lars route delete MODID CMDID            remove a route and all its hosts

  --dir DIR      a lars up folder: its dns.conf names the database (default ./lars-data)
  --config FILE  a lars_dns.conf: [store] type = sqlite | mysql, path; [mysql] ...
  -h, --help     show this help`;

/** `lars route ...`. */
export async function route(argv: string[]): Promise<void> {
  // Negative ids (`lars route add 1 -2 ...`) are arguments, not options: Node 20's parseArgs
  // would refuse them, so they are set aside before it runs and put back in their place.
  const negatives: string[] = [];
  const args = argv.map((a) => (/^-\d+$/.test(a) ? `\0neg${negatives.push(a) - 1}` : a));
  const parsed = parseArgs({
    args,
    options: { dir: { type: "string" }, config: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  const values = parsed.values;
  const positionals = parsed.positionals.map((p) => (p.startsWith("\0neg") ? (negatives[Number(p.slice(4))] as string) : p));
  const [command, ...rest] = positionals;
  if (values.help === true || command === undefined) {
    if (command === undefined && values.help !== true) throw new BinUsageError("lars route needs a command: list, add, remove, replace or delete");
    process.stdout.write(`${ROUTE_USAGE}\n`);
    return;
  }
  if (values.dir !== undefined && values.config !== undefined) throw new BinUsageError("give --dir or --config, not both");
  const cwd = process.env.INIT_CWD ?? process.cwd();
  const store = await openStore(storeOptions(values.dir, values.config, cwd));
  try {
    switch (command) {
      case "list": {
        const [modid, cmdid] = rest.map((t, i) => int(t, i === 0 ? "MODID" : "CMDID"));
        if (rest.length > 2) throw new BinUsageError(`unexpected argument: ${rest[2]}`);
        const routes = await store.listRoutes({ ...(modid === undefined ? {} : { modid }), ...(cmdid === undefined ? {} : { cmdid }) });
        for (const r of routes) process.stdout.write(`${r.modid} ${r.cmdid} ${r.hosts.map(hostText).join(" ")}\n`);
        if (routes.length === 0) process.stderr.write("no route\n");
        return;
      }
      case "add":
      case "remove":
      case "replace": {
        const [m, c, ...hostTexts] = rest;
        const modid = int(m, "MODID");
        const cmdid = int(c, "CMDID");
        if (hostTexts.length === 0 && command !== "replace") throw new BinUsageError(`lars route ${command} needs at least one IP:PORT`);
        const hosts = hostTexts.map(parseHost);
        if (command === "replace") {
          print(command, modid, cmdid, await store.replaceHosts(modid, cmdid, hosts));
        } else {
          for (const h of hosts) print(`${command} ${hostText(h)}`, modid, cmdid, command === "add" ? await store.addHost(modid, cmdid, h) : await store.removeHost(modid, cmdid, h));
        }
        return;
      }
      case "delete": {
        if (rest.length !== 2) throw new BinUsageError("usage: lars route delete MODID CMDID");
        print(command, int(rest[0], "MODID"), int(rest[1], "CMDID"), await store.deleteRoute(int(rest[0], "MODID"), int(rest[1], "CMDID")));
        return;
      }
      default:
        throw new BinUsageError(`unknown route command: ${command}`);
    }
  } finally {
    await store.close();
  }
}

function storeOptions(dir: string | undefined, config: string | undefined, cwd: string): StoreOptions {
  if (config !== undefined) {
    const file = readServiceConfig(config, cwd);
    return storeOptionsFromConfig(file.config, file.dir);
  }
  const folder = resolve(cwd, dir ?? "lars-data");
  const dnsConf = join(folder, "dns.conf");
  if (existsSync(dnsConf)) {
    const file = readServiceConfig(dnsConf);
    return storeOptionsFromConfig(file.config, file.dir);
  }
  if (!existsSync(folder)) throw new BinUsageError(`${folder} does not exist: run lars up first, or give --config FILE`);
  return { type: "sqlite", path: join(folder, "lars.db") };
}

function print(what: string, modid: number, cmdid: number, r: AdminResult): void {
  process.stdout.write(`${modid} ${cmdid}: ${what} ${r.changed ? `done, route version ${r.version}` : "changed nothing"}\n`);
}

function int(text: string | undefined, name: string): number {
  const n = Number(text);
  if (text === undefined || text === "" || !Number.isInteger(n) || n < -2147483648 || n > 2147483647) {
    throw new BinUsageError(`${name} must be a 32-bit integer, not ${JSON.stringify(text ?? "")}`);
  }
  return n;
}

function parseHost(text: string): HostInfo {
  const m = /^(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})$/.exec(text);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) throw new BinUsageError(`not an IPv4:PORT: ${JSON.stringify(text)}`);
  try {
    return { ip: ipToInt32(m[1] as string), port };
  } catch {
    throw new BinUsageError(`not an IPv4 address: ${JSON.stringify(m[1])}`);
  }
}

function hostText(h: HostInfo): string {
  return `${int32ToIp(h.ip)}:${h.port}`;
}
