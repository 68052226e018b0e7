import { EventLoop } from "@lars/event-loop";
import { TcpClient } from "@lars/tcp-client";
import { MsgId, getRouteRequestCodec, getRouteResponseCodec, type GetRouteResponse } from "@lars/proto";

/** A test agent: one TcpClient collecting every GetRouteResponse; waits on arrivals, never sleeps. */
export class Agent {
  readonly loop = new EventLoop();
  readonly client: TcpClient;
  readonly received: GetRouteResponse[] = [];
  #waiters: Array<() => void> = [];
  readonly connected: Promise<void>;
  /** Resolves when the connection closed (the agent never reconnects). */
  readonly disconnected: Promise<void>;
  isConnected = false;

  constructor(port: number) {
    let ready!: () => void;
    let gone!: () => void;
    this.connected = new Promise((r) => (ready = r));
    this.disconnected = new Promise((r) => (gone = r));
    this.client = new TcpClient(this.loop, {
      host: "127.0.0.1",
      port,
      reconnect: false,
      onConnStart: () => {
        this.isConnected = true;
        ready();
      },
      onConnClose: () => {
        this.isConnected = false;
        gone();
      },
    });
    this.client.addMsgRouter(MsgId.GetRouteResponse, (body) => {
      this.received.push(getRouteResponseCodec.decode(body));
      for (const w of this.#waiters.splice(0)) w();
    });
  }

  query(modid: number, cmdid: number): void {
    this.client.sendMessage(getRouteRequestCodec.encode({ modid, cmdid }), MsgId.GetRouteRequest);
  }

  /** Resolves with the first received response (from index `from`) that matches. */
  async next(match: (r: GetRouteResponse) => boolean, from = 0, timeoutMs = 5000): Promise<GetRouteResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.received.slice(from).find(match);
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no matching response in ${timeoutMs} ms; got ${JSON.stringify(this.received)}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async close(): Promise<void> {
    await this.loop.stop();
  }
}

/** Polls `cond` on every macrotask until true (bounded). */
export async function until(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 5));
  }
}
