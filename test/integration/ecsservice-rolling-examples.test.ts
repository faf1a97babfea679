// The seed's three rolling deployments ("Rolling Deployment – Example 1/2/3", desired 6), each
// applied through the operator and rolled to a new revision while the service's counts are
// recorded: every DescribeServices answer during the rollout, and every tick of the ECS layer's
// scheduler. None may leave the bounds of minimumHealthyPercent and maximumPercent (nor, in the
// third, the cluster's room for 10 tasks), and each bound is reached.
import { RegisterContainerInstanceCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, inject, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { AwsProxyControl } from "../env/aws-proxy-control.js";
import { runEc2Instance, testAwsClients, uniqueAccountId } from "../env/aws.js";
import { awsvpcNetwork, fargateTaskDefinition, manifest, networkConfiguration, outOfBounds, recordCounts, rollingBounds, type AwsvpcNetwork } from "../env/ecs-rollout.js";
import { apply, createTestNamespace, getObject, waitForCondition } from "../env/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const { ecs } = testAwsClients(stack, accountId);
const DESIRED = 6;

let namespace: string;
let network: AwsvpcNetwork;
let operator: OperatorProcess;

/** A bridge-mode task of 748 MiB: one container instance (7482 MiB in moto) holds ten. */
const ec2TaskDefinition = (name: string, image: string): string =>
  manifest("TaskDefinition", namespace, name, { family: `${name}-${namespace}`, networkMode: "bridge", containerDefinitions: [{ name: "web", image, memory: 748, essential: true }] });

interface Example {
  name: string;
  cluster: string;
  minimumHealthyPercent: number;
  maximumPercent: number;
  capacity?: number;
}

/** Ready on revision 1, then revision 2 rolled over it; returns what was seen on the way. */
async function rollOut(ex: Example, taskDefinition: (image: string) => string, spec: Record<string, unknown>) {
  const deploymentConfiguration = { minimumHealthyPercent: ex.minimumHealthyPercent, maximumPercent: ex.maximumPercent };
  apply(stack, taskDefinition("httpd:2.4"));
  apply(stack, manifest("EcsService", namespace, ex.name, { clusterRef: { name: ex.cluster }, taskDefinitionRef: { name: ex.name }, desiredCount: DESIRED, deploymentConfiguration, ...spec }));
  await waitForCondition<EcsService>(stack, "ecsservices", namespace, ex.name, { type: "Ready", status: "True" });
  const awsCluster = `${namespace}_${ex.cluster}`;
  const awsName = `${namespace}_${ex.name}`;
  const before = (await proxy.ecsHistory(accountId, awsCluster, awsName)).length;

  apply(stack, taskDefinition("httpd:2.5"));
  const samples = await recordCounts(ecs, awsCluster, awsName, async () => {
    const obj = await getObject<EcsService>(stack, "ecsservices", namespace, ex.name);
    return obj?.status?.taskDefinitionRevision === 2 && obj.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true;
  });
  const ticks = (await proxy.ecsHistory(accountId, awsCluster, awsName)).slice(before);
  const done = await getObject<EcsService>(stack, "ecsservices", namespace, ex.name);
  return { samples, ticks, status: done?.status, bounds: rollingBounds(DESIRED, ex.minimumHealthyPercent, ex.maximumPercent) };
}

// The three run at once: each waits mostly for the operator's next look at its rollout.
describe.concurrent("The seed's rolling deployments, desired 6, through the operator", () => {
  beforeAll(async () => {
    namespace = await createTestNamespace(stack, "rolling");
    network = await awsvpcNetwork(stack, accountId);
    operator = await startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: 3 });
    apply(stack, manifest("EcsCluster", namespace, "fargate", {}));
    apply(stack, manifest("EcsCluster", namespace, "ten", {}));
  });

  afterAll(async () => {
    await operator.stop();
  });

  const fargate = () => ({ launchType: "FARGATE", networkConfiguration: networkConfiguration(network) });

  it("Example 1 (minimum 100%, maximum 200%): six new tasks start beside the six old ones, never fewer than six healthy", async ({ expect }) => {
    const ex = { name: "example1", cluster: "fargate", minimumHealthyPercent: 100, maximumPercent: 200 };
    const { samples, ticks, status, bounds } = await rollOut(ex, (image) => fargateTaskDefinition(namespace, ex.name, image), fargate());
    expect(status).toMatchObject({ runningCount: 6, desiredCount: 6, pendingCount: 0, rolloutState: "COMPLETED" });
    expect(bounds).toEqual({ floor: 6, ceiling: 12 });
    expect(samples.filter((s) => s.running + s.pending > bounds.ceiling || s.running < bounds.floor)).toEqual([]);
    expect(outOfBounds(ticks, bounds)).toEqual([]);
    expect(Math.max(...ticks.map((t) => t.running + t.pending))).toBe(12);
    expect(Math.min(...ticks.map((t) => t.healthy))).toBe(6);
    expect(ticks.some((t) => t.deployments.length === 2)).toBe(true);
  });

  it("Example 2 (minimum 50%, maximum 200%): three old tasks go at once, never fewer than three healthy", async ({ expect }) => {
    const ex = { name: "example2", cluster: "fargate", minimumHealthyPercent: 50, maximumPercent: 200 };
    const { samples, ticks, status, bounds } = await rollOut(ex, (image) => fargateTaskDefinition(namespace, ex.name, image), fargate());
    expect(status).toMatchObject({ runningCount: 6, desiredCount: 6, pendingCount: 0, rolloutState: "COMPLETED" });
    expect(bounds).toEqual({ floor: 3, ceiling: 12 });
    expect(samples.filter((s) => s.running + s.pending > bounds.ceiling || s.running < bounds.floor)).toEqual([]);
    expect(outOfBounds(ticks, bounds)).toEqual([]);
    expect(Math.min(...ticks.map((t) => t.healthy))).toBe(3);
    expect(Math.max(...ticks.map((t) => t.running + t.pending))).toBe(9);
  });

  it("Example 3 (minimum 50%, maximum 200%, room for 10 tasks): the rollout goes in steps the cluster can hold", async ({ expect }) => {
    const instance = await runEc2Instance(stack, accountId);
    await waitForCondition(stack, "ecsclusters", namespace, "ten", { type: "Ready", status: "True" });
    await ecs.send(new RegisterContainerInstanceCommand({ cluster: `${namespace}_ten`, instanceIdentityDocument: JSON.stringify({ instanceId: instance }) }));
    const ex = { name: "example3", cluster: "ten", minimumHealthyPercent: 50, maximumPercent: 200, capacity: 10 };
    const { samples, ticks, status, bounds } = await rollOut(ex, (image) => ec2TaskDefinition(ex.name, image), { launchType: "EC2" });
    expect(status).toMatchObject({ runningCount: 6, desiredCount: 6, pendingCount: 0, rolloutState: "COMPLETED" });
    expect(samples.filter((s) => s.running + s.pending > 10 || s.running < bounds.floor)).toEqual([]);
    expect(outOfBounds(ticks, bounds, ex.capacity)).toEqual([]);
    // The cluster's room, not maximumPercent, is what limits this rollout.
    expect(Math.max(...ticks.map((t) => t.placed))).toBe(10);
    expect(Math.max(...ticks.map((t) => t.running + t.pending))).toBeLessThan(bounds.ceiling);
    expect(Math.min(...ticks.map((t) => t.healthy))).toBe(3);
  });
});
