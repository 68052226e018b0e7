// lars-api-qps: getHost + report pairs per second through the local agent, with latency percentiles.
import { parseArgs } from "node:util";
import { BinUsageError, onShutdownSignals, runBin } from "@lars/service";
import { LarsClient } from "../index.js";
import { AGENT_OPTIONS_HELP, COMMON_OPTIONS, clientOptions, intOption, isTimeout, positiveOption, routeOptions } from "./common.js";

const USAGE = `usage: lars-api-qps [N] [--modid M] [--cmdid C] [--seconds N] [agent options]

N concurrent callers (the C++ tool's argument; default 1, or --concurrency), each looping
getHost(M, C) + report(success) on the local Lars agent for --seconds; prints the rate each
second, then a summary with latency percentiles. Exit 0 when done (also on SIGINT/SIGTERM,
after the summary); exit 1 when the agent never answered.

  --modid M         route modid (int32, default 1)
  --cmdid C         route cmdid (int32, default 1)
  --seconds N       how long (default 10)
  --concurrency K   calls in flight (default 1)
${AGENT_OPTIONS_HELP}
  -h, --help        show this help`;

interface Counts {
  ok: number;
  overload: number;
  noexist: number;
  systemError: number;
  timeouts: number;
}

const total = (c: Counts): number => c.ok + c.overload + c.noexist + c.systemError + c.timeouts;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    options: { ...COMMON_OPTIONS, concurrency: { type: "string" } },
    allowPositionals: true,
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (positionals.length > 1) throw new BinUsageError(`unexpected argument: ${positionals[1]}`);
  if (positionals.length > 0 && values.concurrency !== undefined) throw new BinUsageError("give N or --concurrency, not both");
  const { modid, cmdid } = routeOptions({ modid: values.modid ?? "1", cmdid: values.cmdid ?? "1" });
  const seconds = positiveOption(values.seconds, "seconds", 10);
  const concurrency = intOption(positionals[0] ?? values.concurrency, positionals.length > 0 ? "N" : "concurrency", 1, 4096) ?? 1;
  const latency = new LatencySample(200_000);
  const client = new LarsClient({ ...clientOptions(values), maxPending: concurrency });

  const counts: Counts = { ok: 0, overload: 0, noexist: 0, systemError: 0, timeouts: 0 };
  let stopped = false;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (!stopped) {
      try {
        const t0 = performance.now();
        const r = await client.getHost(modid, cmdid);
        latency.add(performance.now() - t0);
        if (r.ok) {
          counts.ok++;
          client.report(modid, cmdid, r.host, 0);
        } else if (r.reason === "OVERLOAD") counts.overload++;
        else if (r.reason === "NOEXIST") counts.noexist++;
        else counts.systemError++;
      } catch (err) {
        if (isTimeout(err)) counts.timeouts++;
        else {
          if (!stopped) failure = err instanceof Error ? err : new Error(String(err));
          stopped = true;
        }
      }
    }
  };

  const started = performance.now();
  let lastTotal = 0;
  let tick = 0;
  const ticker = setInterval(() => {
    const now = total(counts);
    tick++;
    process.stdout.write(`[${tick}s] ${now - lastTotal} getHost/s\n`);
    lastTotal = now;
  }, 1000);
  const workers = Array.from({ length: concurrency }, () => worker());
  let finished: Promise<void> | undefined;
  let markDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (markDone = resolve));
  const finish = (): Promise<void> =>
    (finished ??= (async () => {
      stopped = true;
      clearTimeout(deadline);
      await Promise.all(workers);
      clearInterval(ticker);
      const elapsed = (performance.now() - started) / 1000;
      const n = total(counts);
      process.stdout.write(
        `summary: ${n} getHost in ${elapsed.toFixed(2)} s = ${Math.round(n / elapsed)} getHost/s ` +
          `(ok ${counts.ok}, overload ${counts.overload}, noexist ${counts.noexist}, system_error ${counts.systemError}, timeouts ${counts.timeouts}; concurrency ${concurrency})\n` +
          `latency ms: ${latency.summary()}\n`,
      );
      await client.close();
      markDone();
    })());
  const deadline = setTimeout(() => void finish(), seconds * 1000);
  const offSignals = onShutdownSignals(finish);
  await done;
  offSignals();
  if (failure !== undefined) throw failure;
  if (counts.timeouts > 0 && total(counts) === counts.timeouts) {
    throw new Error(`no reply from the agent at ${client.host}:${client.portFor(modid, cmdid)} (is lars-agent running?)`);
  }
}

/** getHost latencies, the first `cap` kept (bounded memory), for percentiles at the end. */
class LatencySample {
  readonly #values: Float64Array;
  #n = 0;
  constructor(cap: number) {
    this.#values = new Float64Array(cap);
  }
  add(ms: number): void {
    if (this.#n < this.#values.length) this.#values[this.#n++] = ms;
  }
  summary(): string {
    if (this.#n === 0) return "no sample";
    const sorted = this.#values.slice(0, this.#n).sort();
    const at = (p: number): string => (sorted[Math.min(this.#n - 1, Math.floor((p / 100) * this.#n))] as number).toFixed(3);
    return `p50 ${at(50)}, p90 ${at(90)}, p99 ${at(99)}, max ${(sorted[this.#n - 1] as number).toFixed(3)} (${this.#n} samples)`;
  }
}

runBin(main, { name: "lars-api-qps" });
