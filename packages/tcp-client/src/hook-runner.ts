import type { Logger } from "@lars/iobuf";
import { HookError } from "./errors.js";
import type { TcpClientHooks } from "./hooks.js";
import type { TcpClient } from "./tcp-client.js";

function rethrow(err: unknown): never {
  throw err;
}

/**
 * Calls a client's hooks and applies its error policy: what a hook throws
 * becomes a {@link HookError} and is reported, never propagated into the
 * loop. Reports go to `onError`; else to the logger (`warn`); else they are
 * dropped, except hook errors (bugs), which are rethrown asynchronously.
 */
export class HookRunner {
  private readonly hooks: TcpClientHooks;

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
    const fn = this.hooks[name] as ((...a: unknown[]) => void) | undefined;
    if (fn === undefined) return;
    try {
      fn(...args);
    } catch (err) {
      this.report(new HookError(name, err));
    }
  }

  /** Report an error the client may not throw. Never throws. */
  report(err: Error): void {
    const onError = this.hooks.onError;
    if (onError !== undefined) {
      try {
        onError(this.client, err);
        return;
      } catch (thrown) {
        err = new HookError("onError", thrown);
      }
    }
    const logger = this.logger();
    if (logger !== undefined) logger.warn(`@lars/tcp-client ${this.client.name}: ${err.message}`, { err });
    else if (err instanceof HookError) process.nextTick(rethrow, err);
  }
}
