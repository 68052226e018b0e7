import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { createServer } from "node:net";
import type { AddressInfo, Server, Socket } from "node:net";
import type { MessageBody } from "@lars/codec";
import { LarsError } from "@lars/iobuf";
import type { TcpConn } from "@lars/tcp-conn";
import type { BroadcastResult } from "./connection-table.js";
import { ServerStateError, WorkerBootError } from "./errors.js";
import { WORKER_ENV, isLarsMessage } from "./ipc-messages.js";
import { TaskError } from "./task-registry.js";
import type { PrimaryToWorker, WorkerToPrimary } from "./ipc-messages.js";
import type { ResolvedTcpServerOptions } from "./options.js";
import type { ServerProcess } from "./server-process.js";
import { addStats } from "./server-stats.js";
import type { TcpServerStats } from "./server-stats.js";
import { listenError } from "./errors.js";

/** What the primary tells its TcpServer. */
export interface PrimaryEvents {
  report(err: LarsError): void;
  refused(info: { remoteAddress: string | undefined; remotePort: number | undefined }): void;
  workerExit(info: WorkerExitInfo): void;
  workerReady(info: WorkerReadyInfo): void;
}

/** A worker process that has booted and is about to be handed connections. */
export interface WorkerReadyInfo {
  readonly workerId: number;
  readonly pid: number | undefined;
  /** True for a worker forked to replace one that ended or was stopped from outside. */
  readonly replacement: boolean;
}

/** A worker process that ended while the server was running. */
export interface WorkerExitInfo {
  readonly workerId: number;
  readonly pid: number | undefined;
  readonly code: number | null;
  readonly signal: string | null;
  /** Connections it held; their peers saw them close, but no close hook ran for them. */
  readonly lostConnections: number;
  /** True when a replacement was forked. */
  readonly replaced: boolean;
}

interface WorkerSlot {
  worker: Worker;
  ready: boolean;
  /** Connections counted for this worker (handed over or in flight) while it lives. */
  conns: number;
  /** Set at its exit: its counts were given back then, so late "closed" messages or send errors count nothing. */
  dead: boolean;
  /** Sockets sent to it whose hand-off has not completed: closed if it exits first. */
  inflight: Set<Socket>;
  /** Stopped from outside (SIGTERM): out of the round-robin, its replacement already forked. */
  draining: boolean;
  /** Task messages given to `worker.send` whose write has not completed (IPC backpressure). */
  pendingTasks: number;
  /** Runs when one of those completes: made once per worker, not per task. */
  taskSent: () => void;
  /** Forked after the first boot (to replace a worker). */
  replacement: boolean;
}

/** Crashes within this window that stop automatic replacement (a worker that dies at start-up). */
const CRASH_WINDOW_MS = 10_000;
const MAX_CRASHES_IN_WINDOW = 10;

/**
 * The primary process of a multi-worker server (Lars `threadNum` I/O
 * threads, as processes): it alone accepts, enforces `maxConn` for the
 * whole server, and hands each connection to the next ready worker
 * round-robin over the cluster IPC channel — the shape of Lars's main thread
 * feeding its thread queues. Workers run the same program, so the same
 * routes and hooks. It serves no connection itself: no connection table,
 * no router.
 */
export class ClusterPrimary implements ServerProcess {
  readonly role = "primary";
  private readonly slots = new Map<number, WorkerSlot>();
  private rr: WorkerSlot[] = [];
  private rrNext = 0;
  private server: Server | undefined;
  private address: AddressInfo | undefined;
  private current = 0;
  private total = 0;
  private refusedCount = 0;
  private shuttingDown = false;
  private crashTimes: number[] = [];
  private statsSeq = 0;
  private lastWorkerStats = new Map<number, TcpServerStats>();
  private readonly statsWaiters = new Map<number, { pending: Set<number>; done: () => void }>();
  private onAllReady: (() => void) | undefined;
  /** The first workers are forked: later forks are replacements. */
  private booted = false;
  private onBootFailed: ((err: Error) => void) | undefined;

  constructor(
    private readonly options: ResolvedTcpServerOptions,
    private readonly workerCount: number,
    private readonly events: PrimaryEvents,
  ) {}

