// How the operator reaches the API server: the kubeconfig's (or the pod's service account's)
// server, credentials and TLS settings, applied to the raw requests of kube-client.ts and the
// informers. client-node does the parsing (config_types.js), exec plugins (exec_auth.js) and the
// service-account token file (file_auth.js), imported by their own paths: its package root, and
// its config.js with the KubeConfig class, load every generated API class and model (about 35 MiB
// of the process's memory) for makeApiClient, which the operator never calls. What this loader
// does not handle itself (auth-provider plugins such as oidc, a proxy-url, several KUBECONFIG
// files, no kubeconfig at all) loads the full KubeConfig instead, so every kubeconfig that worked
// before still does.
import type { KubeConfig } from "@kubernetes/client-node";
import type { Authenticator } from "@kubernetes/client-node/dist/auth.js";
import { newClusters, newContexts, newUsers, type Cluster, type Context, type User } from "@kubernetes/client-node/dist/config_types.js";
import { ExecAuth } from "@kubernetes/client-node/dist/exec_auth.js";
import { FileAuth } from "@kubernetes/client-node/dist/file_auth.js";
import { accessSync, readFileSync } from "node:fs";
import type { OutgoingHttpHeaders } from "node:http";
import type { RequestOptions } from "node:https";
import { isIPv6 } from "node:net";
import { homedir } from "node:os";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { AgentPool, reuseConnections, type AgentOptions, type ConnectionUse } from "./kube-connections.js";

/** What the operator's requests need of a kubeconfig; client-node's KubeConfig has the same shape. */
export interface KubeAccess {
  /** The API server of the current context. */
  getCurrentCluster(): { readonly server: string } | null;
  /** Puts the credentials, TLS settings and the (shared, keep-alive) agent for this use into a request's options. */
  applyToHTTPSOptions(opts: RequestOptions, use?: ConnectionUse): Promise<void>;
}

export interface LoadOptions {
  /** An explicit kubeconfig file (--kubeconfig); else KUBECONFIG, ~/.kube/config, the service account. */
  file?: string;
  env?: NodeJS.ProcessEnv;
  home?: string;
  /** Where a pod's service account is mounted (tests point it elsewhere). */
  serviceAccountDir?: string;
}

export interface LoadedKubeAccess {
  access: KubeAccess;
  /** Where the configuration came from, and which loader serves it, for the start-up log. */
  source: string;
  loader: "operator" | "client-node";
}

const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

