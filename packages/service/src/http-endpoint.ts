import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Registry } from "prom-client";

/** Options of {@link startHttpEndpoint}. */
export interface HttpEndpointOptions {
  /** Address to listen on; default 127.0.0.1 (metrics and status are not public). */
  readonly host?: string;
  /** TCP port; 0 lets the OS choose. */
  readonly port: number;
  /** Served as `/metrics` in the Prometheus text format. */
  readonly registry: Registry;
  /** Served as `/status` (JSON); may be async. */
  readonly status?: () => unknown;
}

/** A running {@link startHttpEndpoint}. */
export interface HttpEndpoint {
  readonly host: string;
  readonly port: number;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * The small HTTP side of a Lars service: `/metrics` (prom-client),
 * `/status` (JSON) and `/healthz` (`ok`). Anything else is 404; only GET
 * and HEAD are answered.
 */
export async function startHttpEndpoint(options: HttpEndpointOptions): Promise<HttpEndpoint> {
  const host = options.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    void answer(options, req, res);
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once("error", reject);
    server.listen(options.port, host, () => {
      server.off("error", reject);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    host,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

async function answer(options: HttpEndpointOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain", "method not allowed\n");
    const path = (req.url ?? "/").split("?")[0];
    if (path === "/metrics") return send(res, 200, options.registry.contentType, await options.registry.metrics());
    if (path === "/status" && options.status) return send(res, 200, "application/json", JSON.stringify(await options.status()));
    if (path === "/healthz") return send(res, 200, "text/plain", "ok\n");
    return send(res, 404, "text/plain", "not found\n");
  } catch (err) {
    send(res, 500, "text/plain", `error: ${err instanceof Error ? err.message : String(err)}\n`);
  }
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { "content-type": type, "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
}
