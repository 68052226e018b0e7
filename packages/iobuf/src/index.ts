export { LarsError, isLarsError } from "./lars-error.js";
export type { Logger } from "./logger.js";
export {
  IoBufRangeError,
  BufTooLargeError,
  PoolExhaustedError,
  BufRevertError,
  BufferFullError,
  BufLeakError,
} from "./errors.js";
export type { LeakReport } from "./errors.js";
