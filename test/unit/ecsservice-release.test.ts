import type { Deployment, Service, ServiceDeployment } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { createServiceInput, describeDiff, diffService, listenerRulesShiftedBy, orientedLoadBalancers, resolveService, serviceReferences, type ServiceRefs } from "../../src/controllers/ecsservice/mapping.js";
import { bakeMinutes, manualStep, releaseMessage, releaseStatus, stageChange } from "../../src/controllers/ecsservice/release.js";
import { rolloutVerdict } from "../../src/controllers/ecsservice/rollout.js";

/*
 * Releases (BLUE_GREEN, CANARY, LINEAR) judged on answers in the shape of the ECS API reference's
 * ServiceDeployment (DescribeServiceDeployments) and Service (DescribeServices).
 */
const rev = (n: number) => `arn:aws:ecs:us-east-1:123456789012:task-definition/web:${n}`;
const tg = (name: string) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${name}/0123456789abcdef`;
const rule = (n: number) => `arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/front/50dc6c495c0c9188/f2f7dc8efc522ab2/${String(n).padStart(16, "0")}`;
const ARN = "arn:aws:ecs:us-east-1:123456789012:service-deployment/main/web/aB3cD4eF5gH6iJ7kL8mN9";
const T0 = new Date("2026-01-01T12:00:00Z");
const minutesLater = (m: number) => new Date(T0.getTime() + m * 60_000);

function sd(d: Partial<ServiceDeployment>, production = 0, strategy = "CANARY"): ServiceDeployment {
  return {
    serviceDeploymentArn: ARN,
    status: "IN_PROGRESS",
    createdAt: T0,
    deploymentConfiguration: { strategy, bakeTimeInMinutes: 5, canaryConfiguration: { canaryPercent: 10, canaryBakeTimeInMinutes: 4 } },
    targetServiceRevision: { arn: "arn:aws:ecs:us-east-1:123456789012:service-revision/main/web/7", requestedProductionTrafficWeight: production, requestedTestTrafficWeight: 100 },
    sourceServiceRevisions: [{ arn: "arn:aws:ecs:us-east-1:123456789012:service-revision/main/web/6", requestedProductionTrafficWeight: 100 - production }],
    ...d,
  } as ServiceDeployment;
}

function svc(spec: Partial<EcsService["spec"]>, annotations: Record<string, string> = {}): EcsService {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", uid: "u-1", generation: 1, annotations }, spec: { clusterRef: { name: "main" }, taskDefinitionRef: { name: "web" }, ...spec } };
}

function deployment(d: Partial<Deployment>): Deployment {
  return { id: `ecs-svc/${d.taskDefinition ?? ""}`, status: "PRIMARY", runningCount: 2, desiredCount: 2, pendingCount: 0, failedTasks: 0, ...d };
}

function service(deployments: Deployment[]): Service {
  return { serviceName: "web", status: "ACTIVE", desiredCount: 2, runningCount: 4, pendingCount: 0, taskDefinition: deployments.find((d) => d.status === "PRIMARY")?.taskDefinition, deployments };
}

describe("release status from DescribeServiceDeployments", () => {
  it("names the strategy, stage, traffic and the revision, and counts the canary's bake from when the stage was first seen", () => {
    const first = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), undefined, rev(7), T0);
    expect(first).toMatchObject({ serviceDeploymentArn: ARN, strategy: "CANARY", status: "IN_PROGRESS", stage: "PRODUCTION_TRAFFIC_SHIFT", trafficPercent: 10, taskDefinition: rev(7), bakeMinutesLeft: 4 });
    const later = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), first, undefined, minutesLater(1.5));
    expect(later.stageSince).toBe(first.stageSince);
    expect(later.bakeMinutesLeft).toBe(2.5);
    expect(later.taskDefinition).toBe(rev(7));
    expect(releaseMessage(later, rev(7))).toBe("canary: 10% on web:7, baking 3m left");
  });

  it("starts the clock again at a new stage: the release's own bake time at BAKE_TIME", () => {
    const shifting = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), undefined, rev(7), T0);
    const baking = releaseStatus(sd({ lifecycleStage: "BAKE_TIME" }, 100), shifting, rev(7), minutesLater(4));
    expect(baking.stageSince).toBe(minutesLater(4).toISOString());
    expect(baking.bakeMinutesLeft).toBe(5);
    expect(releaseMessage(releaseStatus(sd({ lifecycleStage: "BAKE_TIME" }, 100), baking, rev(7), minutesLater(8.7)), rev(7))).toBe("canary: 100% on web:7, baking under 1m left");
  });

  it("knows each strategy's bake, with ECS's defaults where the configuration leaves them out", () => {
    expect(bakeMinutes(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT", deploymentConfiguration: { strategy: "LINEAR" } }, 30))).toBe(6);
    expect(bakeMinutes(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT", deploymentConfiguration: { strategy: "CANARY" } }, 5))).toBe(10);
    expect(bakeMinutes(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 100))).toBeUndefined();
    expect(bakeMinutes(sd({ lifecycleStage: "SCALE_UP" }, 0))).toBeUndefined();
  });

  it("says what a paused release waits for, and the annotations that answer it", () => {
    const paused = releaseStatus(sd({ lifecycleStage: "POST_TEST_TRAFFIC_SHIFT", lifecycleHookDetails: [{ hookId: "h-1", targetType: "PAUSE", status: "AWAITING_ACTION" }] }, 0, "BLUE_GREEN"), undefined, rev(7), T0);
    expect(paused.awaitingAction).toEqual([{ hookId: "h-1", stage: "POST_TEST_TRAFFIC_SHIFT" }]);
    expect(releaseMessage(paused, rev(7))).toBe("blue/green: paused at POST_TEST_TRAFFIC_SHIFT with 0% on web:7: annotate ecs.operator.dev/continue=web:7 to go on, or ecs.operator.dev/rollback=web:7 to roll back");
  });

  it("keeps the rollback's reason and the alarms that triggered it", () => {
    const failed = releaseStatus(
      sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT", status: "ROLLBACK_SUCCESSFUL", rollback: { reason: "alarm(s) web-5xx in ALARM state" }, alarms: { status: "TRIGGERED", alarmNames: ["web-5xx"], triggeredAlarmNames: ["web-5xx"] } }, 0),
      undefined,
      rev(7),
      T0,
    );
    expect(failed).toMatchObject({ status: "ROLLBACK_SUCCESSFUL", rollbackReason: "alarm(s) web-5xx in ALARM state", alarms: ["web-5xx"] });
    expect(failed.bakeMinutesLeft).toBeUndefined();
  });

  it("announces a new stage or a new share of traffic once", () => {
    const a = releaseStatus(sd({ lifecycleStage: "SCALE_UP" }, 0), undefined, rev(7), T0);
    const b = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), a, rev(7), T0);
    expect(stageChange(undefined, a, rev(7))).toBe("canary web:7: SCALE_UP, 0% of production traffic (IN_PROGRESS)");
    expect(stageChange(a, b, rev(7))).toBe("canary web:7: PRODUCTION_TRAFFIC_SHIFT, 10% of production traffic (IN_PROGRESS)");
    expect(stageChange(b, releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), b, rev(7), minutesLater(1)), rev(7))).toBeUndefined();
  });
});

describe("rollout verdict of a release", () => {
  const inProgress = service([deployment({ taskDefinition: rev(7), rolloutState: "IN_PROGRESS" }), deployment({ status: "ACTIVE", taskDefinition: rev(6), rolloutState: "COMPLETED" })]);

  it("is in progress with the stage in the Progressing message", () => {
    const release = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT" }, 10), undefined, rev(7), T0);
    const v = rolloutVerdict({ service: inProgress, desiredTaskDefinition: rev(7), release });
    expect(v).toMatchObject({ ready: false, reason: "RolloutInProgress", message: "canary: 10% on web:7, baking 4m left" });
    expect(v.conditions?.[0]).toMatchObject({ type: "Progressing", status: "True", message: "canary: 10% on web:7, baking 4m left" });
  });

  it("is RolloutFailed with the rollback's reason once ECS rolled back by alarm, and remembers the revision", () => {
    const release = releaseStatus(sd({ lifecycleStage: "PRODUCTION_TRAFFIC_SHIFT", status: "ROLLBACK_SUCCESSFUL", rollback: { reason: "alarm(s) web-5xx in ALARM state" } }, 0), undefined, rev(7), T0);
    const back = service([deployment({ taskDefinition: rev(6), rolloutState: "COMPLETED" })]);
    const v = rolloutVerdict({ service: back, desiredTaskDefinition: rev(7), release });
    expect(v).toMatchObject({ ready: false, reason: "RolloutFailed", failure: true, failedTaskDefinition: rev(7) });
    expect(v.message).toBe("rollout of web:7 failed: alarm(s) web-5xx in ALARM state; rolled back to web:6. Change the task definition or the spec to try again.");
  });

  it("does not hold an older release's failure against a new revision", () => {
    const release = releaseStatus(sd({ status: "ROLLBACK_SUCCESSFUL", rollback: { reason: "alarm" } }, 0), undefined, rev(7), T0);
    const v = rolloutVerdict({ service: { ...service([deployment({ taskDefinition: rev(8), rolloutState: "COMPLETED" })]), runningCount: 2 }, desiredTaskDefinition: rev(8), release });
    expect(v).toMatchObject({ ready: true, reason: "Available" });
  });
});

describe("manual steps by annotation", () => {
  const paused = releaseStatus(sd({ lifecycleStage: "POST_SCALE_UP", lifecycleHookDetails: [{ hookId: "h-1", status: "AWAITING_ACTION" }, { hookId: "h-2", status: "SUCCEEDED" }] }, 0, "BLUE_GREEN"), undefined, rev(7), T0);
  const shifting = releaseStatus(sd({ lifecycleStage: "BAKE_TIME" }, 100, "BLUE_GREEN"), undefined, rev(7), T0);

  it("continues the paused hooks of the release of the named revision, by family:revision or ARN", () => {
    expect(manualStep(svc({}, { "ecs.operator.dev/continue": "web:7" }), paused)).toEqual({ action: "CONTINUE", hookIds: ["h-1"], serviceDeploymentArn: ARN });
    expect(manualStep(svc({}, { "ecs.operator.dev/continue": rev(7) }), paused)?.action).toBe("CONTINUE");
  });

  it("asks nothing for another revision, for a release that is not paused, or once the release is over", () => {
    expect(manualStep(svc({}, { "ecs.operator.dev/continue": "web:6" }), paused)).toBeUndefined();
    expect(manualStep(svc({}, { "ecs.operator.dev/continue": "web:7" }), shifting)).toBeUndefined();
    expect(manualStep(svc({}, { "ecs.operator.dev/rollback": "web:7" }), { ...shifting, status: "SUCCESSFUL" })).toBeUndefined();
    expect(manualStep(svc({}, { "ecs.operator.dev/rollback": "web:7" }), { ...shifting, status: "ROLLBACK_IN_PROGRESS" })).toBeUndefined();
    expect(manualStep(svc({}), paused)).toBeUndefined();
  });

  it("rolls back a paused release through its hooks, and one that is not paused by stopping it", () => {
    expect(manualStep(svc({}, { "ecs.operator.dev/rollback": "web:7", "ecs.operator.dev/continue": "web:7" }), paused)).toEqual({ action: "ROLLBACK", hookIds: ["h-1"], serviceDeploymentArn: ARN });
    expect(manualStep(svc({}, { "ecs.operator.dev/rollback": "web:7" }), shifting)).toEqual({ action: "ROLLBACK", hookIds: [], serviceDeploymentArn: ARN });
  });

  it("is a difference the reconciler acts on", () => {
    const obj = svc({}, { "ecs.operator.dev/continue": "web:7" });
    const deps = { cluster: "team_main", taskDefinition: rev(7), targetGroupArns: [], registryArns: [], advanced: [] };
    const service = { ...inProgressService(), ...createServiceInput(obj, deps), taskDefinition: rev(7), tags: createServiceInput(obj, deps).tags } as Service;
    expect(describeDiff(diffService(obj, deps, { service, desiredTaskDefinition: rev(7), release: paused }))).toEqual(["release: continue (ecs.operator.dev/continue)"]);
  });
});

function inProgressService(): Service {
  return service([deployment({ taskDefinition: rev(7), rolloutState: "IN_PROGRESS" })]);
}

describe("advancedConfiguration: references, orientation, and the ECS-owned listener rules", () => {
  const spec: Partial<EcsService["spec"]> = {
    deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: 5 },
    loadBalancers: [
      {
        targetGroupRef: { name: "blue" },
        containerName: "web",
        containerPort: 80,
        advancedConfiguration: { alternateTargetGroupRef: { name: "green" }, productionListenerRuleRef: { name: "prod" }, testListenerRule: rule(2), roleArn: "arn:aws:iam::123456789012:role/ecs-elb" },
      },
    ],
  };
  const refs: ServiceRefs = { cluster: ["team_main"], taskDefinition: [rev(7)], targetGroups: [tg("blue")], registries: [], capacityProviders: [], alternateTargetGroups: [tg("green")], productionListenerRules: [rule(1)], testListenerRules: [undefined], scalingTargetGroups: [], serviceConnectNamespace: [undefined] };

  it("declares the alternate target group and the listener rules as references", () => {
    expect(serviceReferences.alternateTargetGroups.names(svc(spec).spec)).toEqual(["green"]);
    expect(serviceReferences.productionListenerRules).toMatchObject({ kind: "ListenerRule", statusField: "arn" });
    expect(serviceReferences.testListenerRules.names(svc(spec).spec)).toEqual([undefined]);
    expect(listenerRulesShiftedBy(svc(spec).spec)).toEqual({ names: ["prod"], arns: [rule(2)] });
  });

  it("sends the resolved advancedConfiguration in AWS's names", () => {
    const input = createServiceInput(svc(spec), resolveService(svc(spec), refs));
    expect(input.loadBalancers).toEqual([
      {
        targetGroupArn: tg("blue"),
        containerName: "web",
        containerPort: 80,
        advancedConfiguration: { alternateTargetGroupArn: tg("green"), productionListenerRule: rule(1), testListenerRule: rule(2), roleArn: "arn:aws:iam::123456789012:role/ecs-elb" },
      },
    ]);
    expect(input.deploymentConfiguration).toEqual({ strategy: "BLUE_GREEN", bakeTimeInMinutes: 5 });
  });

  it("sees no difference once ECS has swapped the primary and alternate target groups, and never swaps them back", () => {
    const obj = svc(spec);
    const deps = resolveService(obj, refs);
    const input = createServiceInput(obj, deps);
    const swapped = (input.loadBalancers ?? []).map((lb) => ({ ...lb, targetGroupArn: tg("green"), advancedConfiguration: { ...lb.advancedConfiguration, alternateTargetGroupArn: tg("blue") } }));
    const service = { ...inProgressService(), ...input, taskDefinition: rev(7), loadBalancers: swapped } as Service;
    expect(describeDiff(diffService(obj, deps, { service, desiredTaskDefinition: rev(7) }))).toEqual([]);
    // A change elsewhere in the load balancer is sent the way ECS has the pair now.
    const moved = svc({ ...spec, loadBalancers: [{ ...(spec.loadBalancers?.[0] ?? { containerName: "", containerPort: 1 }), containerPort: 8080 }] });
    const diff = diffService(moved, deps, { service, desiredTaskDefinition: rev(7) });
    expect(diff.update.loadBalancers?.[0]).toMatchObject({ targetGroupArn: tg("green"), containerPort: 8080, advancedConfiguration: { alternateTargetGroupArn: tg("blue") } });
    expect(orientedLoadBalancers(input.loadBalancers ?? [], input.loadBalancers)).toEqual(input.loadBalancers);
  });

  it("sees no difference in lifecycle hooks once ECS fills their defaults", () => {
    const hooks = svc({ ...spec, deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: 5, lifecycleHooks: [{ targetType: "PAUSE", lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT", "POST_SCALE_UP"] }] } });
    const deps = resolveService(hooks, refs);
    const input = createServiceInput(hooks, deps);
    // In AWS's key order, not the spec's (the API server keeps keys sorted).
    const filled = { ...input.deploymentConfiguration, lifecycleHooks: [{ targetType: "PAUSE" as const, lifecycleStages: ["POST_SCALE_UP" as const, "POST_TEST_TRAFFIC_SHIFT" as const], timeoutConfiguration: { timeoutInMinutes: 1440, action: "ROLLBACK" as const } }] };
    const sortedSpec = svc({ ...spec, deploymentConfiguration: { strategy: "BLUE_GREEN", bakeTimeInMinutes: 5, lifecycleHooks: [{ lifecycleStages: ["POST_TEST_TRAFFIC_SHIFT", "POST_SCALE_UP"], targetType: "PAUSE", timeoutConfiguration: { action: "ROLLBACK", timeoutInMinutes: 1440 } }] } });
    const service = { ...inProgressService(), ...input, taskDefinition: rev(7), deploymentConfiguration: filled } as Service;
    expect(describeDiff(diffService(hooks, deps, { service, desiredTaskDefinition: rev(7) }))).toEqual([]);
    expect(describeDiff(diffService(sortedSpec, deps, { service, desiredTaskDefinition: rev(7) }))).toEqual([]);
  });
});
