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

/**
 * `listen()` could not bind its address (`LARS_LISTEN_FAILED`: an
 * unresolvable host, a port below 1024 without the right, ...). `errno`
 * holds Node's code; `cause` the original error.
 */
export class ListenError extends LarsError {
  override readonly name: string = "ListenError";
  /** The address and port that were asked for. */
  readonly host: string;
  readonly port: number;
  /** The Node error code, e.g. `"EACCES"`. */
  readonly errno: string | undefined;
  constructor(host: string, port: number, cause: Error, code = "LARS_LISTEN_FAILED") {
    super(code, `cannot listen on ${host}:${port}: ${cause.message}`, { cause });
    this.host = host;
    this.port = port;
    this.errno = (cause as NodeJS.ErrnoException).code;
  }
}

/**
 * `listen()` found its address taken (`EADDRINUSE`), code
 * `LARS_ADDRESS_IN_USE`: the code UDP `bind()` uses for the same failure.
 */
export class AddressInUseError extends ListenError {
  override readonly name = "AddressInUseError";
  constructor(host: string, port: number, cause: Error) {
    super(host, port, cause, "LARS_ADDRESS_IN_USE");
  }
}

/** Wraps a listen failure: {@link AddressInUseError} for `EADDRINUSE`, else {@link ListenError}. */
export function listenError(host: string, port: number, cause: Error): ListenError {
  return (cause as NodeJS.ErrnoException).code === "EADDRINUSE" ? new AddressInUseError(host, port, cause) : new ListenError(host, port, cause);
}

/** `listen()`'s `signal` aborted before the server listened (`LARS_LISTEN_ABORTED`); `cause` is the signal's reason. */
export class ListenAbortedError extends LarsError {
  override readonly name = "ListenAbortedError";
  constructor(reason: unknown) {
    super("LARS_LISTEN_ABORTED", "listen() aborted", { cause: reason });
  }
}
