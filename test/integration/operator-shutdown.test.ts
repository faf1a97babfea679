// Shutdown is bounded and cancels what is in flight: a reconcile stuck in an AWS call that will not
// answer for minutes does not hold the process (docs/design.md, promise 9). The proxy's latency
// fault stands in for a hung connection.
import { afterAll, describe, expect, it } from "vitest";
import { callsTo } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { setTimeout as sleep } from "node:timers/promises";
import { apply, getObject, waitFor } from "../env/kube.js";

const env = useTestEnvironment("shutdown", { startOperator: false });
const { stack, proxy, accountId } = env;

describe("the operator process", () => {
  afterAll(async () => {
    await proxy.clearFaults(accountId);
  });

  it("reports itself as the one reconciling when leader election is off", async () => {
    await env.startOperator({ leaderElection: false });
    expect(await env.operator.metric("ecs_operator_leader")).toBe(1);
  });

  it("exits on SIGTERM while a reconcile waits on an AWS call that would take minutes, cancelling it", async () => {
    // Every DescribeClusters of this account hangs for five minutes.
    await proxy.addFault({ kind: "latency", latencyMs: 300_000, operations: ["ecs:DescribeClusters"], accountId });
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "stuck", namespace: env.namespace }, spec: {} }));
    // The finalizer is added just before the first AWS call; the proxy counts a call when it is answered.
    await waitFor("the reconcile to reach AWS", async () => (await getObject(stack, "ecsclusters", env.namespace, "stuck"))?.metadata.finalizers?.includes("ecs.operator.dev/finalizer"), 30_000);
    await sleep(1000);
    expect(callsTo(await proxy.counts(accountId), "ecs:DescribeClusters")).toBe(0);
    const code = await Promise.race([env.operator.stop(), new Promise<"still running">((resolve) => setTimeout(() => { resolve("still running"); }, 45_000))]);
    expect(code).toBe(0);
    expect(env.operator.output()).toMatch(/cancelling reconciles still in flight/);
    expect(env.operator.output()).not.toMatch(/reconcile failed/);
  }, 90_000);
});
