import cluster from "node:cluster";
import type { AddressInfo } from "node:net";
import { MessageRouter } from "@lars/codec";
import type { MessageBody, NetConnection, RouteHandler } from "@lars/codec";
import { InvalidArgumentError, LarsError } from "@lars/iobuf";
import type { Logger } from "@lars/iobuf";
import type { EventLoop, LoopResource } from "@lars/event-loop";
import type { TcpConn } from "@lars/tcp-conn";
import { ClusterPrimary } from "./cluster-primary.js";
import { ClusterWorker } from "./cluster-worker.js";
import type { BroadcastResult } from "./connection-table.js";
import { ListenAbortedError, ServerStateError } from "./errors.js";
import { WORKER_ENV } from "./ipc-messages.js";
import { DEFAULT_SHUTDOWN_DEADLINE_MS, resolveTcpServerOptions } from "./options.js";
import type { ResolvedTcpServerOptions, TcpServerOptions } from "./options.js";
import type { ServerProcess, ServerRole } from "./server-process.js";
import { ServerReporter } from "./server-reporter.js";
import type { TcpServerStats } from "./server-stats.js";
import type { ServerContext } from "./serving-process.js";
import { SingleListener } from "./single-listener.js";
import { TaskRegistry } from "./task-registry.js";
import type { TaskHandler } from "./task-registry.js";

export type { BroadcastResult } from "./connection-table.js";
export type { ServerRole } from "./server-process.js";

let multiWorkerServerMade = false;

/**
 * A Lars TCP server (C++ `tcp_server`): accepts connections up to `maxConn`,
 * frames and routes their messages, and runs the hooks. Owned by its loop:
 * `loop.stop()` closes it.
 *
 * With `workers: N > 0` the same program runs in a primary and N
 * `node:cluster` workers (see the README): the primary accepts and hands
 * connections out round-robin; routes and hooks run in the workers.
 *
 * The server chooses what this process does once, when it is made (a
 * single-process listener, a cluster primary or a cluster worker), and
 * delegates to it; connections live in that role's connection table.
 */
export class TcpServer implements LoopResource {
  readonly loop: EventLoop;
  readonly router: MessageRouter<NetConnection>;
  readonly logger: Logger | undefined;
  readonly options: ResolvedTcpServerOptions;
  /** Which process of the server this is. */
  readonly role: ServerRole;
  private readonly proc: ServerProcess;
  private readonly reporter: ServerReporter;
  private readonly tasks = new TaskRegistry();
  /** listen() was called and has not failed: a second call is refused. */
  private listenCalled = false;
  private bound: AddressInfo | undefined;
  private closing: Promise<void> | undefined;

  constructor(loop: EventLoop, options: TcpServerOptions = {}) {
    this.loop = loop;
    this.options = resolveTcpServerOptions(options);
    this.router = options.router ?? new MessageRouter();
    this.logger = options.logger ?? loop.logger;
    this.reporter = new ServerReporter(options, this.logger);
    this.proc = this.chooseProcess(options.workers ?? 0);
    this.role = this.proc.role;
    loop.own(this);
  }

  private chooseProcess(workers: number): ServerProcess {
    if (!Number.isInteger(workers) || workers < 0) throw new InvalidArgumentError("workers", `must be a non-negative integer, got ${workers}`);
    const ctx: ServerContext = { loop: this.loop, router: this.router, options: this.options, reporter: this.reporter, tasks: this.tasks };
    if (workers === 0) return new SingleListener(ctx);
    if (multiWorkerServerMade) throw new ServerStateError("only one TcpServer per program may use workers");
    multiWorkerServerMade = true;
    if (cluster.isPrimary) {
      const { reporter } = this;
      const { hooks } = reporter;
      return new ClusterPrimary(this.options, workers, {
        report: (err) => reporter.report(err, undefined),
        refused: (info) => reporter.call("onConnRefused", undefined, hooks.onConnRefused, info),
        workerExit: (info) => reporter.call("onWorkerExit", undefined, hooks.onWorkerExit, info),
        workerReady: (info) => reporter.call("onWorkerReady", undefined, hooks.onWorkerReady, info),
      });
    }
    if (process.env[WORKER_ENV] === "1") return new ClusterWorker(ctx);
    throw new ServerStateError("workers > 0 in a cluster worker that this server did not fork");
  }

  /**
   * Register a named task (C++ Lars `task_func`), in every process: the
   * same program runs in the primary and in each worker. {@link sendTask}
   * runs it on the workers' loops. @throws TaskError `LARS_TASK_DUPLICATE`
   */
  onTask(name: string, handler: TaskHandler): this {
    this.tasks.register(name, handler);
    return this;
  }

