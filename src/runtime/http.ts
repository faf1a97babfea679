import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Metrics } from "./metrics.js";

export interface HttpServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Defaults to every interface, which the kubelet's probes and Prometheus need in a pod. */
  host?: string;
  metrics: Pick<Metrics, "registry">;
  /** Whether this replica can do its work, e.g. its caches have synced. */
  ready: () => boolean;
}

export interface HttpServer {
  /** The bound port, the real one when 0 was asked for. */
  readonly port: number;
  close(): Promise<void>;
}

/** Serves `/healthz`, `/readyz` and `/metrics`. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((err: unknown) => {
      res.writeHead(500, { "content-type": "text/plain" }).end(`${String(err)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => {
          if (err) reject(err);
          else resolve();
        });
      }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, options: HttpServerOptions): Promise<void> {
  switch (new URL(req.url ?? "/", "http://localhost").pathname) {
    case "/healthz":
      // Answering at all is the proof of life: liveness must not depend on the API server or
      // AWS, or an outage there would have the kubelet restart every replica for nothing.
      text(res, 200, "ok");
      return;
    case "/readyz":
      // A standby replica that is not the leader is still ready: it is healthy and waiting for
      // the lease, and marking it unready would only block rollouts of the Deployment.
      if (options.ready()) text(res, 200, "ok");
      else text(res, 503, "not ready");
      return;
    case "/metrics": {
      const { registry } = options.metrics;
      const body = await registry.metrics();
      res.writeHead(200, { "content-type": registry.contentType }).end(body);
      return;
    }
    default:
      text(res, 404, "not found");
  }
}

function text(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" }).end(`${body}\n`);
}
