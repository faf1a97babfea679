// Every AWS call and Kubernetes request has a deadline, and follows the cancellation of the
// reconcile it is made in (a lost lease, a shutdown). Real HTTP servers that never answer stand in
// for a half-open connection; the real SDK client and the operator's own Kubernetes client talk to them.
import { ListClustersCommand } from "@aws-sdk/client-ecs";
import { KubeConfig } from "@kubernetes/client-node";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAwsClients } from "../../src/aws/clients.js";
import { CancelledError, runCancellable, unlessCancelled } from "../../src/runtime/cancellation.js";
import { kubeClient } from "../../src/runtime/kube-client.js";

let server: Server;
let url: string;
let requests = 0;

beforeAll(async () => {
  // Takes every request and never answers it.
  server = createServer(() => {
    requests++;
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function kubeConfig(): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: "c", server: url, skipTLSVerify: true }], users: [{ name: "u", token: "t" }], contexts: [{ name: "x", cluster: "c", user: "u" }], currentContext: "x" });
  return kc;
}

const elapsed = async (work: Promise<unknown>): Promise<{ ms: number; error: unknown }> => {
  const started = performance.now();
  const error = await work.then(() => undefined, (err: unknown) => err);
  return { ms: performance.now() - started, error };
};

describe("deadlines and cancellation", () => {
  it("a Kubernetes request that gets no answer fails at its deadline", async () => {
    const before = requests;
    const { error } = await elapsed(kubeClient(kubeConfig(), { timeoutMs: 300 }).request({ method: "PATCH", path: "/apis/g/v1/namespaces/ns/things/t/status", body: [] }));
    expect(requests).toBe(before + 1);
    expect(String(error)).toMatch(/timed out after 300 ms|aborted/i);
  });

  it("a Kubernetes request is abandoned when its reconcile is cancelled", async () => {
    const controller = new AbortController();
    const pending = runCancellable(controller.signal, () => kubeClient(kubeConfig(), { timeoutMs: 60_000 }).request({ method: "GET", path: "/api/v1/namespaces" }));
    setTimeout(() => {
      controller.abort(new Error("lease lost"));
    }, 100);
    const { error } = await elapsed(pending);
    expect(error).toBeInstanceOf(Error);
  });

  it("an AWS call that gets no answer fails at the client's request timeout", async () => {
    const { ecs } = createAwsClients({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1, requestTimeoutMs: 300 });
    const { error } = await elapsed(ecs.send(new ListClustersCommand({})));
    expect((error as Error).name).toMatch(/TimeoutError|RequestTimeout/);
  });

  it("an AWS call is abandoned when its reconcile is cancelled, without the caller passing a signal", async () => {
    const { ecs } = createAwsClients({ region: "us-east-1", endpoint: url, credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 1, requestTimeoutMs: 60_000 });
    const controller = new AbortController();
    const pending = runCancellable(controller.signal, () => ecs.send(new ListClustersCommand({})));
    setTimeout(() => {
      controller.abort(new Error("shutting down"));
    }, 100);
    const { error } = await elapsed(pending);
    expect((error as Error).name).toBe("AbortError");
  });

  it("a wait with no signal of its own (a rate limiter's token) gives up when the reconcile is cancelled", async () => {
    const controller = new AbortController();
    const never = new Promise<never>(() => undefined);
    const pending = runCancellable(controller.signal, () => unlessCancelled(never));
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(CancelledError);
  });
});
