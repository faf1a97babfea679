import { KubeConfig } from "@kubernetes/client-node";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadKubeAccess, type KubeAccess } from "../../src/runtime/kube-config.js";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

function kubeconfig(cluster: Record<string, unknown>, user: Record<string, unknown>): Record<string, unknown> {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "other", cluster: { server: "https://elsewhere:443" } }, { name: "c", cluster }],
    users: [{ name: "u", user }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  };
}

/** Writes the kubeconfig (and any extra files) into a fresh directory; returns the kubeconfig's path. */
function writeConfig(config: Record<string, unknown>, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), "kube-config-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const path = join(dir, "config");
  writeFileSync(path, stringify(config));
  return path;
}

async function applied(access: KubeAccess): Promise<RequestOptions> {
  const opts: RequestOptions = { headers: { Accept: "application/json" } };
  await access.applyToHTTPSOptions(opts);
  return opts;
}

/** What a request is sent with, comparable between loaders (the agents differ by design). */
function essentials(opts: RequestOptions): Record<string, unknown> {
  const text = (v: unknown): unknown => (Buffer.isBuffer(v) ? v.toString() : v);
  return { headers: opts.headers, ca: text(opts.ca), cert: text(opts.cert), key: text(opts.key), rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername, auth: opts.auth };
}

async function clientNode(path: string): Promise<RequestOptions> {
  const kc = new KubeConfig();
  kc.loadFromFile(path);
  const opts: RequestOptions = { headers: { Accept: "application/json" } };
  await kc.applyToHTTPSOptions(opts);
  return opts;
}

describe("loadKubeAccess", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, Record<string, string>][] = [
    ["a token and inline CA", { server: "https://10.0.0.1:6443/", "certificate-authority-data": b64("CA") }, { token: "secret" }, {}],
    ["a client certificate from files relative to the kubeconfig", { server: "https://k:6443", "certificate-authority": "ca.pem" }, { "client-certificate": "crt.pem", "client-key": "key.pem" }, { "ca.pem": "CA-FILE", "crt.pem": "CERT", "key.pem": "KEY" }],
    ["skip-verify, a TLS server name, basic auth and impersonation", { server: "https://k:6443", "insecure-skip-tls-verify": true, "tls-server-name": "api.internal" }, { username: "admin", password: "pw", as: "someone" }, {}],
    ["an exec credential plugin", { server: "https://k:6443" }, { exec: { apiVersion: "client.authentication.k8s.io/v1", command: process.execPath, args: ["-e", `process.stdout.write(JSON.stringify({ apiVersion: "client.authentication.k8s.io/v1", kind: "ExecCredential", status: { token: "from-plugin", expirationTimestamp: "2999-01-01T00:00:00Z" } }))`] } }, {}],
  ];

  for (const [what, cluster, user, files] of cases) {
    it(`applies ${what} as client-node's KubeConfig does, without loading it`, async () => {
      const path = writeConfig(kubeconfig(cluster, user), files);
      const loaded = await loadKubeAccess({ file: path });
      expect(loaded.loader).toBe("operator");
      expect(loaded.access.getCurrentCluster()?.server).toBe(String(cluster.server).replace(/\/$/, ""));
      expect(essentials(await applied(loaded.access))).toEqual(essentials(await clientNode(path)));
    });
  }

  it("hands out one keep-alive agent for the same credentials", async () => {
    const { access } = await loadKubeAccess({ file: writeConfig(kubeconfig({ server: "https://k:6443", "certificate-authority-data": b64("CA") }, { token: "t" })) });
    const [first, second] = [await applied(access), await applied(access)];
    expect(first.agent).toBeInstanceOf(https.Agent);
    expect(second.agent).toBe(first.agent);
    expect((first.agent as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
  });

  it("refuses plain HTTP unless TLS verification is skipped, as client-node does", async () => {
    await expect(loadKubeAccess({ file: writeConfig(kubeconfig({ server: "http://k:8080" }, { token: "t" })) })).rejects.toThrow(/HTTP protocol is not allowed/);
    const { access } = await loadKubeAccess({ file: writeConfig(kubeconfig({ server: "http://k:8080", "insecure-skip-tls-verify": true }, { token: "t" })) });
    expect((await applied(access)).agent).not.toBeInstanceOf(https.Agent);
  });

  it("reads a pod's service account: server from the environment, token and CA from files", async () => {
    const dir = mkdtempSync(join(tmpdir(), "sa-"));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "token"), "sa-token");
    writeFileSync(join(dir, "ca.crt"), "SA-CA");
    const loaded = await loadKubeAccess({ env: { KUBERNETES_SERVICE_HOST: "fd00::1", KUBERNETES_SERVICE_PORT: "443" }, home: join(dir, "no-home"), serviceAccountDir: dir });
    expect(loaded).toMatchObject({ loader: "operator", source: "in-cluster service account" });
    expect(loaded.access.getCurrentCluster()?.server).toBe("https://[fd00::1]:443");
    const opts = await applied(loaded.access);
    expect(essentials(opts)).toMatchObject({ headers: { Authorization: "Bearer sa-token" }, ca: "SA-CA" });
  });

  it("takes KUBECONFIG, then ~/.kube/config, before the service account", async () => {
    const fromEnv = writeConfig(kubeconfig({ server: "https://from-env:6443" }, { token: "t" }));
    const home = mkdtempSync(join(tmpdir(), "home-"));
    mkdirSync(join(home, ".kube"));
    writeFileSync(join(home, ".kube", "config"), stringify(kubeconfig({ server: "https://from-home:6443" }, { token: "t" })));
    const sa = mkdtempSync(join(tmpdir(), "sa-"));
    writeFileSync(join(sa, "token"), "sa-token");
    const server = async (env: NodeJS.ProcessEnv): Promise<string | undefined> => (await loadKubeAccess({ env, home, serviceAccountDir: sa })).access.getCurrentCluster()?.server;
    expect(await server({ KUBECONFIG: fromEnv })).toBe("https://from-env:6443");
    expect(await server({})).toBe("https://from-home:6443");
  });

  it("hands what it does not handle itself (auth-provider plugins, a proxy) to client-node's full KubeConfig", async () => {
    const oidc = await loadKubeAccess({ file: writeConfig(kubeconfig({ server: "https://k:6443" }, { "auth-provider": { name: "oidc", config: { "id-token": "x", "client-id": "y" } } })) });
    expect(oidc.loader).toBe("client-node");
    expect(oidc.source).toMatch(/auth-provider oidc/);
    const proxied = await loadKubeAccess({ file: writeConfig(kubeconfig({ server: "https://k:6443", "proxy-url": "http://proxy:3128" }, { token: "t" })) });
    expect(proxied.loader).toBe("client-node");
    expect(proxied.access.getCurrentCluster()?.server).toBe("https://k:6443");
    expect((await applied(proxied.access)).headers).toMatchObject({ Authorization: "Bearer t" });
  });
});
