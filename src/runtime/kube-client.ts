// A small client for the Kubernetes API on raw requests, with the kubeconfig's credentials, TLS
// settings and proxy: the informer's lists and watches, and the operator's few writes (finalizers,
// status, Events, the leader Lease). Every request has a deadline and follows the cancellation of
// the reconcile it is made in.
import type { KubeAccess } from "./kube-config.js";
import type { ConnectionUse } from "./kube-connections.js";
import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest, type RequestOptions } from "node:https";
import { currentSignal, deadline } from "./cancellation.js";
import { FIELD_MANAGER } from "./identity.js";

/** A failure the API server reported, with its Status code (409 conflict, 410 gone, 422 invalid...). */
export class KubernetesApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string | undefined,
    message: string,
    readonly retryAfterMs: number | undefined,
  ) {
    super(message);
    this.name = "KubernetesApiError";
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function apiErrorFromStatus(status: unknown, fallbackCode: number, retryAfterHeader: string | undefined): KubernetesApiError {
  const fields = isRecord(status) ? status : {};
  const code = typeof fields.code === "number" ? fields.code : fallbackCode;
  const reason = typeof fields.reason === "string" ? fields.reason : undefined;
  const message = typeof fields.message === "string" ? fields.message : `HTTP ${code}`;
  const details = isRecord(fields.details) ? fields.details : {};
  const retryAfterSeconds = typeof details.retryAfterSeconds === "number" ? details.retryAfterSeconds : Number(retryAfterHeader);
  return new KubernetesApiError(code, reason, message, Number.isFinite(retryAfterSeconds) ? retryAfterSeconds * 1000 : undefined);
}

export function apiErrorFromResponse(res: IncomingMessage, body: string): KubernetesApiError {
  let status: unknown;
  try {
    status = JSON.parse(body);
  } catch {
    status = { message: `HTTP ${res.statusCode ?? 0}: ${body.slice(0, 200)}` };
  }
  const retryAfter = res.headers["retry-after"];
  // The HTTP status wins: a proxy's error page may carry a misleading or no Status.
  return apiErrorFromStatus({ ...(isRecord(status) ? status : {}), code: res.statusCode }, 500, retryAfter);
}

/** Sends one request with the kubeconfig's credentials and TLS settings (and proxy, through its agent). */
export async function sendRequest(kubeConfig: KubeAccess, url: URL, init: { method: string; signal: AbortSignal; body?: string; contentType?: string; use?: ConnectionUse }): Promise<IncomingMessage> {
  // A body goes with its length: sent chunked, a DELETE's body left the keep-alive connection in a
  // state the API server answered the next request on with "400 Bad Request".
  const length = init.body === undefined ? {} : { "Content-Length": String(Buffer.byteLength(init.body)) };
  const options: RequestOptions = { headers: { Accept: "application/json", ...(init.contentType ? { "Content-Type": init.contentType } : {}), ...length } };
  await kubeConfig.applyToHTTPSOptions(options, init.use);
  const aborted = (): Error => (init.signal.reason instanceof Error ? init.signal.reason : new Error("request aborted"));
  // Node's http client fails an aborted request that waits in its agent's queue only once a
  // connection frees up: one aborted already is not sent, and one waiting fails at its deadline
  // (Node drops it from the queue later).
  if (init.signal.aborted) throw aborted();
  const send = url.protocol === "http:" ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(url, { ...options, method: init.method, signal: init.signal }, resolve).on("error", reject);
    const abandonWhileWaiting = (): void => {
      if (!req.socket) reject(aborted());
    };
    init.signal.addEventListener("abort", abandonWhileWaiting, { once: true });
    req.once("socket", () => {
      init.signal.removeEventListener("abort", abandonWhileWaiting);
    });
    req.end(init.body);
  });
}

export type PatchType = "application/json-patch+json" | "application/merge-patch+json";

export interface KubeRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** The API path, e.g. /apis/coordination.k8s.io/v1/namespaces/ns/leases/name. */
  path: string;
  body?: unknown;
  /** For PATCH; JSON otherwise. */
  patchType?: PatchType;
  /** Overrides the client's deadline. */
  timeoutMs?: number;
}

/** JSON requests with a deadline each; writes are signed with the operator's field manager. */
export interface KubeClient {
  request<T>(req: KubeRequest): Promise<T>;
}

/** `use` picks the connections (kube-connections.ts): reconciles' writes by default. */
export function kubeClient(kubeConfig: KubeAccess, options: { timeoutMs?: number; use?: ConnectionUse } = {}): KubeClient {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const use = options.use ?? "reconcile";
  return {
    async request<T>(req: KubeRequest): Promise<T> {
      const server = kubeConfig.getCurrentCluster()?.server;
      if (!server) throw new Error("the kubeconfig has no current cluster");
      const url = new URL(server.replace(/\/+$/, "") + req.path);
      if (req.method !== "GET" && req.method !== "DELETE") url.searchParams.set("fieldManager", FIELD_MANAGER);
      // Bounded, and abandoned with the reconcile it belongs to (shutdown, lost lease).
      const { signal, dispose } = deadline(currentSignal(), req.timeoutMs ?? timeoutMs);
      try {
        const res = await sendRequest(kubeConfig, url, {
          method: req.method,
          signal,
          use,
          ...(req.body !== undefined ? { body: JSON.stringify(req.body), contentType: req.method === "PATCH" ? (req.patchType ?? "application/merge-patch+json") : "application/json" } : {}),
        });
        res.setEncoding("utf8");
        let body = "";
        for await (const chunk of res as AsyncIterable<string>) body += chunk;
        if ((res.statusCode ?? 0) >= 300) throw apiErrorFromResponse(res, body);
        return (body === "" ? undefined : JSON.parse(body)) as T;
      } finally {
        dispose();
      }
    },
  };
}

export function hasStatusCode(err: unknown, ...codes: number[]): boolean {
  return err instanceof KubernetesApiError && codes.includes(err.code);
}
