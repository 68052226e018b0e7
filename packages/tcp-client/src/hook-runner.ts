import { runHook } from "@lars/codec";
import type { HookError } from "@lars/codec";
import type { Logger } from "@lars/iobuf";
import type { TcpClientHooks } from "./hooks.js";
import type { TcpClient } from "./tcp-client.js";

/**
 * Calls a client's hooks and applies the Lars hook-failure policy (`runHook`
 * of `@lars/codec`): what a hook throws, or the promise it returns rejects
 * with, becomes a {@link HookError} and is reported, never propagated into
 * the loop. Reports go to `onError`; else to the logger (`warn`); with
 * neither they are counted (`stats().unreportedErrors`), never thrown.
 */
export class HookRunner {
  private readonly hooks: TcpClientHooks;
  /** Errors that had neither `onError` nor a logger to go to. */
  unreported = 0;
  /** Pre-bound, so calling a hook allocates no closure. */
  private readonly reportBound = (err: Error): void => this.report(err);
  private readonly reportOnErrorFailure = (err: HookError): void => this.log(err);

  constructor(
    private readonly client: TcpClient,
    hooks: TcpClientHooks,
    private readonly logger: () => Logger | undefined,
  ) {
    this.hooks = { ...hooks };
  }

  has(name: keyof TcpClientHooks): boolean {
    return this.hooks[name] !== undefined;
  }

  /** Call hook `name` with `args` (the client first, as the hook types say). */
  call<K extends keyof TcpClientHooks>(name: K, ...args: Parameters<NonNullable<TcpClientHooks[K]>>): void {
    const fn = this.hooks[name] as ((...a: unknown[]) => unknown) | undefined;
    if (fn === undefined) return;
    runHook(name, fn, this.reportBound, ...args);
  }

  /** Report an error the client may not throw. Never throws. */
  report(err: Error): void {
    const onError = this.hooks.onError;
    if (onError !== undefined) {
      runHook("onError", onError, this.reportOnErrorFailure, this.client, err);
      return;
    }
    this.log(err);
  }

  private log(err: Error): void {
    const logger = this.logger();
    if (logger === undefined) {
      this.unreported++;
      return;
    }
    try {
      logger.warn({ err, code: (err as { code?: unknown }).code }, `@lars/tcp-client ${this.client.name}: ${err.message}`);
    } catch {
      this.unreported++;
    }
  }
}
