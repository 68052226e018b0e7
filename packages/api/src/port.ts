/**
 * Index (0..count-1) of the agent UDP port that serves (modid, cmdid): `(modid + cmdid) mod count`,
 * non-negative even for negative ids. The same formula as `agentPortIndex` of `@lars/agent` (a test
 * checks they agree); the C++ `(modid + cmdid) % 3` agrees with it for non-negative sums.
 */
export function agentPortIndex(modid: number, cmdid: number, count = 3): number {
  const r = (modid + cmdid) % count;
  return r < 0 ? r + count : r + 0; // + 0: -0 becomes 0
}
