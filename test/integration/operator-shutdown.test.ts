// Shutdown is bounded and cancels what is in flight: a reconcile stuck in an AWS call that will not
// answer for minutes does not hold the process (docs/design.md, promise 9). The proxy's latency
// fault stands in for a hung connection.
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AwsProxyControl, callsTo } from "../env/aws-proxy-control.js";
import { uniqueAccountId } from "../env/aws.js";
import { setTimeout as sleep } from "node:timers/promises";
import { apply, createTestNamespace, getObject, waitFor } from "../env/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
let namespace: string;
let operator: OperatorProcess | undefined;

describe("the operator process", () => {
  beforeAll(async () => {
    namespace = await createTestNamespace(stack, "shutdown");
  });

  afterAll(async () => {
    await proxy.reset(accountId);
    if (operator && !(await Promise.race([operator.exited.then(() => true), Promise.resolve(false)]))) await operator.kill();
  });

  it("reports itself as the one reconciling when leader election is off", async () => {
    operator = await startOperatorProcess(stack, { accountId, namespaces: [namespace], leaderElection: false });
    expect(await operator.metric("ecs_operator_leader")).toBe(1);
  });

  it("exits on SIGTERM while a reconcile waits on an AWS call that would take minutes, cancelling it", async () => {
    if (!operator) throw new Error("no operator");
    // Every DescribeClusters of this account hangs for five minutes.
    await proxy.addFault({ kind: "latency", latencyMs: 300_000, operations: ["ecs:DescribeClusters"], accountId });
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "stuck", namespace }, spec: {} }));
    // The finalizer is added just before the first AWS call; the proxy counts a call when it is answered.
    await waitFor("the reconcile to reach AWS", async () => (await getObject(stack, "ecsclusters", namespace, "stuck"))?.metadata.finalizers?.includes("ecs.operator.dev/finalizer"), 30_000);
    await sleep(1000);
    expect(callsTo(await proxy.counts(accountId), "ecs:DescribeClusters")).toBe(0);
    const code = await Promise.race([operator.stop(), new Promise<"still running">((resolve) => setTimeout(() => { resolve("still running"); }, 45_000))]);
    expect(code).toBe(0);
    expect(operator.output()).toMatch(/cancelling reconciles still in flight/);
    expect(operator.output()).not.toMatch(/reconcile failed/);
  }, 90_000);
});
