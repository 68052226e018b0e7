import type { AddressInfo } from "node:net";
import { typedRoute } from "@lars/codec";
import type { LarsError } from "@lars/codec";
import type { EventLoop } from "@lars/event-loop";
import { MsgId, reportStatusRequestCodec } from "@lars/proto";
import type { ReportStatusRequest } from "@lars/proto";
import { TcpServer } from "@lars/tcp-server";
import type { TcpConn, TcpServerStats } from "@lars/tcp-server";
import type { BatchWriter } from "./batch-writer.js";
import { Flusher } from "./flusher.js";
import type { FlusherOptions, FlusherStats } from "./flusher.js";
import { HistoryRecorder } from "./history-recorder.js";
import type { HistoryOptions, HistoryStats } from "./history-recorder.js";
import { ReportQueue } from "./report-queue.js";
import type { ReportQueueStats } from "./report-queue.js";
import type { ReporterLogger } from "./types.js";

/** Default port of the report service (the C++ `lars_reporter.conf`). */
export const DEFAULT_REPORTER_PORT = 7779;
/** Default queue cap, rows. */
export const DEFAULT_QUEUE_CAP = 100_000;

/** Options of a {@link ReporterServer}. */
export interface ReporterServerOptions extends FlusherOptions {
  /** Where batches go (see `createStoreWriter`). Closed by `close()`. */
  readonly writer: BatchWriter;
  /** Listen address. Default `127.0.0.1`. */
  readonly host?: string;
  /** Listen port; 0 picks a free one. Default 7779. */
  readonly port?: number;
  /** Most agent connections at once. Default 1024. */
  readonly maxConn?: number;
  /** Most pending rows (the bound on memory); more are dropped and counted. Default 100000. */
  readonly queueCap?: number;
  /** Per-interval history rows; off when undefined. */
  readonly history?: HistoryOptions | undefined;
}

/** Everything the reporter counts. */
export interface ReporterStats {
  /** Report messages decoded. */
  readonly reports: number;
  /** Bodies that did not decode (skipped; the connection stays). */
  readonly decodeErrors: number;
  readonly queue: ReportQueueStats;
  readonly flusher: FlusherStats;
  readonly history: HistoryStats | undefined;
  readonly server: TcpServerStats;
}

/**
 * The Lars report service: a `TcpServer` taking msgid 3
 * `ReportStatusRequest` from agents (no reply). Each `HostCallResult` becomes
 * a `CallStatusRow` in a bounded {@link ReportQueue}; a {@link Flusher}
 * writes it in batches off the I/O path.
 */
export class ReporterServer {
  readonly server: TcpServer;
  readonly queue: ReportQueue;
  readonly flusher: Flusher;
  readonly history: HistoryRecorder | undefined;
  readonly #writer: BatchWriter;
  readonly #logger: ReporterLogger | undefined;
  #reports = 0;
  #decodeErrors = 0;
  #closed: Promise<void> | undefined;

  constructor(loop: EventLoop, options: ReporterServerOptions) {
    this.#writer = options.writer;
    this.#logger = options.logger;
    this.queue = new ReportQueue(options.queueCap ?? DEFAULT_QUEUE_CAP);
    this.flusher = new Flusher(this.queue, this.#writer, options);
    this.history = options.history === undefined ? undefined : new HistoryRecorder(this.#writer, { logger: options.logger, ...options.history });
    this.server = new TcpServer(loop, {
      host: options.host ?? "127.0.0.1",
      port: options.port ?? DEFAULT_REPORTER_PORT,
      maxConn: options.maxConn ?? 1024,
      onError: (err, conn) => this.#onError(err, conn),
    });
    loop.own(this);
    this.server.addMsgRouter(MsgId.ReportStatusRequest, typedRoute(reportStatusRequestCodec, (msg: ReportStatusRequest) => this.accept(msg)));
  }

  /** Starts serving; resolves with the bound address. */
  async listen(): Promise<AddressInfo> {
    const address = await this.server.listen();
    this.history?.start();
    return address;
  }

  /** Takes one report as if it came from an agent (what the route handler does). */
  accept(msg: ReportStatusRequest): void {
    this.#reports++;
    const { modid, cmdid, caller, ts } = msg;
    for (const r of msg.results) {
      this.queue.push({ modid, cmdid, ip: r.ip, port: r.port, caller, succCnt: r.succ, errCnt: r.err, ts, overload: r.overload });
      this.history?.add(modid, cmdid, r.ip, r.port, r.succ, r.err, r.overload);
    }
    this.flusher.notify();
  }

  /** A snapshot of the counters. */
  stats(): ReporterStats {
    return {
      reports: this.#reports,
      decodeErrors: this.#decodeErrors,
      queue: this.queue.stats(),
      flusher: this.flusher.stats(),
      history: this.history?.stats(),
      server: this.server.stats(),
    };
  }

  /**
   * Graceful stop: stop accepting, close the connections, write what is
   * queued (giving up at the first failure, logged), the last history window,
   * then close the writer. Idempotent. The loop owns the reporter: `loop.stop()`
   * does this too.
   */
  close(deadlineMs?: number): Promise<void> {
    this.#closed ??= (async () => {
      await this.server.close(deadlineMs);
      await this.flusher.drain();
      await this.history?.stop();
      await this.#writer.close();
    })();
    return this.#closed;
  }

  #onError(err: LarsError, conn: TcpConn | undefined): void {
    const where = conn === undefined ? {} : { conn: conn.id, remote: `${conn.remoteAddress ?? "?"}:${conn.remotePort ?? "?"}` };
    if (err.code === "LARS_PAYLOAD_DECODE" || (err.cause as { code?: unknown } | undefined)?.code === "LARS_PAYLOAD_DECODE") {
      this.#decodeErrors++;
      this.#logger?.warn({ ...where, err }, "undecodable report skipped");
      return;
    }
    this.#logger?.warn({ ...where, err }, "reporter connection error");
  }
}
