import { CustomObjectsApi, HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kubeClient, sendRequest } from "../../src/runtime/kube-client.js";
import { loadKubeAccess, type KubeAccess } from "../../src/runtime/kube-config.js";
import { RECONCILE_CONNECTIONS, reuseConnections } from "../../src/runtime/kube-connections.js";

/** A kubeconfig file for a plain-HTTP test server (the operator's own loader, not client-node). */
function writeKubeconfig(server: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "kube-connections-")), "config");
  const config = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server, "insecure-skip-tls-verify": true } }],
    users: [{ name: "u", user: { token: "t" } }],
    contexts: [{ name: "x", context: { cluster: "c", user: "u" } }],
    "current-context": "x",
  };
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function kubeConfig(server: string, extra: { skipTLSVerify?: boolean; caData?: string; certData?: string } = {}): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: "c", server, skipTLSVerify: extra.skipTLSVerify ?? false, ...(extra.caData ? { caData: extra.caData } : {}) }],
    users: [{ name: "u", token: "t", ...(extra.certData ? { certData: extra.certData } : {}) }],
    contexts: [{ name: "x", cluster: "c", user: "u" }],
    currentContext: "x",
  });
  return kc;
}

const ca = (text: string): string => Buffer.from(text).toString("base64");

describe("reuseConnections", () => {
  it("hands out one keep-alive agent for requests made with the same TLS credentials", async () => {
    const kc = reuseConnections(kubeConfig("https://127.0.0.1:6443", { caData: ca("ca-1") }));
    const agents = await Promise.all(
      [1, 2].map(async () => {
        const ctx = new RequestContext("https://127.0.0.1:6443/api", HttpMethod.GET);
        await kc.applySecurityAuthentication(ctx);
        return ctx.getAgent();
      }),
    );
    const options: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(options);
    expect(agents[0]).toBeInstanceOf(https.Agent);
    expect(agents[1]).toBe(agents[0]);
    expect(options.agent).toBe(agents[0]);
    expect((agents[0] as unknown as { keepAlive: boolean }).keepAlive).toBe(true);
  });

  it("makes a new agent when the credentials change (a rotated client certificate)", async () => {
    const kc = reuseConnections(kubeConfig("https://127.0.0.1:6443", { caData: ca("ca-1"), certData: ca("cert-1") }));
    const first: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(first);
    const user = kc.getCurrentUser() as { certData?: string };
    user.certData = ca("cert-2");
    const second: https.RequestOptions = {};
    await kc.applyToHTTPSOptions(second);
    expect(second.agent).toBeInstanceOf(https.Agent);
    expect(second.agent).not.toBe(first.agent);
  });

  describe("against a server", () => {
    let server: http.Server;
    let connections = 0;
    let url: string;

    beforeAll(async () => {
      server = http.createServer((_req, res) => {
        res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ apiVersion: "v1", kind: "List", items: [] }));
      });
      server.on("connection", () => {
        connections += 1;
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    });

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    });

    it("sends a series of API calls over one connection instead of one each", async () => {
      const api = reuseConnections(kubeConfig(url, { skipTLSVerify: true })).makeApiClient(CustomObjectsApi);
      connections = 0;
      for (let i = 0; i < 5; i++) await api.listClusterCustomObject({ group: "ecs.operator.dev", version: "v1alpha1", plural: "ecsclusters" });
      expect(connections).toBe(1);

      const plain = kubeConfig(url, { skipTLSVerify: true }).makeApiClient(CustomObjectsApi);
      connections = 0;
      for (let i = 0; i < 5; i++) await plain.listClusterCustomObject({ group: "ecs.operator.dev", version: "v1alpha1", plural: "ecsclusters" });
      // What client-node does by itself: a connection per call.
      expect(connections).toBe(5);
    });
  });
});

describe("connections by use", () => {
  let server: http.Server;
  let url: string;
  let open = 0;
  let peakOpen = 0;
  let held: http.ServerResponse[] = [];
  let holding = true;
  const releaseHeld = (): void => {
    holding = false;
    for (const res of held) res.end("{}");
    held = [];
  };

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      // "/hold" sends its headers and finishes only when the test says so: a watch, or a slow API server.
      if (req.url?.startsWith("/hold") && holding) {
        res.flushHeaders();
        held.push(res);
      } else setTimeout(() => res.end("{}"), 5);
    });
    server.on("connection", (socket) => {
      open += 1;
      peakOpen = Math.max(peakOpen, open);
      socket.on("close", () => (open -= 1));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
  });

  afterAll(async () => {
    releaseHeld();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  const access = async (): Promise<KubeAccess> =>
    loadKubeAccess({ file: writeKubeconfig(url), env: {} }).then((loaded) => loaded.access);

  it("reconciles' writes share RECONCILE_CONNECTIONS however many run at once, and reuse them", async () => {
    const kube = kubeClient(await access());
    peakOpen = 0;
    await Promise.all(Array.from({ length: 100 }, (_, i) => kube.request({ method: "PATCH", path: `/apis/x/${String(i)}`, body: {} })));
    expect(peakOpen).toBe(RECONCILE_CONNECTIONS);
    // Kept for the next burst, not opened again.
    const before = open;
    await Promise.all(Array.from({ length: 20 }, (_, i) => kube.request({ method: "PATCH", path: `/apis/y/${String(i)}`, body: {} })));
    expect(open).toBe(before);
  });

  it("watches and the Lease do not wait behind reconciles' writes, nor these behind watches", async () => {
    server.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 50));
    peakOpen = 0;
    const kubeAccess = await access();
    const writes = kubeClient(kubeAccess);
    const lease = kubeClient(kubeAccess, { use: "control" });
    // Every reconcile connection busy with a request the server does not answer yet, and more queued...
    const stuck = Array.from({ length: RECONCILE_CONNECTIONS + 4 }, (_, i) => writes.request({ method: "PATCH", path: `/hold/${String(i)}`, body: {} }));
    // ...and more watches than that held open on control connections.
    const watches = await Promise.all(
      Array.from({ length: RECONCILE_CONNECTIONS + 4 }, () => sendRequest(kubeAccess, new URL(`${url}/hold/watch`), { method: "GET", signal: new AbortController().signal, use: "control" })),
    );
    expect(watches).toHaveLength(RECONCILE_CONNECTIONS + 4);
    // A Lease renewal still goes through at once.
    await expect(lease.request({ method: "PUT", path: "/apis/coordination.k8s.io/v1/namespaces/n/leases/l", body: {} })).resolves.toEqual({});
    // A write waiting for a connection gives up at its own deadline, not when a connection frees up.
    const waiting = writes.request({ method: "PATCH", path: "/apis/z", body: {}, timeoutMs: 100 });
    await expect(waiting).rejects.toThrow();
    // Nor does one whose reconcile was cancelled before it was sent.
    const cancelled = sendRequest(kubeAccess, new URL(`${url}/apis/w`), { method: "PATCH", signal: AbortSignal.abort(new Error("cancelled")), use: "reconcile" });
    await expect(cancelled).rejects.toThrow("cancelled");
    releaseHeld();
    await Promise.all(stuck);
    for (const res of watches) res.resume();
    expect(peakOpen).toBe(RECONCILE_CONNECTIONS + RECONCILE_CONNECTIONS + 4 + 1);
  });
});
