import type { LarsError, Logger } from "@lars/iobuf";
import type { TcpConn } from "@lars/tcp-conn";
import { HookError } from "./errors.js";
import type { TcpServerHooks } from "./hooks.js";

/**
 * The one hook-failure and reporting policy of a server, shared by its
 * connection table and whichever process role it runs: reports go to
 * `onError`, else to the logger (`warn`); a hook's throw or rejection is a
 * {@link HookError}, reported, never rethrown, never an unhandled rejection.
 */
export class ServerReporter {
  constructor(
    readonly hooks: TcpServerHooks,
    private readonly logger: Logger | undefined,
  ) {}

  /**
   * Run a user hook under the policy. A sync hook costs no closure here.
   */
  call<A extends unknown[]>(name: keyof TcpServerHooks, conn: TcpConn | undefined, fn: ((...args: A) => unknown) | undefined, ...args: A): void {
    if (fn === undefined) return;
    let result: unknown;
    try {
      result = fn(...args);
    } catch (err) {
      this.report(new HookError(name, err, "threw"), conn);
      return;
    }
    if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === "function") {
      (result as PromiseLike<void>).then(undefined, (err: unknown) => this.report(new HookError(name, err, "rejected"), conn));
    }
  }

  /** Report something that failed without closing the server. Never throws. */
  report(err: LarsError, conn: TcpConn | undefined): void {
    const onError = this.hooks.onError;
    if (onError !== undefined) {
      let result: unknown;
      try {
        result = onError(err, conn);
      } catch (thrown) {
        this.logger?.error({ err: thrown, original: err.code }, "lars tcp-server: onError hook threw");
        return;
      }
      if (result !== undefined && result !== null && typeof (result as PromiseLike<void>).then === "function") {
        (result as PromiseLike<void>).then(undefined, (thrown: unknown) =>
          this.logger?.error({ err: thrown, original: err.code }, "lars tcp-server: onError hook rejected"),
        );
      }
      return;
    }
    this.logger?.warn({ err, code: err.code, connId: conn?.id, remote: conn?.remoteAddress }, `lars tcp-server: ${err.message}`);
  }

  /** Where tasks whose promise rejected are reported: like a throw. Made once. */
  readonly reportTask = (err: LarsError): void => this.report(err, undefined);
}
