import type { KubeConfig } from "@kubernetes/client-node";
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";

/** The TLS material and checks an agent's connections are made with. */
export type AgentOptions = https.AgentOptions & { ca?: unknown; cert?: unknown; key?: unknown; pfx?: unknown };

function keyOf(protocol: string, options: AgentOptions): string {
  const hash = createHash("sha256").update(protocol);
  for (const value of [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, options.rejectUnauthorized]) {
    hash.update("\0").update(value === undefined ? "" : Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }
  return hash.digest("hex");
}

/**
 * What a request to the API server is for, which decides the connections it may use:
 * - `control`: the informers' lists and watches and the leader Lease. A watch holds its connection
 *   for minutes, and neither a watch nor a Lease renewal may wait behind other requests, so these
 *   get a connection each, as many as they need (one per watch, a handful in all).
 * - `reconcile`: the short writes reconciles make (status, finalizers, Events). Hundreds of
 *   reconciles can write at once in a large converge; on HTTP/1.1 each concurrent request is a TLS
 *   connection, and a keep-alive agent keeps every connection it ever opened. Unbounded, that was
 *   189 connections in the bench's four-account converge, each with its TLS state and buffers
 *   (about 9 MiB of the operator's memory), and as many concurrent requests against the API
 *   server's in-flight limit. They share RECONCILE_CONNECTIONS instead; a request waits for a free
 *   one within its own deadline.
 */
export type ConnectionUse = "control" | "reconcile";

/**
 * Connections to the API server for reconciles' writes. A status patch takes milliseconds, so
 * this many serve hundreds of writes a second.
 */
export const RECONCILE_CONNECTIONS = 16;

function newAgent(protocol: "http:" | "https:", options: AgentOptions, use: ConnectionUse): http.Agent {
  const limits = use === "reconcile" ? { maxSockets: RECONCILE_CONNECTIONS, maxFreeSockets: RECONCILE_CONNECTIONS } : {};
  const settings = { ...options, keepAlive: true, ...limits };
  return protocol === "https:" ? new https.Agent(settings) : new http.Agent(settings);
}

/**
 * Keep-alive agents per set of TLS credentials and per use: every request to the API server reuses
 * a connection instead of paying a TLS handshake (and a new secure context). Credentials that
 * change (a rotated client certificate or CA) get new agents; headers (tokens) are per request.
 */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  agentFor(protocol: "http:" | "https:", options: AgentOptions, use: ConnectionUse = "control"): http.Agent {
    const key = `${use}:${keyOf(protocol, options)}`;
    let agent = this.agents.get(key);
    if (!agent) {
      agent = newAgent(protocol, options, use);
      this.agents.set(key, agent);
    }
    return agent;
  }
}

/**
 * client-node 1.x builds a new agent for every request, so every request to the API server opens a
 * connection and pays a TLS handshake (and a new secure context): at a thousand objects, the
 * operator's biggest CPU cost. This makes a client-node KubeConfig hand out the pool's agents
 * instead. Proxy agents are left alone. (The operator's own loader, kube-config.ts, uses the pool
 * directly; this serves the full client where it is loaded: tests, the bench, exotic kubeconfigs.)
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const pool = new AgentPool();
  const shared = <A>(agent: A, use?: ConnectionUse): A | http.Agent => {
    const plain = agent instanceof https.Agent ? "https:" : agent instanceof http.Agent ? "http:" : undefined;
    if (plain === undefined || (agent as object).constructor !== (plain === "https:" ? https.Agent : http.Agent)) return agent;
    return pool.agentFor(plain, (agent as unknown as { options: AgentOptions }).options, use);
  };

  const applySecurityAuthentication = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applySecurityAuthentication = async (context) => {
    await applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(shared(agent));
  };
  const applyToHTTPSOptions = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
  // The operator's requests say what they are for (a second argument client-node does not know).
  (kubeConfig as { applyToHTTPSOptions(opts: https.RequestOptions, use?: ConnectionUse): Promise<void> }).applyToHTTPSOptions = async (opts, use) => {
    await applyToHTTPSOptions(opts);
    if (opts.agent) opts.agent = shared(opts.agent, use);
  };
  return kubeConfig;
}
