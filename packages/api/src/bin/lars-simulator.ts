// lars-simulator: getHost + report in a loop with simulated call outcomes; prints each host's share.
import { parseArgs } from "node:util";
import { BinUsageError, onShutdownSignals, runBin } from "@lars/service";
import { LarsClient } from "../index.js";
import { AGENT_OPTIONS_HELP, COMMON_OPTIONS, clientOptions, hostPortOption, intOption, isTimeout, positiveOption, routeOptions } from "./common.js";

const USAGE = `usage: lars-simulator MODID CMDID [ERR_RATE [COUNT]] [agent options]   (the C++ tool's arguments)
       lars-simulator --modid M --cmdid C [--seconds N] [--fail-host IP:PORT ...] [agent options]

Simulates a caller of route (M, C): getHost, "call" the host, report the outcome, again and
again for N seconds. Calls to a --fail-host fail (reported with retcode 1), every other call
succeeds; the agent should steer traffic away from the failing hosts (probing them now and
then). Prints the per-host share each second and a table at the end. Exit 0 when done (also on
SIGINT/SIGTERM, after the table); exit 1 when the agent never answered.

  ERR_RATE               0..10: each call fails with probability ERR_RATE/10 (the C++ simulator's)
  COUNT                  stop after COUNT calls (default: after --seconds)
  --modid M              route modid (int32, required)
  --cmdid C              route cmdid (int32, required)
  --seconds N            how long (default 10)
  --fail-host IP:PORT    a host whose calls fail (repeat for more)
${AGENT_OPTIONS_HELP}
  -h, --help             show this help`;

interface HostTally {
  picks: number;
  succ: number;
  fail: number;
}

function shares(tally: Map<string, HostTally>, since: Map<string, number>): string {
  let sum = 0;
  for (const [k, t] of tally) sum += t.picks - (since.get(k) ?? 0);
  if (sum === 0) return "no host given";
  return [...tally]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, t]) => `${k} ${((100 * (t.picks - (since.get(k) ?? 0))) / sum).toFixed(1)}%`)
    .join(", ");
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { ...COMMON_OPTIONS, "fail-host": { type: "string", multiple: true } },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  // The C++ tool's form: lars-simulator modid cmdid [errRate 0-10] [count]
  if (positionals.length > 4) throw new BinUsageError(`unexpected argument: ${positionals[4]}`);
  if (positionals.length > 0 && (values.modid !== undefined || values.cmdid !== undefined)) throw new BinUsageError("give MODID CMDID or --modid/--cmdid, not both");
  if (positionals.length === 1) throw new BinUsageError("CMDID is missing after MODID");
  const { modid, cmdid } = routeOptions(positionals.length > 0 ? { modid: positionals[0], cmdid: positionals[1] } : values);
  const errRate = intOption(positionals[2], "ERR_RATE", 0, 10) ?? 0;
  const maxCalls = intOption(positionals[3], "COUNT", 1, Number.MAX_SAFE_INTEGER);
  const seconds = positiveOption(values.seconds, "seconds", 10);
  const failing = new Set((values["fail-host"] ?? []).map((h) => hostPortOption(h, "fail-host")));
  const client = new LarsClient(clientOptions(values));

  const tally = new Map<string, HostTally>();
  const other = { overload: 0, noexist: 0, systemError: 0, timeouts: 0 };
  let stopped = false;
  let failure: Error | undefined;
  const loop = async (): Promise<void> => {
    while (!stopped) {
      try {
        const r = await client.getHost(modid, cmdid);
        if (!r.ok) {
          if (r.reason === "OVERLOAD") other.overload++;
          else if (r.reason === "NOEXIST") other.noexist++;
          else other.systemError++;
          if (r.reason === "NOEXIST") await new Promise((res) => setTimeout(res, 10)); // the agent is pulling the route
          continue;
        }
        const key = `${r.host.ip}:${r.host.port}`;
        let t = tally.get(key);
        if (t === undefined) tally.set(key, (t = { picks: 0, succ: 0, fail: 0 }));
        t.picks++;
        const fails = failing.has(key) || (errRate > 0 && Math.random() * 10 < errRate);
        if (fails) t.fail++;
        else t.succ++;
        client.report(modid, cmdid, r.host, fails ? 1 : 0);
        if (maxCalls !== undefined && picks(tally) >= maxCalls) void finish();
      } catch (err) {
        if (isTimeout(err)) other.timeouts++;
        else {
          if (!stopped) failure = err instanceof Error ? err : new Error(String(err));
          stopped = true;
        }
      }
    }
  };

  const started = performance.now();
  let tick = 0;
  let last = new Map<string, number>();
  const ticker = setInterval(() => {
    tick++;
    process.stdout.write(`[${tick}s] ${shares(tally, last)}\n`);
    last = new Map([...tally].map(([k, t]) => [k, t.picks]));
  }, 1000);
  const running = loop();
  let finished: Promise<void> | undefined;
  let markDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (markDone = resolve));
  const finish = (): Promise<void> =>
    (finished ??= (async () => {
      stopped = true;
      clearTimeout(deadline);
      await running;
      clearInterval(ticker);
      const elapsed = (performance.now() - started) / 1000;
      let picks = 0;
      for (const t of tally.values()) picks += t.picks;
      const rows = [...tally].sort(([a], [b]) => a.localeCompare(b));
      const w = Math.max(4, ...rows.map(([k]) => k.length));
      const lines = [`host${" ".repeat(w - 4)}  ${"picks".padStart(9)}  ${"share".padStart(7)}  ${"succ".padStart(9)}  ${"fail".padStart(9)}  simulated`];
      for (const [k, t] of rows) {
        const share = picks === 0 ? 0 : (100 * t.picks) / picks;
        lines.push(`${k.padEnd(w)}  ${String(t.picks).padStart(9)}  ${`${share.toFixed(1)}%`.padStart(7)}  ${String(t.succ).padStart(9)}  ${String(t.fail).padStart(9)}  ${failing.has(k) ? "fails" : errRate > 0 ? `fails ${errRate}/10` : "ok"}`);
      }
      for (const k of [...failing].filter((f) => !tally.has(f)).sort()) lines.push(`${k.padEnd(w)}  ${"0".padStart(9)}  ${"0.0%".padStart(7)}  ${"0".padStart(9)}  ${"0".padStart(9)}  fails`);
      lines.push(`summary: ${picks} calls in ${elapsed.toFixed(2)} s; overload ${other.overload}, noexist ${other.noexist}, system_error ${other.systemError}, timeouts ${other.timeouts}`);
      process.stdout.write(`${lines.join("\n")}\n`);
      await client.close();
      markDone();
    })());
  const deadline = setTimeout(() => void finish(), seconds * 1000);
  const offSignals = onShutdownSignals(finish);
  await done;
  offSignals();
  if (failure !== undefined) throw failure;
  if (picks(tally) === 0 && other.timeouts > 0 && other.overload + other.noexist + other.systemError === 0) {
    throw new Error(`no reply from the agent at ${client.host}:${client.portFor(modid, cmdid)} (is lars-agent running?)`);
  }
}

function picks(tally: Map<string, HostTally>): number {
  let n = 0;
  for (const t of tally.values()) n += t.picks;
  return n;
}

runBin(main, { name: "lars-simulator" });
