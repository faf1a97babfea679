import type { KubeConfig } from "@kubernetes/client-node";
import { createHash } from "node:crypto";
import http from "node:http";
import https from "node:https";

type AgentOptions = https.AgentOptions & { ca?: unknown; cert?: unknown; key?: unknown; pfx?: unknown };

/** The TLS material and checks an agent's connections are made with. */
function keyOf(protocol: string, options: AgentOptions): string {
  const hash = createHash("sha256").update(protocol);
  for (const value of [options.ca, options.cert, options.key, options.pfx, options.passphrase, options.servername, options.rejectUnauthorized]) {
    hash.update("\0").update(value === undefined ? "" : Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }
  return hash.digest("hex");
}

/**
 * client-node 1.x builds a new agent for every request, so every request to the API server opens a
 * connection and pays a TLS handshake (and a new secure context): at a thousand objects, the
 * operator's biggest CPU cost. This makes the kubeconfig hand out one keep-alive agent per set of
 * TLS credentials instead. Credentials that change (a rotated client certificate) get a new agent;
 * headers (tokens) are applied per request as before. Proxy agents are left alone.
 */
export function reuseConnections(kubeConfig: KubeConfig): KubeConfig {
  const agents = new Map<string, http.Agent>();
  const shared = <A>(agent: A): A | http.Agent => {
    const plain = agent instanceof https.Agent ? "https" : agent instanceof http.Agent ? "http" : undefined;
    if (plain === undefined || (agent as object).constructor !== (plain === "https" ? https.Agent : http.Agent)) return agent;
    const options = (agent as unknown as { options: AgentOptions }).options;
    const key = keyOf(plain, options);
    let reused = agents.get(key);
    if (!reused) {
      reused = plain === "https" ? new https.Agent({ ...options, keepAlive: true }) : new http.Agent({ ...options, keepAlive: true });
      agents.set(key, reused);
    }
    return reused;
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
