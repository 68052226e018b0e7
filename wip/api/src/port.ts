/**
 * Index (0..count-1) of the agent UDP port that serves (modid, cmdid): `(modid + cmdid) % count`
 * as in the C++ API, made non-negative so negative ids still pick a valid port.
 */
export function agentPortIndex(modid: number, cmdid: number, count = 3): number {
  return (((modid + cmdid) % count) + count) % count;
}