function exists(path: string): boolean {
  try {
    accessSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Finds and loads the configuration, in client-node's order (KubeConfig.loadFromDefault). */
export async function loadKubeAccess(options: LoadOptions = {}): Promise<LoadedKubeAccess> {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? SERVICE_ACCOUNT_DIR;
  let file = options.file;
  if (!file && env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(delimiter).filter(Boolean);
    // Several files are merged by client-node's rules.
    if (files.length > 1) return fullClient(`KUBECONFIG=${env.KUBECONFIG}`, "several files", (kc) => {
      kc.loadFromDefault();
    });
    file = files[0];
  }
  if (!file && process.platform !== "win32") {
    const home = options.home ?? env.HOME ?? homedir();
    if (home && exists(join(home, ".kube", "config"))) file = join(home, ".kube", "config");
  }
  if (file) {
    const path = file;
    const parsed = parseKubeconfig(readFileSync(path, "utf8"), dirname(path));
    const unsupported = unsupportedIn(parsed);
    if (unsupported) return fullClient(path, unsupported, (kc) => {
      kc.loadFromFile(path);
    });
    return { access: new KubeconfigAccess(parsed), source: path, loader: "operator" };
  }
  if (exists(join(saDir, "token"))) return { access: new KubeconfigAccess(inCluster(env, saDir)), source: "in-cluster service account", loader: "operator" };
  return fullClient("no kubeconfig", "client-node's default", (kc) => {
    kc.loadFromDefault();
  });
}

interface Parsed {
  clusters: Cluster[];
  users: User[];
  contexts: Context[];
  currentContext: string | undefined;
}

/** A kubeconfig's YAML (or JSON), with relative file paths made absolute against its directory. */
export function parseKubeconfig(text: string, directory: string): Parsed {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  const absolute = (file: string | undefined): string | undefined => (file && !isAbsolute(file) ? join(directory, file) : file);
  const currentContext = doc["current-context"];
  return {
    clusters: newClusters(doc.clusters).map((c) => ({ ...c, caFile: absolute(c.caFile) })),
    users: newUsers(doc.users).map((u) => ({ ...u, certFile: absolute(u.certFile), keyFile: absolute(u.keyFile) })),
    contexts: newContexts(doc.contexts),
    currentContext: typeof currentContext === "string" ? currentContext : undefined,
  };
}

/** The pod's service account, as client-go and client-node read it. */
function inCluster(env: NodeJS.ProcessEnv, saDir: string): Parsed {
  const host = env.KUBERNETES_SERVICE_HOST ?? "";
  const port = env.KUBERNETES_SERVICE_PORT ?? "";
  const scheme = ["80", "8080", "8001"].includes(port) ? "http" : "https";
  const server = `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${port}`;
  return {
    clusters: [{ name: "inCluster", server, caFile: join(saDir, "ca.crt"), skipTLSVerify: false }],
    // FileAuth re-reads the token (projected, rotated by the kubelet) every minute.
    users: [{ name: "inClusterUser", authProvider: { name: "tokenFile", config: { tokenFile: join(saDir, "token") } } }],
    contexts: [{ name: "inClusterContext", cluster: "inCluster", user: "inClusterUser" }],
    currentContext: "inClusterContext",
  };
}

function current(parsed: Parsed): { cluster: Cluster; user: User } | undefined {
  const context = parsed.contexts.find((c) => c.name === parsed.currentContext);
  const cluster = parsed.clusters.find((c) => c.name === context?.cluster);
  const user = parsed.users.find((u) => u.name === context?.user);
  return cluster && user ? { cluster, user } : undefined;
}

/** Why this loader cannot serve the current context (client-node's full KubeConfig will), if so. */
function unsupportedIn(parsed: Parsed): string | undefined {
  const here = current(parsed);
  if (!here) return "no current context with a cluster and a user";
  if (here.cluster.proxyUrl) return "proxy-url";
  const provider = here.user.authProvider as { name?: string; config?: { tokenFile?: string } } | undefined;
  if (provider && !provider.config?.tokenFile && !new ExecAuth().isAuthProvider(here.user)) return `auth-provider ${provider.name ?? "(unnamed)"}`;
  return undefined;
}

async function fullClient(source: string, why: string, load: (kc: KubeConfig) => void): Promise<LoadedKubeAccess> {
  const { KubeConfig } = await import("@kubernetes/client-node");
  const kc = new KubeConfig();
  load(kc);
  return { access: reuseConnections(kc), source: `${source} (${why})`, loader: "client-node" };
}

/** A file's contents, else base64 data; read on every request, as client-node does, so rotated files are picked up. */
function material(file: string | undefined, data: string | undefined): Buffer | undefined {
  if (file) return readFileSync(file);
  return data ? Buffer.from(data, "base64") : undefined;
}

/** One context of a kubeconfig, applied as client-node's KubeConfig.applyToHTTPSOptions applies it. */
class KubeconfigAccess implements KubeAccess {
  private readonly cluster: Cluster;
  private readonly user: User;
  private readonly authenticator: Authenticator | undefined;
  private readonly agents = new AgentPool();
  private readonly protocol: "http:" | "https:";

  constructor(parsed: Parsed) {
    const here = current(parsed);
    if (!here) throw new Error("the kubeconfig has no current context with a cluster and a user");
    this.cluster = here.cluster;
    this.user = here.user;
    const [fileAuth, execAuth] = [new FileAuth(), new ExecAuth()];
    this.authenticator = fileAuth.isAuthProvider(this.user) ? fileAuth : execAuth.isAuthProvider(this.user) ? execAuth : undefined;
    this.protocol = new URL(this.cluster.server).protocol === "http:" ? "http:" : "https:";
    if (this.protocol === "http:" && !this.cluster.skipTLSVerify) throw new Error("HTTP protocol is not allowed when skipTLSVerify is not set or false");
  }

  getCurrentCluster(): Cluster {
    return this.cluster;
  }

  async applyToHTTPSOptions(opts: RequestOptions, use?: ConnectionUse): Promise<void> {
    const { cluster, user } = this;
    if (cluster.skipTLSVerify) opts.rejectUnauthorized = false;
    if (cluster.tlsServerName) opts.servername = cluster.tlsServerName;
    const ca = material(cluster.caFile, cluster.caData);
    if (ca) opts.ca = ca;
    const cert = material(user.certFile, user.certData);
    if (cert) opts.cert = cert;
    const key = material(user.keyFile, user.keyData);
    if (key) opts.key = key;
    if (Array.isArray(opts.headers)) throw new Error("request headers must be an object");
    const headers: OutgoingHttpHeaders = (opts.headers as OutgoingHttpHeaders | undefined) ?? {};
    opts.headers = headers;
    if (user.impersonateUser) headers["Impersonate-User"] = user.impersonateUser;
    // An exec plugin may also hand out a client certificate and key.
    if (this.authenticator) await this.authenticator.applyAuthentication(user, opts);
    if (user.token) headers.Authorization = `Bearer ${user.token}`;
    if (user.username) opts.auth = `${user.username}:${user.password ?? ""}`;
    const agentOptions: AgentOptions = { ca: opts.ca, cert: opts.cert, key: opts.key, servername: opts.servername };
    if (opts.rejectUnauthorized !== undefined) agentOptions.rejectUnauthorized = opts.rejectUnauthorized;
    opts.agent = this.agents.agentFor(this.protocol, agentOptions, use);
  }
}
