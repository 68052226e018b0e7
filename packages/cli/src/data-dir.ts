import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The config files of a `lars up` data folder. */
export interface DataDir {
  /** The folder, absolute. */
  readonly dir: string;
  readonly dnsConf: string;
  readonly reporterConf: string;
  readonly agentConf: string;
  readonly consoleConf: string;
  /** Files written by this call (absent before). */
  readonly created: readonly string[];
}

const DNS_CONF = `# lars-dns (written by \`lars up\`; edit freely, it is never overwritten)
[reactor]
ip = 127.0.0.1
port = 7778

[store]
type = sqlite
path = lars.db

[dns]
poll_interval_ms = 1000

[metrics]
port = 9778
`;

const REPORTER_CONF = `# lars-reporter (written by \`lars up\`)
[reactor]
ip = 127.0.0.1
port = 7779

[store]
type = sqlite
path = lars.db

[reporter]
flush_interval_ms = 200

# per-minute history for the console's charts (off by default in a hand-written config)
[history]
enabled = true
interval = 10
retention = 86400

[metrics]
port = 9779
`;

const AGENT_CONF = `# lars-agent (written by \`lars up\`)
[agent]
ip = 127.0.0.1
port = 8888
count = 3

[dnsserver]
ip = 127.0.0.1
port = 7778

[reporter]
ip = 127.0.0.1
port = 7779

# the C++ defaults
[loadbalance]
probe_num = 10
init_succ_cnt = 180
init_err_cnt = 5
err_rate = 0.1
succ_rate = 0.95
contin_err_limit = 15
contin_succ_limit = 15
window_err_rate = 0.7
idle_timeout = 15
overload_timeout = 15
update_timeout = 15

[metrics]
port = 9888
`;

function consoleConf(): string {
  // A fresh random password per data folder: writes in the console need it. It stays in this
  // file (mode 0600) and is never printed or logged.
  const password = randomBytes(12).toString("base64url");
  return `# lars-console (written by \`lars up\`)
[console]
ip = 127.0.0.1
port = 8080
password = ${password}

[store]
type = sqlite
path = lars.db
`;
}

/**
 * Creates `dir` and the four service configs in it when they are absent (existing files are
 * kept as the user left them).
 */
export function ensureDataDir(dir: string, cwd: string = process.cwd()): DataDir {
  const abs = resolve(cwd, dir);
  mkdirSync(abs, { recursive: true });
  const files: [string, () => string, number][] = [
    ["dns.conf", () => DNS_CONF, 0o644],
    ["reporter.conf", () => REPORTER_CONF, 0o644],
    ["agent.conf", () => AGENT_CONF, 0o644],
    ["console.conf", consoleConf, 0o600],
  ];
  const created: string[] = [];
  for (const [name, text, mode] of files) {
    const path = join(abs, name);
    if (!existsSync(path)) {
      writeFileSync(path, text(), { mode, flag: "wx" });
      created.push(path);
    }
  }
  return {
    dir: abs,
    dnsConf: join(abs, "dns.conf"),
    reporterConf: join(abs, "reporter.conf"),
    agentConf: join(abs, "agent.conf"),
    consoleConf: join(abs, "console.conf"),
    created,
  };
}