  /**
   * Run task `name` with a JSON-serialisable `payload` (C++ `send_task`): in
   * every worker (`"all"`) or the worker with that id; in a single-process
   * server, on this loop in the next batch. Returns how many processes it
   * was sent to. Failures in a worker are reported through `onError`.
   */
  sendTask(name: string, payload: unknown = null, target: "all" | number = "all"): number {
    return this.proc.sendTask(name, payload, target);
  }

  /** Worker ids (primary only; empty elsewhere). */
  workerIds(): number[] {
    return this.proc.workerIds();
  }

  /** Route frames of `msgid` to `handler` (C++ `add_msg_router`). @throws DuplicateRouteError */
  addMsgRouter<U = undefined>(msgid: number, handler: RouteHandler<NetConnection, U>, userData?: U): this {
    this.router.register(msgid, handler, userData);
    return this;
  }

  /**
   * Start accepting. Resolves with the bound address (with the real port
   * when `port` was 0). Rejects with {@link AddressInUseError} or
   * {@link ListenError}, or with {@link ListenAbortedError} when `signal`
   * aborts before the server listens (the server is then closed; an abort
   * after that changes nothing).
   */
  listen(options: { readonly signal?: AbortSignal } = {}): Promise<AddressInfo> {
    const { signal } = options;
    if (signal === undefined) return this.listenNow();
    if (signal.aborted) return Promise.reject(new ListenAbortedError(signal.reason));
    const listening = this.listenNow();
    return new Promise<AddressInfo>((resolve, reject) => {
      const onAbort = (): void => {
        reject(new ListenAbortedError(signal.reason));
        this.close().catch((err: unknown) =>
          this.reporter.report(new LarsError("LARS_SERVER_ERROR", "close after an aborted listen() failed", { cause: err }), undefined),
        );
      };
      signal.addEventListener("abort", onAbort, { once: true });
      listening.then(
        (address) => {
          signal.removeEventListener("abort", onAbort);
          resolve(address);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onAbort);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private listenNow(): Promise<AddressInfo> {
    if (this.listenCalled) return Promise.reject(new ServerStateError("listen() called twice"));
    if (this.closing !== undefined) return Promise.reject(new ServerStateError("server is closed"));
    this.listenCalled = true;
    return this.proc.listen().then(
      (address) => (this.bound = address),
      (err: unknown) => {
        // A listen that failed may be tried again; one that close() cut short may not.
        if (this.closing === undefined) this.listenCalled = false;
        throw err;
      },
    );
  }

  /** The bound address, once listening. */
  address(): AddressInfo | undefined {
    return this.bound;
  }

  /** The connections open now (a snapshot). */
  connections(): TcpConn[] {
    return this.proc.connections();
  }

  /** Connections open now (in a primary: across all workers). */
  get connectionCount(): number {
    return this.proc.connectionCount;
  }

  /**
   * Send one frame to every open connection of this process. Refusals are
   * reported, not thrown (except a body too long).
   * @throws ServerStateError in a multi-worker primary: it holds no
   *   connections (they live in the workers); run a task that broadcasts
   *   in each worker instead (`onTask` + `sendTask`).
   */
  broadcast(data: MessageBody, msgid: number): BroadcastResult {
    return this.proc.broadcast(data, msgid);
  }

  /**
   * Counters now. In a primary: its own connection counts plus each
   * worker's last reported counters (see {@link collectStats} for fresh ones).
   */
  stats(): TcpServerStats {
    return this.proc.stats();
  }

  /** {@link stats}, after asking every worker for fresh counters (waits at most `timeoutMs`). */
  collectStats(timeoutMs = 1000): Promise<TcpServerStats> {
    return this.proc.collectStats(timeoutMs);
  }

  /**
   * Graceful shutdown: stop accepting, flush what each connection was sent,
   * close them (`"shutdown"`, close hooks fire), and resolve. Connections
   * still open after `deadlineMs` (default 5000) are destroyed. Idempotent:
   * every call returns the same promise.
   */
  close(deadlineMs: number = DEFAULT_SHUTDOWN_DEADLINE_MS): Promise<void> {
    this.closing ??= this.shutdown(deadlineMs);
    return this.closing;
  }

  private async shutdown(deadlineMs: number): Promise<void> {
    await this.proc.close(deadlineMs);
    this.loop.disown(this);
  }
}
