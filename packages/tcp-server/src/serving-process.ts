import type { AddressInfo } from "node:net";
import type { MessageBody, MessageRouter, NetConnection } from "@lars/codec";
import type { EventLoop } from "@lars/event-loop";
import type { TcpConn } from "@lars/tcp-conn";
import { ConnectionTable } from "./connection-table.js";
import type { BroadcastResult } from "./connection-table.js";
import type { ResolvedTcpServerOptions } from "./options.js";
import type { ServerProcess, ServerRole } from "./server-process.js";
import type { ServerReporter } from "./server-reporter.js";
import type { TcpServerStats } from "./server-stats.js";
import type { TaskRegistry } from "./task-registry.js";

/** What a TcpServer gives the process role it chose. */
export interface ServerContext {
  readonly loop: EventLoop;
  readonly router: MessageRouter<NetConnection>;
  readonly options: ResolvedTcpServerOptions;
  readonly reporter: ServerReporter;
  readonly tasks: TaskRegistry;
}

/**
 * A process that serves connections itself — a single-process listener or
 * a cluster worker — with a {@link ConnectionTable}. What differs between
 * them is how sockets arrive and how they stop; the rest is here.
 */
export abstract class ServingProcess implements ServerProcess {
  abstract readonly role: ServerRole;
  protected readonly table: ConnectionTable;
  /** From the start of close(): sockets arriving now are refused. */
  protected closing = false;

  constructor(
    protected readonly ctx: ServerContext,
    /** Runs after each connection's close hook. */
    afterClose?: () => void,
  ) {
    this.table = new ConnectionTable(ctx.loop, ctx.router, ctx.options, ctx.reporter, afterClose);
  }

  abstract listen(): Promise<AddressInfo>;
  abstract close(deadlineMs: number): Promise<void>;

  get connectionCount(): number {
    return this.table.size;
  }

  connections(): TcpConn[] {
    return this.table.connections();
  }

  broadcast(data: MessageBody, msgid: number): BroadcastResult {
    return this.table.broadcast(data, msgid);
  }

  stats(): TcpServerStats {
    return this.table.stats();
  }

  collectStats(): Promise<TcpServerStats> {
    return Promise.resolve(this.stats());
  }

  /** Run the task in this process: on the loop, in the next batch (a worker's own sendTask too). */
  sendTask(name: string, payload: unknown): number {
    const { loop, tasks, reporter } = this.ctx;
    loop.addTask(() => {
      const err = tasks.run(name, payload, reporter.reportTask);
      if (err !== undefined) reporter.report(err, undefined);
    });
    return 1;
  }

  workerIds(): number[] {
    return [];
  }
}
