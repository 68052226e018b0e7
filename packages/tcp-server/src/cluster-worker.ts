import cluster from "node:cluster";
import type { AddressInfo, Server, Socket } from "node:net";
import type { TLSSocket } from "node:tls";
import { isLarsMessage } from "./ipc-messages.js";
import type { PrimaryToWorker, WorkerToPrimary } from "./ipc-messages.js";
import { ServingProcess } from "./serving-process.js";
import type { ServerContext } from "./serving-process.js";
import { createHandshakeServer, failHandshake } from "./tls-handshake.js";

function send(msg: WorkerToPrimary): void {
  if (process.connected && process.send !== undefined) process.send(msg);
}

/** A connection of this worker closed (or never became one): the primary's count goes down. */
function tellPrimaryClosed(): void {
  send({ lars: "closed" });
}

/**
 * A worker of a multi-worker server: it does not listen; it serves the
 * connections its primary hands over (the primary counted them against
 * `maxConn`), runs tasks, answers stats, and drains on shutdown. With TLS
 * it runs the handshake itself (the primary only ever sees TCP).
 *
 * SIGINT in a worker (e.g. Ctrl-C reaching the whole process group) drains
 * it, so it exits 0 and is not replaced. SIGTERM sent to one worker from
 * outside drains it too, but first tells the primary, which stops handing
 * it connections and forks its replacement at once.
 */
export class ClusterWorker extends ServingProcess {
  readonly role = "worker";
  private onHello: ((a: AddressInfo) => void) | undefined;
  private stopped = false;
  /** TLS: the tls.Server (never listening) that handshakes the sockets handed over. */
  private handshakes: Server | undefined;

  constructor(ctx: ServerContext) {
    super(ctx, tellPrimaryClosed);
  }

  /** Tell the primary this worker is ready; resolves with the server's address once it answers. */
  listen(): Promise<AddressInfo> {
    process.on("message", this.onMessage);
    process.once("SIGINT", this.onSignal);
    process.once("SIGTERM", this.onTerm);
    const hello = new Promise<AddressInfo>((resolve) => (this.onHello = resolve));
    send({ lars: "ready" });
    return hello.then((address) => {
      this.table.startSweep();
      return address;
    });
  }

  async close(deadlineMs: number): Promise<void> {
    this.closing = true;
    await this.table.drain(deadlineMs);
    this.detach();
  }

  /**
   * Done serving: let go of the primary, whose IPC channel keeps this process alive. While the
   * loop is stopping, only once it has stopped: the loop's other resources finish closing first,
   * and sockets the primary still hands over meanwhile are refused, not leaked.
   */
  private detach(): void {
    if (this.stopped) return;
    this.stopped = true;
    process.off("SIGINT", this.onSignal);
    process.off("SIGTERM", this.onTerm);
    const { loop } = this.ctx;
    if (loop.stopping && !loop.stopped) void loop.run().then(this.disconnect);
    else this.disconnect();
  }

  /**
   * Through `cluster.worker.disconnect()`, which marks the exit as intended
   * (`exitedAfterDisconnect`): on a bare `process.disconnect()`, node:cluster
   * takes the lost channel for a dead primary and calls `process.exit(0)` at
   * once, cutting short whatever the program still does after its loop.
   */
  private readonly disconnect = (): void => {
    process.off("message", this.onMessage);
    if (!process.connected) return;
    if (cluster.worker !== undefined) cluster.worker.disconnect();
    else process.disconnect();
  };

  /** A socket handed over by the primary; with TLS, handshaken here first. */
  private adopt(socket: Socket): void {
    if (this.ctx.options.tls === undefined) {
      this.accept(socket);
      return;
    }
    this.handshakes ??= createHandshakeServer(
      this.ctx.options,
      (secure) => this.accept(secure),
      (err, failed) => this.onTlsError(err, failed),
    );
    this.handshakes.emit("connection", socket);
  }

  private accept(socket: Socket): void {
    if (this.closing) this.table.refuse(socket, true);
    else this.table.add(socket);
  }

  /** A handshake failed: count, drop, report; the primary counted it as a connection. */
  private onTlsError(err: Error, socket: TLSSocket): void {
    this.table.counters.tlsErrors++;
    this.ctx.reporter.report(failHandshake(err, socket), undefined);
    tellPrimaryClosed();
  }

  private shutdown(deadlineMs: number): void {
    void this.ctx.loop.stop(deadlineMs);
  }

  private readonly onSignal = (): void => {
    this.shutdown(5000);
  };

  private readonly onTerm = (): void => {
    send({ lars: "draining" });
    this.shutdown(5000);
  };

  private readonly onMessage = (msg: unknown, handle: unknown): void => {
    if (!isLarsMessage(msg)) return;
    const m = msg as PrimaryToWorker;
    switch (m.lars) {
      case "conn":
        if (handle !== undefined && handle !== null) this.adopt(handle as Socket);
        break;
      case "hello":
        this.onHello?.(m.address);
        break;
      case "task": {
        const name = m.name;
        const err = this.ctx.tasks.run(name, m.payload, (failed) => send({ lars: "task-error", name, message: failed.message }));
        if (err !== undefined) send({ lars: "task-error", name, message: err.message });
        break;
      }
      case "stats?":
        send({ lars: "stats", id: m.id, stats: this.stats() });
        break;
      case "shutdown":
        this.shutdown(m.deadlineMs);
        break;
    }
  };
}
