/** What {@link onShutdownSignals} reports through. */
export interface ShutdownLogger {
  info(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

/** Options of {@link onShutdownSignals}. */
export interface ShutdownOptions {
  readonly logger?: ShutdownLogger;
  /** Signals that start a graceful stop; default SIGINT and SIGTERM. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Exit with 1 if `stop()` has not finished after this long; default 15 s. */
  readonly deadlineMs?: number;
  /** How the process ends; tests replace it. Default `process.exit`. */
  readonly exit?: (code: number) => void;
}

/**
 * For binaries only (libraries never exit): the first SIGINT/SIGTERM runs
 * `stop()` once and exits 0 when it resolves; a rejection, the deadline, or
 * a second signal exits 1. Returns a function that removes the listeners.
 */
export function onShutdownSignals(stop: () => Promise<void>, options: ShutdownOptions = {}): () => void {
  const signals = options.signals ?? ["SIGINT", "SIGTERM"];
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const deadlineMs = options.deadlineMs ?? 15_000;
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      options.logger?.error({ signal }, "second signal: exiting now");
      exit(1);
      return;
    }
    stopping = true;
    options.logger?.info({ signal }, "stopping");
    const timer = setTimeout(() => {
      options.logger?.error({ deadlineMs }, "graceful stop took too long: exiting");
      exit(1);
    }, deadlineMs);
    timer.unref();
    stop().then(
      () => {
        clearTimeout(timer);
        exit(0);
      },
      (err: unknown) => {
        clearTimeout(timer);
        options.logger?.error({ err }, "graceful stop failed");
        exit(1);
      },
    );
  };
  for (const s of signals) process.on(s, onSignal);
  return () => {
    for (const s of signals) process.off(s, onSignal);
  };
}
