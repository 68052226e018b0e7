import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore, type LarsStore } from "@lars/store";

export const PASSWORD = "correct horse battery staple";
export const TOKEN = "t0ken-for-scripts-0123456789";

export async function tempStore(): Promise<{ store: LarsStore; dir: string; cleanup: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "lars-console-"));
  const store = await openStore({ type: "sqlite", path: join(dir, "lars.db") });
  return {
    store,
    dir,
    cleanup: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface FakeHost {
  ip: string;
  port: number;
  state: "idle" | "overload";
  vsucc?: number;
  verr?: number;
}

export function agentStatus(hosts: FakeHost[], modid = 1, cmdid = 1): Record<string, unknown> {
  return {
    service: "agent",
    version: "0.1.0",
    pid: 4242,
    uptimeSeconds: 12,
    stats: { getHosts: 10, reports: 5 },
    routes: [
      {
        modid,
        cmdid,
        state: "NEW",
        updatedAt: Date.now(),
        hosts: hosts.map((h) => ({ ip: h.ip, port: h.port, state: h.state, vsucc: h.vsucc ?? 0, verr: h.verr ?? 0, rsucc: 0, rerr: 0, continSucc: 0, continErr: 0, picks: 3, probes: 0 })),
      },
    ],
  };
}

/** A node:http server on 127.0.0.1:0 serving `status` as /status JSON (change it with set). */
export async function fakeStatusServer(initial: Record<string, unknown>): Promise<{ url: string; set: (s: Record<string, unknown>) => void; requests: () => number; close: () => Promise<void> }> {
  let status = initial;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (req.url === "/status") {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify(status));
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/status`,
    set: (s) => (status = s),
    requests: () => requests,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

export function form(values: Record<string, string>): { body: string; headers: Record<string, string> } {
  return { body: new URLSearchParams(values).toString(), headers: { "content-type": "application/x-www-form-urlencoded" } };
}

/** Logs in; returns the cookie header value and the page's CSRF token. */
export async function login(base: string, secret = PASSWORD): Promise<{ cookie: string; csrf: string; setCookie: string }> {
  const f = form({ secret, next: "/routes" });
  const res = await fetch(`${base}/login`, { method: "POST", body: f.body, headers: f.headers, redirect: "manual" });
  if (res.status !== 303) throw new Error(`login: HTTP ${res.status}`);
  const setCookie = res.headers.get("set-cookie") ?? "";
  const cookie = setCookie.split(";")[0]!;
  const page = await (await fetch(`${base}/routes`, { headers: { cookie } })).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
  if (csrf === undefined) throw new Error("no csrf token on /routes");
  return { cookie, csrf, setCookie };
}

export async function post(base: string, path: string, values: Record<string, string>, cookie?: string, extra: Record<string, string> = {}): Promise<Response> {
  const f = form(values);
  return fetch(`${base}${path}`, { method: "POST", body: f.body, headers: { ...f.headers, ...(cookie !== undefined ? { cookie } : {}), ...extra }, redirect: "manual" });
}

/** Reads server-sent events from a fetch response. */
export function sseReader(res: Response): { next: (pred: (e: { event: string; data: string }) => boolean) => Promise<{ event: string; data: string }>; cancel: () => Promise<void> } {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const queue: { event: string; data: string }[] = [];
  const pull = async (): Promise<boolean> => {
    const { done, value } = await reader.read();
    if (done) return false;
    buffer += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      if (data.length > 0) queue.push({ event, data: data.join("\n") });
    }
    return true;
  };
  return {
    next: async (pred) => {
      for (;;) {
        while (queue.length > 0) {
          const e = queue.shift()!;
          if (pred(e)) return e;
        }
        if (!(await pull())) throw new Error("event stream ended");
      }
    },
    cancel: () => reader.cancel(),
  };
}

/** The status URL of a port nothing listens on (bound, then closed). */
export async function closedStatusUrl(): Promise<string> {
  const server = createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((r) => server.close(() => r()));
  return `http://127.0.0.1:${port}/status`;
}
