import { CoordinationV1Api } from "@kubernetes/client-node";
import { beforeAll, describe, expect, it } from "vitest";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, kubeConfigFor, waitFor, waitForCondition } from "../env/kube.js";
import type { OperatorProcess } from "../env/operator-process.js";

const LEASE_SECONDS = 4;
const env = useTestEnvironment("leader", { startOperator: false, leaderElection: true, leaseName: "ecs-operator", leaseDurationSeconds: LEASE_SECONDS });
const { stack } = env;
const operators: OperatorProcess[] = [];

function cluster(name: string): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name, namespace: env.namespace }, spec: {} });
}

async function leaders(): Promise<OperatorProcess[]> {
  const flags = await Promise.all(operators.map(async (op) => (op.pid > 0 && (await op.metric("ecs_operator_leader").catch(() => 0))) === 1));
  return operators.filter((_op, i) => flags[i]);
}

describe("two operator replicas with leader election", () => {
  beforeAll(async () => {
    operators.push(await env.startOperator(), await env.startOperator());
  });

  it("lets only the leader reconcile, and the standby take over within the lease duration when the leader dies", async () => {
    const [first] = await waitFor("one leader", async () => ((await leaders()).length === 1 ? leaders() : undefined));
    if (!first) throw new Error("no leader");
    const standby = operators.find((op) => op !== first);
    if (!standby) throw new Error("no standby");

    apply(stack, cluster("one"));
    await waitForCondition(stack, "ecsclusters", env.namespace, "one", { type: "Ready", status: "True" });
    expect(await first.metric("ecs_operator_reconcile_total", { kind: "EcsCluster" })).toBeGreaterThan(0);
    expect(await standby.metric("ecs_operator_reconcile_total", { kind: "EcsCluster" })).toBe(0);
    expect((await leaders()).length).toBe(1);

    await first.kill();
    const killedAt = Date.now();
    await waitFor("the standby to lead", async () => (await standby.metric("ecs_operator_leader")) === 1, LEASE_SECONDS * 3000);
    const takeoverMs = Date.now() - killedAt;
    process.stdout.write(`standby took over ${takeoverMs} ms after the leader was killed (lease ${LEASE_SECONDS} s)\n`);
    // Within the lease duration plus two retry periods (client-go's bound) and polling slack.
    expect(takeoverMs).toBeLessThan(LEASE_SECONDS * 1000 + (2 * LEASE_SECONDS * 1000) / 7.5 + 1000);

    apply(stack, cluster("two"));
    await waitForCondition(stack, "ecsclusters", env.namespace, "two", { type: "Ready", status: "True" });
    expect(await standby.metric("ecs_operator_reconcile_total", { kind: "EcsCluster" })).toBeGreaterThan(0);
  });

  it("shuts down gracefully on SIGTERM: exit code 0 and the lease released", async () => {
    const [leader] = await leaders();
    if (!leader) throw new Error("no leader");
    expect(await leader.stop()).toBe(0);
    const lease = await kubeConfigFor(stack).makeApiClient(CoordinationV1Api).readNamespacedLease({ name: "ecs-operator", namespace: env.namespace });
    expect(lease.spec?.holderIdentity ?? "").toBe("");
  });
});
