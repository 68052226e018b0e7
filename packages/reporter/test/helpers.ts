import type { BatchWriter, CallHistoryRow, CallStatusRow } from "../src/index.js";

/** An in-memory writer whose writes can be made to fail. */
export class FakeWriter implements BatchWriter {
  readonly table = new Map<string, CallStatusRow>();
  readonly batches: number[] = [];
  readonly history: CallHistoryRow[] = [];
  failing = false;
  attempts = 0;
  closed = false;
  #waiters: { n: number; resolve: () => void }[] = [];

  open(): Promise<void> {
    return Promise.resolve();
  }

  write(rows: CallStatusRow[]): Promise<void> {
    this.attempts++;
    if (this.failing || this.closed) return Promise.reject(new Error(this.closed ? "store closed" : "database is gone"));
    this.batches.push(rows.length);
    for (const r of rows) this.table.set(`${r.modid}:${r.cmdid}:${r.ip}:${r.port}:${r.caller}`, r);
    this.#wake();
    return Promise.resolve();
  }

  writeHistory(rows: CallHistoryRow[]): Promise<void> {
    this.history.push(...rows);
    return Promise.resolve();
  }

  pruneHistory(_olderThan: number): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  /** Resolves once `n` rows are in the table. */
  waitRows(n: number): Promise<void> {
    if (this.table.size >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ n, resolve }));
  }

  /** Resolves after the next `n` write attempts. */
  waitAttempts(n: number): Promise<void> {
    const target = this.attempts + n;
    return new Promise((resolve) => {
      const tick = (): void => {
        if (this.attempts >= target) resolve();
        else setTimeout(tick, 5);
      };
      tick();
    });
  }

  #wake(): void {
    this.#waiters = this.#waiters.filter((w) => {
      if (this.table.size < w.n) return true;
      w.resolve();
      return false;
    });
  }
}

export function statusRow(i: number, extra: Partial<CallStatusRow> = {}): CallStatusRow {
  return { modid: 1, cmdid: 1, ip: i, port: 80, caller: 7, succCnt: i, errCnt: 0, ts: 1000, overload: false, ...extra };
}

export interface LogEntry {
  level: string;
  obj: object;
  msg: string | undefined;
}

export function memoryLogger(): { entries: LogEntry[]; info(o: object, m?: string): void; warn(o: object, m?: string): void; error(o: object, m?: string): void } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (obj, msg) => entries.push({ level: "info", obj, msg }),
    warn: (obj, msg) => entries.push({ level: "warn", obj, msg }),
    error: (obj, msg) => entries.push({ level: "error", obj, msg }),
  };
}
