// EcsService.spec.autoScaling through the operator (issue 17): the scalable target, its policies and
// scheduled actions in moto exactly as declared, changed in place, drift corrected, deregistered
// on removal and before deletion; and the count left to the "autoscaler" (the ECS layer's
// /autoscale route, as Application Auto Scaling moves it, and UpdateService from outside), which
// the operator never touches, across re-checks and a restart.
import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  RegisterScalableTargetCommand,
} from "@aws-sdk/client-application-auto-scaling";
import { DescribeServicesCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand } from "@aws-sdk/client-ecs";
import { CreateListenerCommand, CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { defaultVpc, vpcSubnets } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { eventsFor, kubectl, waitFor, waitForCondition } from "../env/kube.js";

const RESYNC_SECONDS = 3;
const env = useTestEnvironment("ecsscale", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { ecs, applicationAutoScaling: aas, elbv2 } = env.aws;
const DIMENSION = "ecs:service:DesiredCount";

let taskDefinition: string;
const cluster = () => `${env.namespace}_main`;
const resourceId = (name: string) => `service/${cluster()}/${env.namespace}_${name}`;

function serviceManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name, namespace: env.namespace }, spec: { clusterRef: { name: "main" }, launchType: "EC2", taskDefinition, ...spec } });
}

const autoScaling = (targetValue: number) => ({
  minCapacity: 2,
  maxCapacity: 6,
  targetTracking: [{ policyName: "cpu", targetValue, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" }, scaleInCooldown: 120 }],
  stepScaling: [{ policyName: "burst", adjustmentType: "ChangeInCapacity", stepAdjustments: [{ metricIntervalLowerBound: 0, scalingAdjustment: 2 }] }],
  scheduledActions: [{ scheduledActionName: "night", schedule: "cron(0 22 * * ? *)", timezone: "Europe/Paris", scalableTargetAction: { minCapacity: 1, maxCapacity: 2 } }],
});

const target = async (name: string) => (await aas.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs", ResourceIds: [resourceId(name)], ScalableDimension: DIMENSION }))).ScalableTargets?.[0];
// moto matches ResourceId as a substring (docs/local-aws.md): keep exactly this service's.
const policies = async (name: string) => ((await aas.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: "ecs", ResourceId: resourceId(name) }))).ScalingPolicies ?? []).filter((p) => p.ResourceId === resourceId(name));
const actions = async (name: string) => (await aas.send(new DescribeScheduledActionsCommand({ ServiceNamespace: "ecs", ResourceId: resourceId(name) }))).ScheduledActions ?? [];
const describeService = async (name: string) => (await ecs.send(new DescribeServicesCommand({ cluster: cluster(), services: [`${env.namespace}_${name}`] }))).services?.[0];
const ready = (name: string) => waitForCondition<EcsService>(stack, "ecsservices", env.namespace, name, { type: "Ready", status: "True" });

