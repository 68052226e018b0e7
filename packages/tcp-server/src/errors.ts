import { LarsError } from "@lars/iobuf";

/**
 * A user hook threw or its promise rejected (`LARS_HOOK_ERROR`); `cause`
 * holds what it threw. The one HookError class of every Lars package
 * (from @lars/codec). The server goes on.
 */
export { HookError } from "@lars/codec";

/** A server method called in the wrong state (listen twice, listen after close). */
export class ServerStateError extends LarsError {
  override readonly name = "ServerStateError";
  constructor(message: string) {
    super("LARS_SERVER_STATE", message);
  }
}

/**
 * Multi-worker `listen()` failed because workers could not boot: they kept
 * exiting before they were ready, so no replacement is forked
 * (`LARS_WORKER_BOOT`). The primary's listening socket is closed.
 */
export class WorkerBootError extends LarsError {
  override readonly name = "WorkerBootError";
  constructor(message: string) {
    super("LARS_WORKER_BOOT", message);
  }
}
