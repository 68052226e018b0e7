import type { AddressInfo, Socket } from "node:net";
import { isLarsMessage } from "./ipc-messages.js";
import type { PrimaryToWorker, WorkerToPrimary } from "./ipc-messages.js";
import type { TcpServerStats } from "./server-stats.js";

/** What the worker side needs from its TcpServer. */
export interface WorkerHost {
  adopt(socket: Socket): void;
  /** Run a task; returns the message of an immediate failure; `later` takes that of a rejected async one. */
  runTask(name: string, payload: unknown, later: (message: string) => void): string | undefined;
  stats(): TcpServerStats;
  /** Drain and stop this worker's loop (the process then exits by itself). */
  shutdown(deadlineMs: number): void;
}

function send(msg: WorkerToPrimary): void {
  if (process.connected && process.send !== undefined) process.send(msg);
}

/**
 * The worker side of a multi-worker server: takes the connections the
 * primary hands over, runs tasks, answers stats, and drains on shutdown.
 * SIGINT in a worker (e.g. Ctrl-C reaching the whole process group) drains
 * it the same way, so it exits 0 and is not replaced. SIGTERM sent to one
 * worker from outside drains it too, but first tells the primary, which stops
 * handing it connections and forks its replacement at once.
 */
export class ClusterWorker {
  private address: AddressInfo | undefined;
  private onHello: ((a: AddressInfo) => void) | undefined;
  private stopped = false;

  constructor(private readonly host: WorkerHost) {}

  /** Tell the primary this worker is ready; resolves with the server's address. */
  listen(): Promise<AddressInfo> {
    process.on("message", this.onMessage);
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onTerm);
    const hello = new Promise<AddressInfo>((resolve) => (this.onHello = resolve));
    send({ lars: "ready" });
    return hello;
  }

  get boundAddress(): AddressInfo | undefined {
    return this.address;
  }

  /** A connection of this worker closed: the primary's count goes down. */
  connectionClosed(): void {
    send({ lars: "closed" });
  }

  /** Stop listening to the primary (the IPC channel then no longer keeps the process alive). */
  detach(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.off("message", this.onMessage);
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onTerm);
    if (process.connected) process.disconnect();
  }

  private readonly onSignal = (): void => {
    this.host.shutdown(5000);
  };

  private readonly onTerm = (): void => {
    send({ lars: "draining" });
    this.host.shutdown(5000);
  };

  private readonly onMessage = (msg: unknown, handle: unknown): void => {
    if (!isLarsMessage(msg)) return;
    const m = msg as PrimaryToWorker;
    switch (m.lars) {
      case "conn":
        if (handle !== undefined && handle !== null) this.host.adopt(handle as Socket);
        break;
      case "hello":
        this.address = m.address;
        this.onHello?.(m.address);
        break;
      case "task": {
        const name = m.name;
        const err = this.host.runTask(name, m.payload, (message) => send({ lars: "task-error", name, message }));
        if (err !== undefined) send({ lars: "task-error", name: m.name, message: err });
        break;
      }
      case "stats?":
        send({ lars: "stats", id: m.id, stats: this.host.stats() });
        break;
      case "shutdown":
        this.host.shutdown(m.deadlineMs);
        break;
    }
  };
}
