import { LarsError } from "@lars/iobuf";

/** A user hook threw; `cause` holds what it threw. The server goes on. */
export class HookError extends LarsError {
  override readonly name = "HookError";
  constructor(readonly hook: string, cause: unknown) {
    super("LARS_HOOK_ERROR", `${hook} threw: ${String(cause)}`, { cause });
  }
}

/** A server method called in the wrong state (listen twice, listen after close). */
export class ServerStateError extends LarsError {
  override readonly name = "ServerStateError";
  constructor(message: string) {
    super("LARS_SERVER_STATE", message);
  }
}
