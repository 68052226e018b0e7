// Test helpers shared by the examples' tests: run an example program as a
// child process and talk to it with a raw node:net Lars peer. Every wait resolves on an event (a stdout line, a
// frame, 'exit') and fails after WAIT_MS naming what was missing; nothing sleeps.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { connect } from "node:net";
import type { Socket } from "node:net";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { FrameDecoder, encodeFrame } from "@lars/codec";
import type { MessageBody } from "@lars/codec";

export const WAIT_MS = 10_000;

/** Resolves once `done()` holds, re-checked whenever the owner calls its `waiters`. Rejects after WAIT_MS. */
function waitFor(what: string, done: () => boolean, waiters: Set<() => void>): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (!done()) return;
      waiters.delete(check);
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`no ${what} within ${WAIT_MS} ms`));
    }, WAIT_MS);
    waiters.add(check);
  });
}

/** Where and how a {@link Program} runs. */
export interface ProgramOptions {
  /** Working directory. Default: the script's folder (what `npm run` in its workspace gives). */
  cwd?: string;
  /** Environment. Default: this process's, without INIT_CWD (so a test run by npm does not leak its own). */
  env?: NodeJS.ProcessEnv;
}

/**
 * A running example program: `node <script> ...args`, run in the script's folder.
 * `script` is a URL, e.g. `new URL("../server.mjs", import.meta.url)` from a test.
 */
export class Program {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  stderr = "";
  exitCode: number | null | undefined;
  private readonly waiters = new Set<() => void>();
  private partial = "";

  constructor(script: URL, args: string[], options: ProgramOptions = {}) {
    const path = fileURLToPath(script);
    const env = options.env ?? { ...process.env };
    if (options.env === undefined) delete env.INIT_CWD;
    this.child = spawn(process.execPath, [path, ...args], { cwd: options.cwd ?? dirname(path), env, stdio: ["ignore", "pipe", "pipe"] });
    this.child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (this.partial + chunk).split("\n");
      this.partial = parts.pop()!;
      this.lines.push(...parts);
      this.notify();
    });
    this.child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (this.stderr += chunk));
    this.child.on("exit", (code, signal) => {
      this.exitCode = code ?? (signal === null ? null : -1);
      this.notify();
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  get exited(): boolean {
    return this.exitCode !== undefined;
  }

  /** The first stdout line matching `re` (waiting for it); fails early if the program exits. */
  async line(re: RegExp): Promise<RegExpMatchArray> {
    const find = (): RegExpMatchArray | null => {
      for (const l of this.lines) {
        const m = re.exec(l);
        if (m !== null) return m;
      }
      return null;
    };
    await waitFor(`stdout line ${re} (stdout: ${JSON.stringify(this.lines)}, stderr: ${this.stderr})`, () => find() !== null || this.exited, this.waiters);
    const m = find();
    if (m === null) throw new Error(`exited (${this.exitCode}) before printing ${re}; stderr: ${this.stderr}`);
    return m;
  }

  /** Port from the first line, which must be `listening on HOST:PORT`. */
  async port(): Promise<number> {
    await this.line(/./);
    const m = /^listening on (.+):(\d+)$/.exec(this.lines[0]!);
    if (m === null) throw new Error(`first line is not "listening on HOST:PORT": ${this.lines[0]}`);
    return Number(m[2]);
  }

  /** Waits for the exit and returns its code (-1 when killed by a signal). */
  async exit(): Promise<number | null> {
    await waitFor("exit", () => this.exited, this.waiters);
    return this.exitCode!;
  }

  /** SIGTERM, then the exit code. */
  async stop(): Promise<number | null> {
    if (!this.exited) this.child.kill("SIGTERM");
    return this.exit();
  }

  /** For afterEach: make sure nothing is left running. */
  kill(): void {
    if (!this.exited) this.child.kill("SIGKILL");
  }
}

export interface RawFrame {
  msgid: number;
  body: Buffer;
}

/** A Lars peer over a plain socket: frames out with encodeFrame, in through a FrameDecoder. */
export class RawClient {
  readonly frames: RawFrame[] = [];
  closed = false;
  private readonly waiters = new Set<() => void>();

  private constructor(readonly socket: Socket) {
    const decoder = new FrameDecoder({ onFrame: (msgid, body) => this.frames.push({ msgid, body: Buffer.from(body) }) });
    socket.on("data", (chunk: Buffer) => {
      const err = decoder.feed(chunk);
      if (err !== null) socket.destroy(err);
      this.notify();
    });
    socket.on("error", () => {});
    socket.on("close", () => {
      this.closed = true;
      this.notify();
    });
  }

  static connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host, port }, () => {
        socket.off("error", reject);
        resolve(new RawClient(socket));
      });
      socket.once("error", reject);
    });
  }

  private notify(): void {
    for (const w of [...this.waiters]) w();
  }

  send(msgid: number, body: MessageBody): void {
    this.socket.write(encodeFrame(msgid, body));
  }

  /** The first frame received of `msgid` and not taken yet (it is removed from `frames`). */
  async take(msgid: number): Promise<RawFrame> {
    const index = (): number => this.frames.findIndex((f) => f.msgid === msgid);
    await waitFor(`frame with msgid ${msgid}`, () => index() >= 0 || this.closed, this.waiters);
    const i = index();
    if (i < 0) throw new Error(`connection closed before a frame with msgid ${msgid} arrived`);
    return this.frames.splice(i, 1)[0]!;
  }

  /** Sends one frame and waits for the frame of the same msgid. */
  async request(msgid: number, body: MessageBody): Promise<string> {
    this.send(msgid, body);
    return (await this.take(msgid)).body.toString();
  }

  close(): void {
    this.socket.destroy();
  }
}
