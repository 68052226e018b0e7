import { spawn } from "node:child_process";
import type { ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

export type FixtureEvent = Record<string, unknown> & { event: string };

/**
 * A multi-worker fixture (test/fixtures/NAME.mjs) as a child process: its
 * primary prints one JSON event per stdout line and reads commands, one per
 * stdin line. Waits resolve on events and fail after 15 s saying what was missing.
 */
export class FixtureProcess {
  readonly child: ChildProcessWithoutNullStreams;
  private readonly events: FixtureEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly exited: Promise<number | null>;

  constructor(name: string, env: Record<string, string> = {}) {
    const script = fileURLToPath(new URL(`../fixtures/${name}.mjs`, import.meta.url));
    this.child = spawn(process.execPath, [script], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    createInterface({ input: this.child.stdout }).on("line", (line) => {
      try {
        this.events.push(JSON.parse(line) as FixtureEvent);
      } catch {
        return;
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** The first event named `name` (after `from` seen events) that `match` accepts, waiting at most 15 s. */
  async next(name: string, from = 0, match: (e: FixtureEvent) => boolean = () => true): Promise<FixtureEvent> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const found = this.events.slice(from).find((e) => e.event === name && match(e));
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`no matching "${name}" event from the fixture within 15 s`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 1000);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** How many events were seen so far (a `from` for {@link next}). */
  get seen(): number {
    return this.events.length;
  }

  command(cmd: string): void {
    this.child.stdin.write(`${cmd}\n`);
  }

  /** SIGKILL it if it is still running (for afterEach). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}
