/**
 * Which of the agent's `count` UDP ports holds route (modid, cmdid): `(modid + cmdid) mod count`,
 * non-negative even for negative ids (the C++ `%` agrees for non-negative sums). Callers use port
 * `base + agentPortIndex(modid, cmdid, count)`.
 */
export function agentPortIndex(modid: number, cmdid: number, count: number): number {
  const r = (modid + cmdid) % count;
  return r < 0 ? r + count : r;
}
