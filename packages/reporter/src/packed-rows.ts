import type { CallStatusRow } from "./types.js";

/** Numbers per row in a packed batch: modid, cmdid, ip, port, caller, succCnt, errCnt, ts, overload (0/1). */
const FIELDS = 9;

/**
 * Call status rows as one `Float64Array` (every field is a 32-bit integer or
 * a flag, exact in a double), so a batch crosses to the store worker as a
 * transferred buffer: no structured clone of thousands of objects on the
 * reactor thread (the largest cost there before), and one allocation instead
 * of one per row.
 */
export function packRows(rows: readonly CallStatusRow[]): Float64Array<ArrayBuffer> {
  const out = new Float64Array(rows.length * FIELDS);
  let o = 0;
  for (const r of rows) {
    out[o] = r.modid;
    out[o + 1] = r.cmdid;
    out[o + 2] = r.ip;
    out[o + 3] = r.port;
    out[o + 4] = r.caller;
    out[o + 5] = r.succCnt;
    out[o + 6] = r.errCnt;
    out[o + 7] = r.ts;
    out[o + 8] = r.overload ? 1 : 0;
    o += FIELDS;
  }
  return out;
}

/** The rows of {@link packRows}, in order. */
export function unpackRows(packed: Float64Array): CallStatusRow[] {
  const n = Math.floor(packed.length / FIELDS);
  const rows = new Array<CallStatusRow>(n);
  for (let i = 0, o = 0; i < n; i++, o += FIELDS) {
    rows[i] = {
      modid: packed[o]!,
      cmdid: packed[o + 1]!,
      ip: packed[o + 2]!,
      port: packed[o + 3]!,
      caller: packed[o + 4]!,
      succCnt: packed[o + 5]!,
      errCnt: packed[o + 6]!,
      ts: packed[o + 7]!,
      overload: packed[o + 8] === 1,
    };
  }
  return rows;
}
