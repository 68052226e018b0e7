import { EventEmitter } from "node:events";
import type { TlsOptions } from "node:tls";
import { EventLoop } from "@lars/event-loop";
import { BufPool } from "@lars/iobuf";
import type { LarsError } from "@lars/iobuf";
import { TcpServer } from "@lars/tcp-server";
import type { CloseReason, TcpConn, TcpServerOptions } from "@lars/tcp-server";
import { until } from "../helpers.js";

/**
 * A real `@lars/tcp-server` in this process, on 127.0.0.1 port 0, with its
 * own loop and a tracking pool, every hook recorded; emits "change" after
 * each. Routes: msgid 1 echoes; msgid 2 answers with msgid 3 ("re:" + body).
 */
export class LarsServer extends EventEmitter {
  readonly starts: TcpConn[] = [];
  readonly closes: { conn: TcpConn; reason: CloseReason; error: Error | undefined }[] = [];
  readonly errors: { err: LarsError; conn: TcpConn | undefined }[] = [];
  /** Errors the server's loop reported (a throwing task or timer): must stay empty. */
  readonly loopErrors: unknown[] = [];
  readonly loop: EventLoop;
  readonly pool = new BufPool({ track: true });
  readonly server: TcpServer;

  private constructor(options: TcpServerOptions, tls: TlsOptions | undefined) {
    super();
    this.loop = new EventLoop({ monitorDelay: false, onError: (err) => this.loopErrors.push(err) });
    this.server = new TcpServer(this.loop, {
      host: "127.0.0.1",
      port: 0,
      pool: this.pool,
      ...options,
      ...(tls !== undefined ? { tls } : {}),
      onConnStart: (conn) => {
        this.starts.push(conn);
        void options.onConnStart?.(conn);
        this.emit("change");
      },
      onConnClose: (conn, reason, error) => {
        this.closes.push({ conn, reason, error });
        void options.onConnClose?.(conn, reason, error);
        this.emit("change");
      },
      onError: (err, conn) => {
        this.errors.push({ err, conn });
        void options.onError?.(err, conn);
        this.emit("change");
      },
    });
    this.server.addMsgRouter(1, (body, msgid, conn) => conn.sendMessage(body, msgid));
    this.server.addMsgRouter(2, (body, _msgid, conn) => conn.sendMessage(Buffer.concat([Buffer.from("re:"), body]), 3));
  }

  /** Start listening; `tls` given: serve TLS with those options. */
  static async start(options: TcpServerOptions = {}, tls?: TlsOptions): Promise<LarsServer> {
    const s = new LarsServer(options, tls);
    await s.server.listen();
    return s;
  }

  get port(): number {
    return this.server.address()!.port;
  }

  errorsWith(code: string): { err: LarsError; conn: TcpConn | undefined }[] {
    return this.errors.filter((e) => e.err.code === code);
  }

  /** Wait until `check()` holds, re-checking after every recorded hook. */
  wait(check: () => boolean, what: string): Promise<void> {
    return until(this, "change", check, what);
  }

  /** Stop the server (graceful) and its loop, then check nothing leaked and the loop reported nothing. */
  async stop(): Promise<void> {
    await this.loop.stop();
    this.pool.assertNoLeaks();
    if (this.loopErrors.length > 0) throw new Error(`server loop reported errors: ${this.loopErrors.map(String).join("; ")}`);
  }
}