describe("EcsService autoScaling against kube-apiserver, moto and the ECS layer", () => {
  beforeAll(async () => {
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: `web-${env.namespace}`, containerDefinitions: [{ name: "web", image: "nginx:1.25", memory: 128, essential: true }] }));
    taskDefinition = td.taskDefinition?.taskDefinitionArn ?? "";
    env.apply(JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: env.namespace }, spec: {} }));
  });

  it("registers the scalable target, owned by its tags, with the policies and scheduled action exactly as declared", async () => {
    env.apply(serviceManifest("web", { autoScaling: autoScaling(60) }));
    const obj = await ready("web");
    const registered = await target("web");
    expect(registered).toMatchObject({ MinCapacity: 2, MaxCapacity: 6, SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false } });
    const tags = (await aas.send(new ListTagsForResourceCommand({ ResourceARN: registered?.ScalableTargetARN }))).Tags;
    expect(tags).toEqual({ "ecs-operator.dev/uid": obj.metadata.uid, "ecs-operator.dev/owner": `${env.namespace}/web`, "ecs-operator.dev/kind": "EcsService" });
    const byName = new Map((await policies("web")).map((p) => [p.PolicyName, p]));
    expect([...byName.keys()].sort()).toEqual(["burst", "cpu"]);
    expect(byName.get("cpu")).toMatchObject({ PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" }, ScaleInCooldown: 120 } });
    expect(byName.get("burst")).toMatchObject({ PolicyType: "StepScaling", StepScalingPolicyConfiguration: { AdjustmentType: "ChangeInCapacity", StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }] } });
    expect((await actions("web")).map((a) => [a.ScheduledActionName, a.Schedule, a.Timezone, a.ScalableTargetAction])).toEqual([["night", "cron(0 22 * * ? *)", "Europe/Paris", { MinCapacity: 1, MaxCapacity: 2 }]]);
    // Created with minCapacity tasks; status says what is in force.
    expect((await describeService("web"))?.desiredCount).toBe(2);
    expect(obj.status?.autoScaling).toMatchObject({ resourceId: resourceId("web"), minCapacity: 2, maxCapacity: 6, range: "2-6", scalableTargetARN: registered?.ScalableTargetARN });
    expect(obj.status?.autoScaling?.policies?.map((p) => [p.policyName, p.policyARN])).toEqual([...byName.values()].map((p) => [p.PolicyName, p.PolicyARN]).sort());
    const table = kubectl(stack, ["get", "ecssvc", "web", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+RUNNING\s+DESIRED\s+TASKDEF-REV\s+ROLLOUT\s+SCALING\s+STAGE\s+AGE/);
    expect(table).toMatch(/\nweb\s+True\s+Available\s+2\s+2\s+1\s+COMPLETED\s+2-6\s/);
  });

  it("changes a policy in place with one PutScalingPolicy and an Event, and corrects drift of the limits", async () => {
    await proxy.reset(accountId);
    env.apply(serviceManifest("web", { autoScaling: autoScaling(45) }));
    await waitFor("the new target value in moto", async () => (await policies("web")).find((p) => p.PolicyName === "cpu")?.TargetTrackingScalingPolicyConfiguration?.TargetValue === 45);
    await ready("web");
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "application-autoscaling:PutScalingPolicy")).toBe(1);
    for (const op of ["RegisterScalableTarget", "DeregisterScalableTarget", "DeleteScalingPolicy", "PutScheduledAction"]) expect(callsTo(counts, `application-autoscaling:${op}`), op).toBe(0);
    expect((await eventsFor(stack, env.namespace, "web")).some((e) => e.reason === "Updated" && e.message.includes("autoScaling policy cpu"))).toBe(true);

    // Someone lowers maxCapacity behind the operator's back: back to 6, with an Event.
    await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: "ecs", ResourceId: resourceId("web"), ScalableDimension: DIMENSION, MaxCapacity: 3 }));
    await waitFor("maxCapacity restored", async () => (await target("web"))?.MaxCapacity === 6, RESYNC_SECONDS * 1000 * 5);
    await waitFor("a DriftCorrected Event", async () => (await eventsFor(stack, env.namespace, "web")).some((e) => e.reason === "DriftCorrected" && e.message.includes("autoScaling maxCapacity 6 (3 in AWS)")));

    // A policy and the scheduled action deleted and a policy added behind its back: put back and deleted, with Events.
    const at = { ServiceNamespace: "ecs", ResourceId: resourceId("web"), ScalableDimension: DIMENSION } as const;
    await aas.send(new DeleteScalingPolicyCommand({ ...at, PolicyName: "burst" }));
    await aas.send(new DeleteScheduledActionCommand({ ...at, ScheduledActionName: "night" }));
    await aas.send(
      new PutScalingPolicyCommand({ ...at, PolicyName: "stray", PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: { TargetValue: 10, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageMemoryUtilization" } } }),
    );
    await waitFor(
      "the policies and scheduled action as declared",
      async () => (await policies("web")).map((p) => p.PolicyName).sort().join() === "burst,cpu" && (await actions("web")).map((a) => a.ScheduledActionName).join() === "night",
      RESYNC_SECONDS * 1000 * 5,
    );
    expect((await policies("web")).find((p) => p.PolicyName === "burst")?.StepScalingPolicyConfiguration?.StepAdjustments).toEqual([{ MetricIntervalLowerBound: 0, ScalingAdjustment: 2 }]);
    await waitFor("DriftCorrected Events naming each", async () => {
      const messages = (await eventsFor(stack, env.namespace, "web")).filter((e) => e.reason === "DriftCorrected").map((e) => e.message);
      return ["autoScaling policy burst", "autoScaling policy stray (not in the spec: deleted)", "autoScaling scheduled action night"].every((f) => messages.some((m) => m.includes(f)));
    });
  });

  it("leaves the count to the autoscaler across re-checks and a restart: no UpdateService of its own, status follows", async () => {
    await proxy.reset(accountId);
    const name = `${env.namespace}_web`;
    // Someone (another tool, a person) sets the count: not reverted.
    await ecs.send(new UpdateServiceCommand({ cluster: cluster(), service: name, desiredCount: 4 }));
    await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "web", { type: "Ready", status: "True" });
    await waitFor("status at 4 running", async () => (await env.get<EcsService>("ecsservices", "web"))?.status?.runningCount === 4, RESYNC_SECONDS * 1000 * 5);
    // Application Auto Scaling scales out: status follows, with the activity that says why.
    expect(await proxy.autoscale(accountId, resourceId("web"), 5, { cause: "monitor alarm high in state ALARM triggered policy cpu" })).toBe(5);
    const scaledOut = await waitFor("status at 5 with the activity", async () => {
      const s = (await env.get<EcsService>("ecsservices", "web"))?.status;
      return s?.desiredCount === 5 && s.autoScaling?.scalingActivities?.[0]?.description === "Setting desired count to 5." ? s : undefined;
    }, RESYNC_SECONDS * 1000 * 5);
    expect(scaledOut.autoScaling?.scalingActivities?.[0]).toMatchObject({ statusCode: "Successful", cause: "monitor alarm high in state ALARM triggered policy cpu" });
    await sleep(RESYNC_SECONDS * 1000 * 2);

    // ... and scales in while the operator is away.
    await env.operator.stop();
    expect(await proxy.autoscale(accountId, resourceId("web"), 3, { cause: "scheduled action" })).toBe(3);
    await env.startOperator();
    await waitFor("status at 3 running", async () => {
      const s = (await env.get<EcsService>("ecsservices", "web"))?.status;
      return s?.desiredCount === 3 && s.runningCount === 3 && s.autoScaling?.scalingActivities?.[0]?.description === "Setting desired count to 3.";
    }, RESYNC_SECONDS * 1000 * 5);
    await sleep(RESYNC_SECONDS * 1000 * 3);

    expect((await describeService("web"))?.desiredCount).toBe(3);
    const counts = await proxy.counts(accountId);
    // The one UpdateService is the test's own, above.
    expect(callsTo(counts, "ecs:UpdateService")).toBe(1);
    expect(callsTo(counts, "application-autoscaling:RegisterScalableTarget") + callsTo(counts, "application-autoscaling:PutScalingPolicy")).toBe(0);
    // Re-read on every look: the target; the activities only when the count moved or on a first look after the restart.
    const looks = callsTo(counts, "application-autoscaling:DescribeScalableTargets");
    const activityReads = callsTo(counts, "application-autoscaling:DescribeScalingActivities");
    process.stdout.write(`DescribeScalableTargets ${String(looks)}, DescribeScalingActivities ${String(activityReads)}\n`);
    expect(looks).toBeGreaterThan(5);
    expect(activityReads).toBeGreaterThanOrEqual(2);
    expect(activityReads).toBeLessThanOrEqual(5);
  }, 120_000);

  it("counts the requests of a TargetGroup by reference: waits for its load balancer, then puts the derived resource label", async () => {
    const vpcId = await defaultVpc(stack, accountId);
    env.apply(JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "TargetGroup", metadata: { name: "front", namespace: env.namespace }, spec: { protocol: "HTTP", port: 80, vpcId, targetType: "ip" } }));
    const tg = await waitForCondition<TargetGroup>(stack, "targetgroups", env.namespace, "front", { type: "Ready", status: "True" });
    const spec = { autoScaling: { minCapacity: 1, maxCapacity: 3, targetTracking: [{ policyName: "requests", targetValue: 500, predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", targetGroupRef: { name: "front" } } }] } };
    env.apply(serviceManifest("api", spec));
    const waiting = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "api", { type: "Synced", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Synced")?.message).toContain(`TargetGroup ${env.namespace}/front (spec.autoScaling.targetTracking[0]) to be attached to an Application Load Balancer`);

    const subnets = await vpcSubnets(stack, accountId, vpcId);
    const lb = (await elbv2.send(new CreateLoadBalancerCommand({ Name: "front", Type: "application", Subnets: subnets.slice(0, 2) }))).LoadBalancers?.[0];
    await elbv2.send(new CreateListenerCommand({ LoadBalancerArn: lb?.LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "forward", TargetGroupArn: tg.status?.arn }] }));
    await ready("api");
    const label = `${(lb?.LoadBalancerArn ?? "").split(":loadbalancer/")[1] ?? ""}/${(tg.status?.arn ?? "").split(":")[5] ?? ""}`;
    expect(label).toMatch(/^app\/front\/[^/]+\/targetgroup\/[^/]+\/[^/]+$/);
    expect((await policies("api"))[0]?.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification).toEqual({ PredefinedMetricType: "ALBRequestCountPerTarget", ResourceLabel: label });
  }, 90_000);

  it("suspends dynamic scale-in in place with one RegisterScalableTarget and an Event, and status shows it", async () => {
    await proxy.reset(accountId);
    env.apply(serviceManifest("web", { autoScaling: { ...autoScaling(45), suspendedState: { dynamicScalingInSuspended: true } } }));
    await waitFor("scale-in suspended in moto", async () => (await target("web"))?.SuspendedState?.DynamicScalingInSuspended === true);
    await waitFor("status.autoScaling.suspendedState", async () => (await env.get<EcsService>("ecsservices", "web"))?.status?.autoScaling?.suspendedState?.dynamicScalingInSuspended === true, RESYNC_SECONDS * 1000 * 5);
    expect((await target("web"))?.SuspendedState).toEqual({ DynamicScalingInSuspended: true, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false });
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "application-autoscaling:RegisterScalableTarget")).toBe(1);
    for (const op of ["DeregisterScalableTarget", "PutScalingPolicy", "PutScheduledAction"]) expect(callsTo(counts, `application-autoscaling:${op}`), op).toBe(0);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(0);
    expect((await eventsFor(stack, env.namespace, "web")).some((e) => e.reason === "Updated" && e.message.includes("autoScaling suspendedState"))).toBe(true);
  });

  it("deregisters the target when autoScaling is removed, and takes the count back when desiredCount is set", async () => {
    env.apply(serviceManifest("web", { desiredCount: 2 }));
    await waitFor("the target deregistered", async () => (await target("web")) === undefined);
    expect(await policies("web")).toEqual([]);
    expect(await actions("web")).toEqual([]);
    await waitFor("status without autoScaling and the count back at 2", async () => {
      const obj = await env.get<EcsService>("ecsservices", "web");
      return obj?.status?.autoScaling === undefined && obj?.status?.desiredCount === 2;
    }, RESYNC_SECONDS * 1000 * 5);
    expect(kubectl(stack, ["get", "ecssvc", "web", "-n", env.namespace, "-o", "jsonpath={.status.autoScaling}"])).toBe("");
  });

  it("leaves a scalable target registered by someone else alone (ConflictExistingResource) until adopt: true takes it over", async () => {
    env.apply(serviceManifest("legacy", { desiredCount: 1 }));
    await ready("legacy");
    await aas.send(new RegisterScalableTargetCommand({ ServiceNamespace: "ecs", ResourceId: resourceId("legacy"), ScalableDimension: DIMENSION, MinCapacity: 1, MaxCapacity: 9 }));
    env.apply(serviceManifest("legacy", { autoScaling: { minCapacity: 1, maxCapacity: 3 } }));
    const conflict = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "legacy", { type: "Synced", status: "False", reason: "ConflictExistingResource" });
    expect(conflict.status?.conditions?.find((c) => c.type === "Synced")?.message).toContain(`the scalable target ${resourceId("legacy")} is registered without ecs-operator owner tags; set spec.adopt: true`);
    await sleep(RESYNC_SECONDS * 1000 * 2);
    expect(await target("legacy")).toMatchObject({ MinCapacity: 1, MaxCapacity: 9 });

    env.apply(serviceManifest("legacy", { adopt: true, autoScaling: { minCapacity: 1, maxCapacity: 3 } }));
    await waitFor("the adopted target at maxCapacity 3", async () => (await target("legacy"))?.MaxCapacity === 3);
    const obj = await ready("legacy");
    const tags = (await aas.send(new ListTagsForResourceCommand({ ResourceARN: (await target("legacy"))?.ScalableTargetARN }))).Tags;
    expect(tags).toMatchObject({ "ecs-operator.dev/uid": obj.metadata.uid });
    kubectl(stack, ["delete", "ecsservice", "legacy", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
    expect(await target("legacy")).toBeUndefined();
  }, 90_000);

  it("deregisters the target before deleting the service, and the finalizer goes once both are gone", async () => {
    await proxy.reset(accountId);
    const since = Date.now();
    kubectl(stack, ["delete", "ecsservice", "api", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
    expect(await target("api")).toBeUndefined();
    expect((await describeService("api"))?.status).toBe("INACTIVE");
    const order = (await proxy.calls(accountId, since)).map((c) => c.operation).filter((op) => ["application-autoscaling:DeregisterScalableTarget", "ecs:DeleteService"].includes(op));
    expect(order).toEqual(["application-autoscaling:DeregisterScalableTarget", "ecs:DeleteService"]);
  });
});
