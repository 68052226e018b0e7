import type { Socket } from "node:net";
import type { EventEmitter } from "node:events";
import cluster from "node:cluster";
import { describe, expect, it, vi } from "vitest";
import { EventLoop } from "@lars/event-loop";
import { TcpServer } from "../src/index.js";
import { RawClient } from "./helpers/raw-client.js";

// Issue 10, defect 3: the primary's connection count (what `maxConn` is enforced with) when a
// worker exits. Two orders of events decide it, and real processes cannot be made to produce
// them on demand: a "closed" message from a worker that the primary reads after that worker's
// exit, and a hand-off whose callback comes (with an error) after the exit. So node:cluster is
// replaced by a fake whose workers the test drives message by message; the primary, its
// listener and the peers' sockets are real. The same shape with real processes (a worker that
// dies with hand-offs queued) is in workers-handoff.test.ts.

interface FakeCluster extends EventEmitter {
  isPrimary: boolean;
  forked: FakeWorker[];
  fork(): FakeWorker;
}

interface FakeWorker extends EventEmitter {
  readonly id: number;
  readonly process: { pid: number; kill(signal?: string): void };
  /** "accept": a handed-over socket is taken at once; "queue": its hand-off never completes. */
  mode: "accept" | "queue";
  /**
   * Sockets this worker holds. The fake cannot pass an fd, so the primary's copy stands in for
   * the worker's: its hand-off completes (and the primary lets go of its copy) when the fake
   * worker closes it.
   */
  readonly held: { socket: Socket; cb: (err: Error | null) => void }[];
  /** Hand-offs not completed, with their callbacks. */
  readonly queued: { socket: Socket; cb: (err: Error | null) => void }[];
  send(msg: { lars: string }, handle?: unknown, options?: unknown, cb?: (err: Error | null) => void): boolean;
  isDead(): boolean;
  isConnected(): boolean;
  exit(code: number | null, signal: string | null): void;
}

vi.mock("node:cluster", async () => {
  const { EventEmitter } = await import("node:events");
  const fake = new EventEmitter() as FakeCluster;
  fake.isPrimary = true;
  fake.forked = [];
  let nextId = 1;
  fake.fork = () => {
    const id = nextId++;
    let dead = false;
    const worker = new EventEmitter() as FakeWorker;
    Object.assign(worker, {
      id,
      process: { pid: 900_000 + id, kill: (signal = "SIGTERM") => worker.exit(null, signal) },
      mode: "accept",
      held: [],
      queued: [],
      send(msg: { lars: string }, ...rest: unknown[]): boolean {
        // worker.send(message[, sendHandle[, options]][, callback])
        const cb = (typeof rest.at(-1) === "function" ? rest.at(-1) : undefined) as ((err: Error | null) => void) | undefined;
        if (msg.lars === "conn") {
          const entry = { socket: rest[0] as Socket, cb: cb ?? (() => {}) };
          if (worker.mode === "queue") worker.queued.push(entry);
          else worker.held.push(entry);
          worker.emit("handed", entry.socket);
        } else {
          cb?.(null);
          if (msg.lars === "shutdown") setImmediate(() => worker.exit(0, null));
        }
        return true;
      },
      isDead: () => dead,
      isConnected: () => !dead,
      exit(code: number | null, signal: string | null) {
        if (dead) return;
        dead = true;
        for (const h of worker.held) h.socket.destroy();
        worker.emit("exit", code, signal);
        fake.emit("exit", worker, code, signal);
      },
    });
    fake.forked.push(worker);
    setImmediate(() => fake.emit("fork", worker));
    return worker;
  };
  return { default: fake };
});

const fakeCluster = cluster as unknown as FakeCluster;

function nextFork(): Promise<FakeWorker> {
  return new Promise((resolve) => fakeCluster.once("fork", resolve));
}

/** The worker was handed `n` sockets in all (held or queued). */
function handed(worker: FakeWorker, n: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (worker.held.length + worker.queued.length < n) return;
      worker.off("handed", check);
      resolve();
    };
    worker.on("handed", check);
    check();
  });
}

describe("issue 10 defect 3: the primary counts each connection back once when a worker exits", () => {
  it("a late \"closed\" message or a late hand-off error after a worker's exit never frees a maxConn slot twice; queued hand-offs are closed; close() finishes", async () => {
    const loop = new EventLoop({ monitorDelay: false });
    const errors: string[] = [];
    const server = new TcpServer(loop, { host: "127.0.0.1", port: 0, workers: 1, maxConn: 2, onError: (err) => void errors.push(err.code) });
    const clients: RawClient[] = [];
    try {
      const firstFork = nextFork();
      const listening = server.listen();
      const w1 = await firstFork;
      w1.emit("message", { lars: "ready" });
      const { port } = await listening;

      // A connection on w1; w1 closes it and dies, and its "closed" message is read after its exit.
      const a = await RawClient.connect(port);
      clients.push(a);
      await handed(w1, 1);
      expect(server.stats().current).toBe(1);
      const replacement = nextFork();
      w1.exit(1, null);
      await a.waitClose();
      w1.emit("message", { lars: "closed" });
      expect(server.stats().current).toBe(0);
      const w2 = await replacement;
      w2.emit("message", { lars: "ready" });

      // maxConn 2 still holds: two are served, the third is refused (a freed-twice slot would admit it).
      const b = await RawClient.connect(port);
      const c = await RawClient.connect(port);
      clients.push(b, c);
      await handed(w2, 2);
      const d = await RawClient.connect(port);
      clients.push(d);
      await d.waitClose();
      expect(server.stats()).toMatchObject({ current: 2, refused: 1 });

      // w2 closes both; then hand-offs to it stay queued (it stopped reading) and it is killed.
      for (const h of w2.held.splice(0)) {
        h.socket.destroy();
        h.cb(null);
        w2.emit("message", { lars: "closed" });
      }
      await b.waitClose();
      await c.waitClose();
      expect(server.stats().current).toBe(0);
      w2.mode = "queue";
      const e = await RawClient.connect(port);
      const f = await RawClient.connect(port);
      clients.push(e, f);
      await handed(w2, 2);
      expect(server.stats().current).toBe(2);
      const third = nextFork();
      w2.exit(null, "SIGKILL");
      // The queued peers are closed with it, not left connected and uncounted.
      await e.waitClose();
      await f.waitClose();
      expect(server.stats().current).toBe(0);
      // Node may still call the queued sends back with an error: nothing is counted back again.
      for (const q of w2.queued) q.cb(new Error("channel closed"));
      expect(server.stats().current).toBe(0);
      const w3 = await third;
      w3.emit("message", { lars: "ready" });
      const g = await RawClient.connect(port);
      const h = await RawClient.connect(port);
      clients.push(g, h);
      await handed(w3, 2);
      const i = await RawClient.connect(port);
      clients.push(i);
      await i.waitClose();
      expect(server.stats()).toMatchObject({ current: 2, refused: 2 });

      // close() finishes: the workers are told to stop and exit.
      await server.close();
      expect(fakeCluster.forked.every((w) => w.isDead())).toBe(true);
      expect(errors).not.toContain("LARS_SERVER_STATE");
    } finally {
      for (const cl of clients) await cl.destroy();
      await loop.stop();
    }
  });
});
