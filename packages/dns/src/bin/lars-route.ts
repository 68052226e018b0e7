// lars-route: route admin from the shell. add|del|set|list.
import { parseArgs } from "node:util";
import { emptyServiceConfig, readServiceConfig, runBin, storeOptionsFromConfig, BinUsageError } from "@lars/service";
import { InvalidIpError, int32ToIp, ipToInt32, type HostInfo } from "@lars/proto";
import { openBinStore, type BinStore } from "./open-store.js";

const USAGE = `usage: lars-route add MODID CMDID IP PORT [--config FILE]
       lars-route del MODID CMDID IP PORT [--config FILE]
       lars-route set MODID CMDID [IP:PORT ...] [--config FILE]
       lars-route list [MODID CMDID] [--config FILE]

Edits the Lars route database (one transaction per command: RouteData,
RouteChange and RouteVersion), which every lars-dns on it then pushes.

  --config FILE  a lars_dns.conf: [store] type = sqlite (default) | mysql,
                 path (lars.db beside the file); [mysql] db_host, db_port,
                 db_user, db_passwd, db_name. Without it: ./lars.db
  -h, --help     show this help

Exit 0 on success, 2 on bad usage, 1 on a store error.`;

function int(name: string, raw: string | undefined, min: number, max: number): number {
  if (raw === undefined) throw new BinUsageError(`missing ${name}`);
  if (!/^[+-]?\d+$/.test(raw)) throw new BinUsageError(`${name} must be an integer, got "${raw}"`);
  const n = Number(raw);
  if (n < min || n > max) throw new BinUsageError(`${name} must be in ${min}..${max}, got ${raw}`);
  return n;
}

function ip(raw: string | undefined): number {
  if (raw === undefined) throw new BinUsageError("missing IP");
  try {
    return ipToInt32(raw);
  } catch (err) {
    if (err instanceof InvalidIpError) throw new BinUsageError(`IP must be a dotted IPv4 address, got "${raw}"`);
    throw err;
  }
}

const INT32 = [-2147483648, 2147483647] as const;

function hostArgs(args: string[]): HostInfo {
  if (args.length !== 4) throw new BinUsageError(`expected MODID CMDID IP PORT, got ${args.length} argument(s)`);
  return { ip: ip(args[2]), port: int("PORT", args[3], 1, 65535) };
}

function fmt(h: HostInfo): string {
  return `${int32ToIp(h.ip)}:${h.port}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { config: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const [command, ...args] = positionals;
  if (command === undefined) throw new BinUsageError("missing command (add, del, set or list)");
  if (!["add", "del", "set", "list"].includes(command)) throw new BinUsageError(`unknown command "${command}"`);
  // Check every argument before touching the store.
  let run: (store: BinStore) => Promise<void>;
  if (command === "add" || command === "del") {
    const host = hostArgs(args);
    const modid = int("MODID", args[0], ...INT32);
    const cmdid = int("CMDID", args[1], ...INT32);
    run = async (store) => {
      const r = command === "add" ? await store.addHost(modid, cmdid, host) : await store.removeHost(modid, cmdid, host);
      const verb = command === "add" ? "added" : "removed";
      process.stdout.write(`${r.changed ? verb : "unchanged"} ${modid} ${cmdid} ${fmt(host)} (version ${r.version})\n`);
    };
  } else if (command === "set") {
    if (args.length < 2) throw new BinUsageError("expected MODID CMDID [IP:PORT ...]");
    const modid = int("MODID", args[0], ...INT32);
    const cmdid = int("CMDID", args[1], ...INT32);
    const hosts = args.slice(2).map((a) => {
      const i = a.lastIndexOf(":");
      if (i < 0) throw new BinUsageError(`expected IP:PORT, got "${a}"`);
      return { ip: ip(a.slice(0, i)), port: int("PORT", a.slice(i + 1), 1, 65535) };
    });
    run = async (store) => {
      const r = await store.replaceHosts(modid, cmdid, hosts);
      process.stdout.write(`${r.changed ? "set" : "unchanged"} ${modid} ${cmdid} ${hosts.map(fmt).join(" ")} (version ${r.version})\n`);
    };
  } else {
    if (args.length !== 0 && args.length !== 2) throw new BinUsageError("list takes no argument or MODID CMDID");
    const filter = args.length === 2 ? { modid: int("MODID", args[0], ...INT32), cmdid: int("CMDID", args[1], ...INT32) } : {};
    run = async (store) => {
      const routes = await store.listRoutes(filter);
      for (const r of routes) for (const h of r.hosts) process.stdout.write(`${r.modid} ${r.cmdid} ${fmt(h)}\n`);
    };
  }
  const { config, dir } = values.config !== undefined ? readServiceConfig(values.config) : emptyServiceConfig();
  const store = await openBinStore(storeOptionsFromConfig(config, dir));
  try {
    await run(store);
  } finally {
    await store.close();
  }
}

runBin(main, { name: "lars-route" });
