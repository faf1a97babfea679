// "The operator never deregisters targets ECS registered" (docs/design.md, promise 2), in a real
// flow: 20 services of 4 tasks behind their target groups roll to a new revision while the
// operator re-checks everything every few seconds and is restarted mid-rollout; ECS (the layer
// inside moto) registers and drains every task's target; the proxy counts no RegisterTargets and
// no DeregisterTargets from anyone.
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { AwsProxyControl, callsTo } from "../env/aws-proxy-control.js";
import { testAwsClients, uniqueAccountId } from "../env/aws.js";
import { awsvpcNetwork, fargateTaskDefinition, manifest, networkConfiguration, type AwsvpcNetwork } from "../env/ecs-rollout.js";
import { apply, createTestNamespace, kubectl, waitFor } from "../env/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const { ecs, elbv2 } = testAwsClients(stack, accountId);
const SERVICES = 20;
const TASKS = 4;
const names = Array.from({ length: SERVICES }, (_, i) => `web-${String(i)}`);

let namespace: string;
let network: AwsvpcNetwork;
let operator: OperatorProcess;

const startOperator = () => startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: 3, workers: 8 });

function list<T>(plural: string): T[] {
  return (JSON.parse(kubectl(stack, ["get", plural, "-n", namespace, "-o", "json"])) as { items: T[] }).items;
}

/** Every service Ready on `revision`, with all its tasks running. */
function allReady(revision: number): boolean {
  const ready = list<EcsService>("ecsservices").filter(
    (o) => o.status?.taskDefinitionRevision === revision && o.status.runningCount === TASKS && o.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") && o.status.observedGeneration === o.metadata.generation,
  );
  return ready.length === SERVICES;
}

/** Target group ARN -> its targets' states, for every group of the test. */
async function targets(): Promise<Map<string, Map<string, string>>> {
  const out = new Map<string, Map<string, string>>();
  for (const tg of list<TargetGroup>("targetgroups")) {
    const arn = tg.status?.arn ?? "";
    const health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }))).TargetHealthDescriptions ?? [];
    out.set(arn, new Map(health.map((h) => [h.Target?.Id ?? "", h.TargetHealth?.State ?? ""])));
  }
  return out;
}

async function taskIps(): Promise<Set<string>> {
  const arns = (await ecs.send(new ListTasksCommand({ cluster: `${namespace}_main` }))).taskArns ?? [];
  const ips = new Set<string>();
  for (let i = 0; i < arns.length; i += 100) {
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: `${namespace}_main`, tasks: arns.slice(i, i + 100) }))).tasks ?? [];
    for (const t of tasks) ips.add(t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address ?? "");
  }
  return ips;
}

describe(`${String(SERVICES)} services × ${String(TASKS)} tasks rolling behind their target groups`, () => {
  beforeAll(async () => {
    namespace = await createTestNamespace(stack, "targets");
    network = await awsvpcNetwork(stack, accountId);
    operator = await startOperator();
  });

  afterAll(async () => {
    await operator.stop();
  });

  it("leaves every target to ECS: none registered or deregistered by the operator, through rollouts, re-checks and a restart", async () => {
    apply(stack, [manifest("EcsCluster", namespace, "main", {}), fargateTaskDefinition(namespace, "web", "httpd:2.4")].join("\n"));
    apply(
      stack,
      names
        .flatMap((name) => [
          manifest("TargetGroup", namespace, name, { protocol: "HTTP", port: 80, vpcId: network.vpc, targetType: "ip", healthCheckPath: "/" }),
          manifest("EcsService", namespace, name, {
            clusterRef: { name: "main" },
            taskDefinitionRef: { name: "web" },
            desiredCount: TASKS,
            launchType: "FARGATE",
            networkConfiguration: networkConfiguration(network),
            loadBalancers: [{ targetGroupRef: { name }, containerName: "web", containerPort: 80 }],
          }),
        ])
        .join("\n"),
    );
    await waitFor(`${String(SERVICES)} services Ready on revision 1`, () => Promise.resolve(allReady(1)), 120_000);
    const before = await targets();
    const oldIps = await taskIps();
    expect(before.size).toBe(SERVICES);
    for (const states of before.values()) expect([...states.values()]).toEqual(Array<string>(TASKS).fill("healthy"));
    expect(new Set([...before.values()].flatMap((s) => [...s.keys()]))).toEqual(oldIps);

    apply(stack, fargateTaskDefinition(namespace, "web", "httpd:2.5"));
    // Restarted while targets move: the new process re-reads everything from scratch.
    await waitFor("a rollout under way", () => Promise.resolve(list<EcsService>("ecsservices").some((o) => o.status?.rolloutState === "IN_PROGRESS")));
    await operator.stop();
    operator = await startOperator();
    await waitFor(`${String(SERVICES)} services Ready on revision 2`, () => Promise.resolve(allReady(2)), 120_000);

    const after = await targets();
    const newIps = await taskIps();
    expect(newIps.size).toBe(SERVICES * TASKS);
    expect([...newIps].filter((ip) => oldIps.has(ip))).toEqual([]);
    for (const states of after.values()) expect([...states.values()]).toEqual(Array<string>(TASKS).fill("healthy"));
    expect(new Set([...after.values()].flatMap((s) => [...s.keys()]))).toEqual(newIps);
    // The operator saw the new targets too: its re-checks read DescribeTargetHealth.
    await waitFor("every TargetGroup reporting its 4 healthy targets", () =>
      Promise.resolve(list<TargetGroup>("targetgroups").every((tg) => tg.status?.targetHealth?.healthy === TASKS && tg.status.targetHealth.draining === 0)),
    );

    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "elasticloadbalancing:DescribeTargetHealth")).toBeGreaterThan(SERVICES);
    expect(callsTo(counts, "elasticloadbalancing:RegisterTargets")).toBe(0);
    expect(callsTo(counts, "elasticloadbalancing:DeregisterTargets")).toBe(0);
  }, 300_000);
});
