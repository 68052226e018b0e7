import { Gauge, collectDefaultMetrics, type Registry } from "prom-client";

/** A flat record of numbers, as every Lars `stats()` returns. */
export type NumericStats = Readonly<Record<string, number>>;

/**
 * Exposes a `stats()` function as Prometheus gauges named
 * `<prefix>_<snake_case key>`, read at scrape time (nothing runs between
 * scrapes). Keys whose value is not a finite number are skipped.
 */
export function registerStatsGauges(registry: Registry, prefix: string, keys: readonly string[], stats: () => NumericStats, help = "Lars service statistic"): void {
  for (const key of keys) {
    const name = `${prefix}_${toSnake(key)}`;
    new Gauge({
      name,
      help: `${help}: ${key}`,
      registers: [registry],
      collect() {
        const value = stats()[key];
        if (typeof value === "number" && Number.isFinite(value)) this.set(value);
      },
    });
  }
}

/** One sample of a labelled gauge. */
export interface LabelledSample {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly value: number;
}

/**
 * A gauge with labels whose samples are read at scrape time (`collect()`), e.g. one per
 * (route, host) of an agent. Samples not returned by the latest `collect()` disappear.
 */
export function registerLabelledGauge(registry: Registry, name: string, help: string, labelNames: readonly string[], collect: () => readonly LabelledSample[]): void {
  new Gauge({
    name,
    help,
    labelNames: [...labelNames],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of collect()) this.set(s.labels, s.value);
    },
  });
}

/** Node process metrics (event-loop lag, heap, handles) under `prefix`. */
export function registerProcessMetrics(registry: Registry, prefix: string): void {
  collectDefaultMetrics({ register: registry, prefix: `${prefix}_` });
}

function toSnake(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").replace(/[^A-Za-z0-9_]/g, "_").toLowerCase();
}
