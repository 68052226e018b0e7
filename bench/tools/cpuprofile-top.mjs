// Summarise V8 .cpuprofile files (node --cpu-prof) by self time per
// function, summed over the given files.
//   node bench/tools/cpuprofile-top.mjs file.cpuprofile... [--top 25]
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";

/** [{ name, where, ms, pct }] sorted by self time, `(idle)` included. */
export function topSelfTime(files, top = 25) {
  const byFn = new Map();
  let totalMs = 0;
  for (const file of files) {
    const prof = JSON.parse(readFileSync(file, "utf8"));
    const nodeById = new Map(prof.nodes.map((n) => [n.id, n]));
    // Each sample's time is the delta to the next sample (the last one gets the mean).
    const { samples, timeDeltas } = prof;
    const mean = samples.length > 0 ? (prof.endTime - prof.startTime) / samples.length : 0;
    for (let i = 0; i < samples.length; i++) {
      const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : mean;
      const node = nodeById.get(samples[i]);
      if (node === undefined) continue;
      const cf = node.callFrame;
      const url = cf.url ? shortUrl(cf.url) : "";
      const where = url ? `${url}:${cf.lineNumber + 1}` : "";
      const name = cf.functionName || (url ? "(anonymous)" : "(native)");
      const key = `${name}\u0000${where}`;
      const e = byFn.get(key) ?? { name, where, ms: 0 };
      e.ms += us / 1000;
      byFn.set(key, e);
      totalMs += us / 1000;
    }
  }
  return [...byFn.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top)
    .map((e) => ({ ...e, pct: totalMs > 0 ? (100 * e.ms) / totalMs : 0 }));
}

function shortUrl(url) {
  let path = url;
  if (path.startsWith("file://")) path = fileURLToPath(path);
  const i = path.indexOf("/packages/");
  if (i >= 0) return path.slice(i + 1);
  const j = path.indexOf("/bench/");
  if (j >= 0) return path.slice(j + 1);
  return path.startsWith("/") ? relative(process.cwd(), path) : path;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const ti = args.indexOf("--top");
  const top = ti >= 0 ? Number(args.splice(ti, 2)[1]) : 25;
  console.log("| self % | self ms | function | location |");
  console.log("| ---: | ---: | --- | --- |");
  for (const f of topSelfTime(args, top)) console.log(`| ${f.pct.toFixed(1)} | ${f.ms.toFixed(0)} | ${f.name} | ${f.where} |`);
}