  /** Listen, fork the workers, and resolve once every worker is ready. */
  async listen(): Promise<AddressInfo> {
    const server = createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.dispatch(socket));
    this.server = server;
    const { host, port, backlog } = this.options;
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(listenError(host, port, err));
      server.once("error", onError);
      server.listen({ host, port, backlog }, () => {
        server.off("error", onError);
        resolve();
      });
    });
    server.on("error", (err) => this.events.report(new LarsError("LARS_SERVER_ERROR", err.message, { cause: err })));
    this.address = server.address() as AddressInfo;
    const allReady = new Promise<void>((resolve, reject) => {
      this.onAllReady = resolve;
      this.onBootFailed = reject;
    });
    cluster.on("exit", this.onExit);
    for (let i = 0; i < this.workerCount; i++) this.fork();
    this.booted = true;
    try {
      await allReady;
    } catch (err) {
      // Do not keep a listening socket that nobody serves.
      await new Promise<void>((resolve) => server.close(() => resolve()));
      throw err;
    } finally {
      this.onAllReady = undefined;
      this.onBootFailed = undefined;
    }
    return this.address;
  }

  get workers(): number {
    return this.slots.size;
  }

  get connectionCount(): number {
    return this.current;
  }

  /** None: the connections live in the workers. */
  connections(): TcpConn[] {
    return [];
  }

  broadcast(_data: MessageBody, _msgid: number): BroadcastResult {
    throw new ServerStateError("broadcast() in a multi-worker primary reaches no connection: send a task that broadcasts in each worker");
  }

  /** Send a task to every worker (`target` "all") or to one worker id. Returns workers reached. */
  sendTask(name: string, payload: unknown, target: "all" | number): number {
    const msg: PrimaryToWorker = { lars: "task", name, payload };
    const cap = this.options.maxPendingTasks;
    // All or nothing: refuse before sending anywhere if a target's channel is backed up.
    for (const [id, slot] of this.slots) {
      if (!slot.ready || (target !== "all" && target !== id)) continue;
      if (slot.pendingTasks >= cap) {
        throw new TaskError("LARS_TASK_BACKLOG", name, `worker ${id} has ${slot.pendingTasks} tasks not yet written to its IPC channel (maxPendingTasks ${cap}): task "${name}" not sent`);
      }
    }
    let n = 0;
    for (const [id, slot] of this.slots) {
      if (!slot.ready || (target !== "all" && target !== id)) continue;
      slot.pendingTasks++;
      slot.worker.send(msg, undefined, slot.taskSent);
      n++;
    }
    return n;
  }

  /** Ids of the ready workers. */
  workerIds(): number[] {
    return [...this.slots].filter(([, s]) => s.ready).map(([id]) => id);
  }

  /** The last stats each worker reported, summed, with the primary's own connection counts. */
  stats(): TcpServerStats {
    let s: TcpServerStats = {
      current: 0,
      total: 0,
      refused: 0,
      messagesIn: 0,
      messagesOut: 0,
      bytesIn: 0,
      bytesOut: 0,
      decodeErrors: 0,
      routeErrors: 0,
      tlsErrors: 0,
      closes: {},
    };
    for (const w of this.lastWorkerStats.values()) s = addStats(s, w);
    return { ...s, current: this.current, total: this.total, refused: this.refusedCount };
  }

  /** Ask every worker for fresh stats (waiting at most `timeoutMs`), then {@link stats}. */
  async collectStats(timeoutMs: number): Promise<TcpServerStats> {
    const id = ++this.statsSeq;
    const pending = new Set(this.workerIds());
    if (pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.statsWaiters.set(id, {
          pending,
          done: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        for (const wid of pending) this.slots.get(wid)?.worker.send({ lars: "stats?", id } satisfies PrimaryToWorker);
      });
      this.statsWaiters.delete(id);
    }
    return this.stats();
  }

  /** Stop accepting, ask every worker to drain and stop, wait for them (killing the late), and close. */
  async close(deadlineMs: number): Promise<void> {
    this.shuttingDown = true;
    const server = this.server;
    const closed = server === undefined ? Promise.resolve() : new Promise<void>((r) => server.close(() => r()));
    const exits = [...this.slots.values()].map(
      (slot) =>
        new Promise<void>((resolve) => {
          if (slot.worker.isDead()) return resolve();
          slot.worker.once("exit", () => resolve());
          if (slot.worker.isConnected()) slot.worker.send({ lars: "shutdown", deadlineMs } satisfies PrimaryToWorker);
        }),
    );
    const killer = setTimeout(() => {
      for (const slot of this.slots.values()) if (!slot.worker.isDead()) slot.worker.process.kill("SIGKILL");
    }, deadlineMs + 2000);
    await Promise.all(exits);
    clearTimeout(killer);
    cluster.off("exit", this.onExit);
    await closed;
  }

  private fork(): void {
    const replacement = this.booted;
    const worker = cluster.fork({ [WORKER_ENV]: "1" });
    const slot: WorkerSlot = {
      worker,
      ready: false,
      conns: 0,
      dead: false,
      inflight: new Set(),
      draining: false,
      pendingTasks: 0,
      taskSent: () => void slot.pendingTasks--,
      replacement,
    };
    this.slots.set(worker.id, slot);
    worker.on("message", (msg: unknown) => this.onMessage(slot, msg));
    worker.on("error", (err) => this.events.report(new LarsError("LARS_WORKER_ERROR", `worker ${worker.id}: ${err.message}`, { cause: err })));
  }

  private onMessage(slot: WorkerSlot, msg: unknown): void {
    if (!isLarsMessage(msg)) return;
    const m = msg as WorkerToPrimary;
    switch (m.lars) {
      case "ready": {
        slot.ready = true;
        // Before it joins the round-robin: a task sent from this hook reaches the worker ahead of its
        // first connection (one IPC channel, in order), so it can hand the worker its state first.
        this.events.workerReady({ workerId: slot.worker.id, pid: slot.worker.process.pid, replacement: slot.replacement });
        this.rr = [...this.slots.values()].filter((s) => s.ready);
        const a = this.address!;
        slot.worker.send({ lars: "hello", address: { address: a.address, family: a.family, port: a.port } } satisfies PrimaryToWorker);
        if (this.rr.length === this.workerCount) this.onAllReady?.();
        break;
      }
      case "draining":
        if (this.shuttingDown || slot.draining || slot.dead) break;
        slot.draining = true;
        slot.ready = false;
        this.rr = this.rr.filter((s) => s !== slot);
        this.fork();
        break;
      case "closed":
        // After the worker's exit its connections were counted back all at once: never twice.
        if (slot.dead || slot.conns <= 0) break;
        slot.conns--;
        this.current--;
        break;
      case "stats": {
        this.lastWorkerStats.set(slot.worker.id, m.stats);
        const waiter = this.statsWaiters.get(m.id);
        if (waiter !== undefined) {
          waiter.pending.delete(slot.worker.id);
          if (waiter.pending.size === 0) waiter.done();
        }
        break;
      }
      case "task-error":
        this.events.report(new LarsError("LARS_TASK_FAILED", `worker ${slot.worker.id}: ${m.message}`));
        break;
    }
  }

  private dispatch(socket: Socket): void {
    if (this.shuttingDown || this.current >= this.options.maxConn || this.rr.length === 0) {
      this.refusedCount++;
      const info = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
      socket.on("error", () => {});
      socket.destroy();
      if (!this.shuttingDown) this.events.refused(info);
      return;
    }
    const slot = this.rr[this.rrNext++ % this.rr.length]!;
    slot.conns++;
    this.current++;
    this.total++;
    slot.inflight.add(socket);
    // keepOpen: without it node:cluster keeps the primary's copy of the socket until the worker
    // acknowledges it, and never closes that copy if the worker dies first (the peer stays
    // connected forever). With it, the primary closes its copy once the write is done: the fd then
    // lives in the worker, or in the IPC message the kernel discards (closing it) if the worker dies.
    slot.worker.send({ lars: "conn" } satisfies PrimaryToWorker, socket, { keepOpen: true }, (err: Error | null) => {
      slot.inflight.delete(socket);
      socket.destroy();
      if (err === null) return;
      // The worker went away with the handle in flight: the peer is closed, count it back
      // (unless its exit did already).
      if (slot.dead) return;
      slot.conns--;
      this.current--;
      this.events.report(new LarsError("LARS_WORKER_HANDOFF", `handing a connection to worker ${slot.worker.id} failed: ${err.message}`, { cause: err }));
    });
  }

  private readonly onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    const slot = this.slots.get(worker.id);
    if (slot === undefined) return;
    this.slots.delete(worker.id);
    this.lastWorkerStats.delete(worker.id);
    this.rr = this.rr.filter((s) => s !== slot);
    const lostConnections = slot.conns;
    this.current -= lostConnections;
    slot.conns = 0;
    slot.dead = true;
    // Connections still queued for hand-off never reached it: close them (their slots were just released).
    for (const socket of slot.inflight) {
      socket.on("error", () => {});
      socket.destroy();
    }
    slot.inflight.clear();
    if (this.shuttingDown) return;
    const died = signal !== null || code !== 0;
    const now = Date.now();
    this.crashTimes = this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS);
    if (died) this.crashTimes.push(now);
    const replaced = slot.draining || (died && this.crashTimes.length <= MAX_CRASHES_IN_WINDOW);
    if (replaced && !slot.draining) this.fork();
    this.events.workerExit({ workerId: worker.id, pid: worker.process.pid, code, signal, lostConnections, replaced });
    if (died && !replaced && !slot.draining) {
      const message = `workers keep dying (${this.crashTimes.length} in ${CRASH_WINDOW_MS} ms): not replacing worker ${worker.id}`;
      // Still booting: listen() settles with the failure instead of waiting forever.
      if (this.onBootFailed !== undefined) this.onBootFailed(new WorkerBootError(message));
      else this.events.report(new ServerStateError(message));
    }
  };
}
