import { CloseTimeoutError } from "./errors.js";
import { DEFAULT_STOP_GRACE_MS } from "./options.js";

/**
 * Anything a loop owns: a server, a client, a connection. `stop()` calls
 * `close(deadlineMs)` on each; the resource should finish gracefully within
 * `deadlineMs` and then release its Node handles. May return a promise.
 */
export interface LoopResource {
  close(deadlineMs?: number): Promise<void> | void;
}

const TIMEOUT_MAX_MS = 2 ** 31 - 1;

/**
 * The set of resources one loop owns, and their concurrent close on stop.
 * A close that throws or rejects goes to `report`; a close still pending
 * `DEFAULT_STOP_GRACE_MS` after its deadline is reported as
 * {@link CloseTimeoutError} and abandoned, so closing never hangs.
 */
export class ResourceScope {
  readonly #owned = new Set<LoopResource>();
  /** Closes started and not settled yet. */
  readonly #closing = new Map<LoopResource, Promise<void>>();
  readonly #report: (err: unknown) => void;

  constructor(report: (err: unknown) => void) {
    this.#report = report;
  }

  /** Resources owned: registered, not disowned, close not settled. */
  get size(): number {
    return this.#owned.size;
  }

  /** Registers `resource`; idempotent. */
  add(resource: LoopResource): void {
    this.#owned.add(resource);
  }

  /** Forgets `resource` without closing it; no-op if not owned. A close in flight is still awaited. */
  delete(resource: LoopResource): void {
    this.#owned.delete(resource);
  }

  /** Starts `close(deadlineMs)` on `resource` unless its close is already in flight. */
  startClose(resource: LoopResource, deadlineMs: number): void {
    if (this.#closing.has(resource)) return;
    // Cleanup runs in a reaction, so always after the entry is set, even when close threw synchronously.
    const done = this.#closeOne(resource, deadlineMs).then(() => {
      this.#owned.delete(resource);
      this.#closing.delete(resource);
    });
    this.#closing.set(resource, done);
  }

  /** Starts the close of every owned resource, all before awaiting any. */
  startCloseAll(deadlineMs: number): void {
    for (const resource of [...this.#owned]) this.startClose(resource, deadlineMs);
  }

  /**
   * Resolves once every close in flight has settled — including closes
   * started while waiting — or `deadlineMs + DEFAULT_STOP_GRACE_MS` passed;
   * closes still pending then are reported and abandoned. Never rejects.
   */
  async settle(deadlineMs: number): Promise<void> {
    if (this.#closing.size === 0) return;
    let guard: NodeJS.Timeout | undefined;
    let expired = false;
    const timeout = new Promise<void>((resolve) => {
      const ms = Math.min(deadlineMs + DEFAULT_STOP_GRACE_MS, TIMEOUT_MAX_MS);
      guard = setTimeout(() => {
        expired = true;
        resolve();
      }, ms);
    });
    while (this.#closing.size > 0 && !expired) {
      await Promise.race([Promise.all(this.#closing.values()), timeout]);
    }
    clearTimeout(guard);
    for (const resource of this.#closing.keys()) {
      this.#owned.delete(resource);
      this.#report(new CloseTimeoutError(deadlineMs));
    }
    this.#closing.clear();
  }

  /** Calls `close` synchronously; never rejects. */
  async #closeOne(resource: LoopResource, deadlineMs: number): Promise<void> {
    try {
      await resource.close(deadlineMs);
    } catch (err) {
      this.#report(err);
    }
  }
}
