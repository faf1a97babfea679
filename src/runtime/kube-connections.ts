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
 * One keep-alive agent per set of TLS credentials: every request to the API server reuses a
 * connection instead of paying a TLS handshake (and a new secure context). Credentials that change
 * (a rotated client certificate or CA) get a new agent; headers (tokens) are per request.
 */
export class AgentPool {
  private readonly agents = new Map<string, http.Agent>();

  agentFor(protocol: "http:" | "https:", options: AgentOptions): http.Agent {
    const key = keyOf(protocol, options);
    let agent = this.agents.get(key);
    if (!agent) {
      agent = protocol === "https:" ? new https.Agent({ ...options, keepAlive: true }) : new http.Agent({ ...options, keepAlive: true });
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
  const shared = <A>(agent: A): A | http.Agent => {
    const plain = agent instanceof https.Agent ? "https:" : agent instanceof http.Agent ? "http:" : undefined;
    if (plain === undefined || (agent as object).constructor !== (plain === "https:" ? https.Agent : http.Agent)) return agent;
    return pool.agentFor(plain, (agent as unknown as { options: AgentOptions }).options);
  };

  const applySecurityAuthentication = kubeConfig.applySecurityAuthentication.bind(kubeConfig);
  kubeConfig.applySecurityAuthentication = async (context) => {
    await applySecurityAuthentication(context);
    const agent = context.getAgent();
    if (agent) context.setAgent(shared(agent));
  };
  const applyToHTTPSOptions = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
  kubeConfig.applyToHTTPSOptions = async (opts) => {
    await applyToHTTPSOptions(opts);
    const options = opts as https.RequestOptions;
    if (options.agent) options.agent = shared(options.agent);
  };
  return kubeConfig;
}
