export { LarsError, isLarsError } from "./lars-error.js";
export type { Logger } from "./logger.js";
export {
  IoBufRangeError,
  BufTooLargeError,
  PoolExhaustedError,
  BufRevertError,
  BufferFullError,
  BufLeakError,
  InvalidArgumentError,
} from "./errors.js";
export type { LeakReport } from "./errors.js";
export { IoBuf } from "./io-buf.js";
export { BufPool, SIZE_CLASSES, DEFAULT_POOL_CAP_BYTES, DEFAULT_POOL_MAX_FREE_BYTES } from "./buf-pool.js";
export type { BufPoolOptions, BufPoolStats, SizeClassStats } from "./buf-pool.js";
export { PooledBytes, InputBuf, OutputBuf } from "./pooled-bytes.js";
