import type { AddressInfo, Socket } from "node:net";
import { isLarsMessage } from "./ipc-messages.js";
import type { PrimaryToWorker, WorkerToPrimary } from "./ipc-messages.js";
import type { TcpServerStats } from "./server-stats.js";

/** What the worker side needs from its TcpServer. */
export interface WorkerHost {
  adopt(socket: Socket): void;
  runTask(name: string, payload: unknown): string | undefined;
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
 * SIGINT/SIGTERM in a worker (e.g. Ctrl-C reaching the whole process group)
 * drain it the same way, so it exits 0 and is not replaced.
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
    process.once("SIGTERM", this.onSignal);
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
    process.off("SIGTERM", this.onSignal);
    if (process.connected) process.disconnect();
  }

  private readonly onSignal = (): void => {
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
        const err = this.host.runTask(m.name, m.payload);
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
