import { CustomObjectsApi, HttpMethod, KubeConfig, RequestContext } from "@kubernetes/client-node";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reuseConnections } from "../../src/runtime/kube-connections.js";

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
