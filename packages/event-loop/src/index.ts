export { EventLoop } from "./event-loop.js";
export type { EventLoopStats, EventLoopDelayStats, LoopCallback } from "./event-loop.js";
export type { LoopResource } from "./resource-scope.js";
export type { TimerHandle } from "./timer-queue.js";
export {
  DEFAULT_STOP_DEADLINE_MS,
  DEFAULT_MONITOR_DELAY,
  DEFAULT_DELAY_RESOLUTION_MS,
  DEFAULT_STOP_GRACE_MS,
} from "./options.js";
export type { EventLoopOptions, LoopErrorSource } from "./options.js";
export { LoopStoppedError, InvalidArgumentError, CloseTimeoutError } from "./errors.js";
