import { connect } from "node:net";
import type { Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import type { ConnectionOptions } from "node:tls";
import type { EventLoop, TimerHandle } from "@lars/event-loop";
import { backoffDelay, reconnectDelay } from "./backoff.js";
import type { BackoffPolicy } from "./backoff.js";
import { ConnectError } from "./errors.js";

/** What a {@link Connector} tells its client. Called on the loop; never after `stop()` (except inside a call that stopped it). */
export interface ConnectorEvents {
  /** A socket connected; from now on it belongs to the receiver. */
  onConnected(socket: Socket): void;
  /** One connect attempt failed; a retry or give-up follows unless stopped meanwhile. */
  onAttemptFailed(err: ConnectError): void;
  /** Reconnect attempt `attempt` (1, 2, ...) will start in `delayMs`. */
  onRetryScheduled(attempt: number, delayMs: number, lastError: Error): void;
  /** No attempt left: `attempts` reconnect attempts were made since the last success. */
  onGiveUp(lastError: Error, attempts: number): void;
  /** The user's `delay` function threw or returned garbage; the exponential delay was used instead. */
  onDelayError(err: unknown): void;
}

function ignore(): void {}

/**
 * Connects a client and reconnects it (muduo's `Connector`): the only owner
 * of connect attempts, the connect timeout, the retry count and the backoff
 * timer — nothing else in the client retries. The one place in this package
 * that creates sockets; once connected, a socket is handed over and the
 * connector forgets it.
 *
 * With TLS, "connected" means the TLS handshake completed (`'secureConnect'`):
 * the connect timeout covers TCP connect and handshake together, and a
 * handshake that fails (untrusted or mismatched server certificate, the
 * server refusing us during the handshake) is a failed attempt with code
 * `LARS_TLS_HANDSHAKE`, retried with backoff like any failed connect.
 *
 * Attempts are counted from the last stable connection (one that stayed up
 * `stableAfterMs`): the first connect is attempt 0, reconnect attempts are
 * 1, 2, ... up to `maxAttempts`. Every
 * attempt after the first waits its backoff delay on a loop timer, so the
 * connector never spins, whatever the server does.
 */
export class Connector {
  /** Connect attempts started, in all. */
  attemptsStarted = 0;
  private socket: Socket | undefined;
  private connectTimer: TimerHandle | undefined;
  private retryTimer: TimerHandle | undefined;
  private retries = 0;
  private stopped = false;
  /** When the last connection came up (loop clock, ms), for `stableAfterMs`. */
  private connectedAt = 0;

  constructor(
    private readonly loop: EventLoop,
    private readonly host: string,
    private readonly port: number,
    private readonly target: string,
    private readonly connectTimeoutMs: number,
    private readonly policy: BackoffPolicy,
    private readonly events: ConnectorEvents,
    /** Connect with TLS (`node:tls`) and count as connected only once the handshake is done. */
    private readonly tls: ConnectionOptions | undefined = undefined,
    /** A connection must stay up this long (ms) before the attempt counter starts over. */
    private readonly stableAfterMs = 0,
  ) {}

  /** A connect attempt is in flight. */
  get connecting(): boolean {
    return this.socket !== undefined;
  }

  /** Start the first connect now. */
  start(): void {
    this.connectNow();
  }

  /**
   * The established connection was lost with `lastError`: reconnect (or give
   * up). If it stayed up at least `stableAfterMs`, the backoff starts over
   * at the first delay; else the attempt count goes on growing, so a server
   * that accepts and closes at once is retried ever more slowly.
   */
  retry(lastError: Error): void {
    if (performance.now() - this.connectedAt >= this.stableAfterMs) this.retries = 0;
    this.scheduleRetry(lastError);
  }

  /** Stop for good: cancel the timers and abandon a connect in flight. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.retryTimer?.cancel();
    this.retryTimer = undefined;
    const socket = this.socket;
    if (socket !== undefined) this.abandon(socket);
  }

  private readonly connectNow = (): void => {
    this.retryTimer = undefined;
    if (this.stopped) return;
    const attempt = this.retries;
    this.attemptsStarted++;
    const tls = this.tls;
    let socket: Socket;
    try {
      socket =
        tls === undefined
          ? connect({ host: this.host, port: this.port })
          : // host and port are the client's; a `socket`/`path` in the TLS options must not redirect the attempt.
            tlsConnect({ ...tls, host: this.host, port: this.port, socket: undefined, path: undefined });
    } catch (err) {
      this.failed(new ConnectError("LARS_CONNECT_FAILED", this.target, attempt, String(err), { cause: err }));
      return;
    }
    this.socket = socket;
    // With TLS, an error after the TCP connect is a failed handshake.
    let tcpConnected = false;
    const onError = (err: Error): void => {
      if (this.socket !== socket) return;
      this.abandon(socket);
      const code = tls !== undefined && tcpConnected ? "LARS_TLS_HANDSHAKE" : "LARS_CONNECT_FAILED";
      const what = code === "LARS_TLS_HANDSHAKE" ? `TLS handshake failed: ${err.message}` : err.message;
      this.failed(new ConnectError(code, this.target, attempt, what, { cause: err }));
    };
    socket.once("error", onError);
    if (tls !== undefined) socket.once("connect", () => (tcpConnected = true));
    socket.once(tls === undefined ? "connect" : "secureConnect", () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.connectTimer?.cancel();
      this.connectTimer = undefined;
      socket.removeListener("error", onError);
      this.connectedAt = performance.now();
      this.events.onConnected(socket);
    });
    this.connectTimer = this.loop.runAfter(this.connectTimeoutMs, () => {
      this.connectTimer = undefined;
      if (this.socket !== socket) return;
      this.abandon(socket);
      this.failed(new ConnectError("LARS_CONNECT_TIMEOUT", this.target, attempt, `${tls === undefined ? "connect" : "connect and TLS handshake"} did not complete within ${this.connectTimeoutMs} ms`));
    });
  };

  /** Forget the socket of an attempt and destroy it; it can no longer call back. */
  private abandon(socket: Socket): void {
    this.socket = undefined;
    this.connectTimer?.cancel();
    this.connectTimer = undefined;
    socket.removeAllListeners("connect");
    socket.removeAllListeners("secureConnect");
    socket.on("error", ignore);
    socket.destroy();
  }

  private failed(err: ConnectError): void {
    this.events.onAttemptFailed(err);
    if (!this.stopped) this.scheduleRetry(err);
  }

  private scheduleRetry(lastError: Error): void {
    if (this.retries >= this.policy.maxAttempts) {
      this.stopped = true;
      this.events.onGiveUp(lastError, this.retries);
      return;
    }
    const attempt = ++this.retries;
    let delayMs: number;
    try {
      delayMs = reconnectDelay(attempt, lastError, this.policy);
    } catch (err) {
      this.events.onDelayError(err);
      delayMs = backoffDelay(attempt, this.policy);
    }
    this.retryTimer = this.loop.runAfter(delayMs, this.connectNow);
    this.events.onRetryScheduled(attempt, delayMs, lastError);
  }
}
