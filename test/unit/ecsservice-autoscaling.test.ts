// The pure half of EcsService.spec.autoScaling (src/controllers/ecsservice/autoscaling.ts) against
// answers shaped as Application Auto Scaling gives them: its defaults filled in, its own order.
import type { ScalableTarget, ScalingActivity, ScalingPolicy, ScheduledAction } from "@aws-sdk/client-application-auto-scaling";
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { AutoScalingSpec } from "../../src/api/ecsservice-autoscaling.js";
import {
  activitiesDue,
  albResourceLabel,
  describeScalingDiff,
  desiredScaling,
  diffScaling,
  initialDesiredCount,
  scalableResourceId,
  scalingOwnership,
  scalingStatus,
  type DesiredScaling,
  type ObservedScaling,
} from "../../src/controllers/ecsservice/autoscaling.js";
import { createServiceInput, describeDiff, diffService, serviceStatus, type ServiceDeps } from "../../src/controllers/ecsservice/mapping.js";

const RESOURCE = "service/team_main/team_web";
const LB = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/public/50dc6c495c0c9188";
const TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/73e2d6bc24d8a067";
const LABEL = "app/public/50dc6c495c0c9188/targetgroup/web/73e2d6bc24d8a067";
const TAGS = { "ecs-operator.dev/uid": "u-1", "ecs-operator.dev/owner": "team/web", "ecs-operator.dev/kind": "EcsService" };

const scaling: AutoScalingSpec = {
  minCapacity: 2,
  maxCapacity: 10,
  targetTracking: [
    { policyName: "cpu", targetValue: 60, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" }, scaleInCooldown: 120 },
    { policyName: "requests", targetValue: 1000, predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", targetGroupRef: { name: "web" } } },
    {
      policyName: "queue",
      targetValue: 5,
      customizedMetricSpecification: { metricName: "Backlog", namespace: "App", statistic: "Average", dimensions: [{ name: "Queue", value: "jobs" }, { name: "Env", value: "prod" }] },
      disableScaleIn: true,
    },
  ],
  stepScaling: [
    {
      policyName: "burst",
      adjustmentType: "ChangeInCapacity",
      stepAdjustments: [
        { metricIntervalLowerBound: 0, metricIntervalUpperBound: 20, scalingAdjustment: 1 },
        { metricIntervalLowerBound: 20, scalingAdjustment: 3 },
      ],
    },
  ],
  scheduledActions: [{ scheduledActionName: "night", schedule: "cron(0 22 * * ? *)", timezone: "Europe/Paris", scalableTargetAction: { minCapacity: 1, maxCapacity: 2 } }],
};

const want = (spec: AutoScalingSpec = scaling): DesiredScaling => desiredScaling(spec, RESOURCE, [undefined, LABEL, undefined], TAGS);

/** What Application Auto Scaling answers once `desired` was put: defaults filled in, its own order, Dates. */
function asAwsReports(desired: DesiredScaling): ObservedScaling {
  const target: ScalableTarget = {
    ServiceNamespace: "ecs",
    ResourceId: RESOURCE,
    ScalableDimension: "ecs:service:DesiredCount",
    MinCapacity: desired.minCapacity,
    MaxCapacity: desired.maxCapacity,
    RoleARN: "arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_ECSService",
    CreationTime: new Date("2025-01-01T00:00:00Z"),
    SuspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false },
    ScalableTargetARN: "arn:aws:application-autoscaling:us-east-1:123456789012:scalable-target/0123abcd",
  };
  const policies: ScalingPolicy[] = desired.policies
    .map((p) => {
      const tt = p.TargetTrackingScalingPolicyConfiguration;
      const step = p.StepScalingPolicyConfiguration;
      return {
        PolicyARN: `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/${RESOURCE}:policyName/${p.PolicyName ?? ""}`,
        PolicyName: p.PolicyName,
        ServiceNamespace: "ecs",
        ResourceId: RESOURCE,
        ScalableDimension: "ecs:service:DesiredCount",
        PolicyType: p.PolicyType,
        CreationTime: new Date("2025-01-01T00:00:00Z"),
        ...(tt
          ? {
              TargetTrackingScalingPolicyConfiguration: {
                ...tt,
                ScaleInCooldown: tt.ScaleInCooldown ?? 300,
                ScaleOutCooldown: tt.ScaleOutCooldown ?? 300,
                DisableScaleIn: tt.DisableScaleIn ?? false,
                ...(tt.CustomizedMetricSpecification ? { CustomizedMetricSpecification: { ...tt.CustomizedMetricSpecification, Dimensions: [...(tt.CustomizedMetricSpecification.Dimensions ?? [])].reverse() } } : {}),
              },
            }
          : {}),
        ...(step ? { StepScalingPolicyConfiguration: { ...step, StepAdjustments: [...(step.StepAdjustments ?? [])].reverse(), Cooldown: 300, MetricAggregationType: "Average" as const } } : {}),
      } satisfies ScalingPolicy;
    })
    .reverse();
  const scheduledActions: ScheduledAction[] = desired.scheduledActions.map((a) => ({
    ScheduledActionName: a.ScheduledActionName,
    ScheduledActionARN: `arn:aws:autoscaling:us-east-1:123456789012:scheduledAction:1:resource/ecs/${RESOURCE}:scheduledActionName/${a.ScheduledActionName ?? ""}`,
    ServiceNamespace: "ecs",
    Schedule: a.Schedule,
    Timezone: a.Timezone ?? "UTC",
    ResourceId: RESOURCE,
    ScalableDimension: "ecs:service:DesiredCount",
    ScalableTargetAction: a.ScalableTargetAction,
    CreationTime: new Date("2025-01-01T00:00:00Z"),
  }));
  return { resourceId: RESOURCE, target, tags: { ...desired.tags, "aws:cloudformation:stack-name": "none" }, policies, scheduledActions, activities: [] };
}

function svc(spec: Partial<EcsService["spec"]>): EcsService {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", uid: "u-1", generation: 1 }, spec: { clusterRef: { name: "main" }, taskDefinitionRef: { name: "web" }, ...spec } };
}

describe("EcsService autoScaling: identities", () => {
  it("names the scalable target service/<cluster>/<service>, from a cluster name or ARN", () => {
    expect(scalableResourceId("team_main", "team_web")).toBe(RESOURCE);
    expect(scalableResourceId("arn:aws:ecs:us-east-1:123456789012:cluster/team_main", "team_web")).toBe(RESOURCE);
  });

  it("derives ALBRequestCountPerTarget's resource label from the load balancer's and target group's ARNs", () => {
    expect(albResourceLabel(LB, TG)).toBe(LABEL);
    // A Network Load Balancer has no requests to count.
    expect(albResourceLabel(LB.replace("/app/", "/net/"), TG)).toBeUndefined();
    expect(albResourceLabel(LB, "arn:aws:ecs:us-east-1:123456789012:service/x")).toBeUndefined();
  });

  it.each([
    ["no autoScaling, no count", {}, 1],
    ["no autoScaling, a count", { desiredCount: 3 }, 3],
    ["autoScaling and a count", { desiredCount: 4, autoScaling: { minCapacity: 2, maxCapacity: 8 } }, 4],
    ["autoScaling alone: minCapacity", { autoScaling: { minCapacity: 2, maxCapacity: 8 } }, 2],
    ["autoScaling from zero: one task", { autoScaling: { minCapacity: 0, maxCapacity: 8 } }, 1],
    ["autoScaling held at zero", { autoScaling: { minCapacity: 0, maxCapacity: 0 } }, 0],
  ])("starts a service with %s at the right count", (_what, spec, count) => {
    expect(initialDesiredCount(svc(spec).spec)).toBe(count);
    expect(createServiceInput(svc(spec), { cluster: "team_main", taskDefinition: "web:1", targetGroupArns: [], registryArns: [], advanced: [] }).desiredCount).toBe(count);
  });
});

describe("EcsService autoScaling: desired state", () => {
  it("puts exactly the spec's policies and scheduled actions, in AWS's field names, sending only what the spec sets", () => {
    const desired = want();
    expect(desired).toMatchObject({ resourceId: RESOURCE, minCapacity: 2, maxCapacity: 10, suspendedState: { DynamicScalingInSuspended: false, DynamicScalingOutSuspended: false, ScheduledScalingSuspended: false }, tags: TAGS });
    const ids = { ServiceNamespace: "ecs", ResourceId: RESOURCE, ScalableDimension: "ecs:service:DesiredCount" };
    expect(desired.policies).toEqual([
      { PolicyName: "cpu", ...ids, PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: { TargetValue: 60, PredefinedMetricSpecification: { PredefinedMetricType: "ECSServiceAverageCPUUtilization" }, ScaleInCooldown: 120 } },
      { PolicyName: "requests", ...ids, PolicyType: "TargetTrackingScaling", TargetTrackingScalingPolicyConfiguration: { TargetValue: 1000, PredefinedMetricSpecification: { PredefinedMetricType: "ALBRequestCountPerTarget", ResourceLabel: LABEL } } },
      {
        PolicyName: "queue",
        ...ids,
        PolicyType: "TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: 5,
          CustomizedMetricSpecification: { MetricName: "Backlog", Namespace: "App", Statistic: "Average", Dimensions: [{ Name: "Queue", Value: "jobs" }, { Name: "Env", Value: "prod" }] },
          DisableScaleIn: true,
        },
      },
      {
        PolicyName: "burst",
        ...ids,
        PolicyType: "StepScaling",
        StepScalingPolicyConfiguration: {
          AdjustmentType: "ChangeInCapacity",
          StepAdjustments: [
            { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 20, ScalingAdjustment: 1 },
            { MetricIntervalLowerBound: 20, ScalingAdjustment: 3 },
          ],
        },
      },
    ]);
    expect(desired.scheduledActions).toEqual([{ ScheduledActionName: "night", ...ids, Schedule: "cron(0 22 * * ? *)", Timezone: "Europe/Paris", ScalableTargetAction: { MinCapacity: 1, MaxCapacity: 2 } }]);
  });

  it("takes a literal resourceLabel as it is", () => {
    const spec: AutoScalingSpec = { minCapacity: 1, maxCapacity: 2, targetTracking: [{ policyName: "r", targetValue: 10, predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: "app/x/1/targetgroup/y/2" } }] };
    expect(desiredScaling(spec, RESOURCE, [undefined], TAGS).policies[0]?.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification).toEqual({ PredefinedMetricType: "ALBRequestCountPerTarget", ResourceLabel: "app/x/1/targetgroup/y/2" });
  });

  it("sends scheduled times as Dates", () => {
    const spec: AutoScalingSpec = { minCapacity: 1, maxCapacity: 2, scheduledActions: [{ scheduledActionName: "sale", schedule: "at(2030-11-29T08:00:00)", startTime: "2030-11-01T00:00:00Z", scalableTargetAction: { minCapacity: 2 } }] };
    expect(desiredScaling(spec, RESOURCE, [], TAGS).scheduledActions[0]?.StartTime).toEqual(new Date("2030-11-01T00:00:00Z"));
  });
});

describe("EcsService autoScaling: diff against AWS's answers", () => {
  it("registers the target with everything when none is registered", () => {
    const diff = diffScaling(want(), { resourceId: RESOURCE, tags: {}, policies: [], scheduledActions: [], activities: [] });
    expect(diff.register).toBe(true);
    expect(diff.putPolicies.map((p) => p.PolicyName)).toEqual(["cpu", "requests", "queue", "burst"]);
    expect(diff.putScheduledActions.map((a) => a.ScheduledActionName)).toEqual(["night"]);
    expect(describeScalingDiff(diff, want())).toEqual(["autoScaling: register the scalable target (minCapacity 2, maxCapacity 10), 4 policies, 1 scheduled actions"]);
  });

  it("sees no difference once AWS reports what was put, with its defaults and in its own order", () => {
    const diff = diffScaling(want(), asAwsReports(want()));
    expect(describeScalingDiff(diff, want())).toEqual([]);
    expect(diff.register).toBe(false);
  });

  it("puts only the policy whose target value changed, in place", () => {
    const changed: AutoScalingSpec = { ...scaling, targetTracking: scaling.targetTracking?.map((t) => (t.policyName === "cpu" ? { ...t, targetValue: 45 } : t)) };
    const diff = diffScaling(want(changed), asAwsReports(want()));
    expect(diff.putPolicies.map((p) => p.PolicyName)).toEqual(["cpu"]);
    expect(diff.deletePolicies).toEqual([]);
    expect(describeScalingDiff(diff, want(changed))).toEqual(["autoScaling policy cpu"]);
  });

  it("resets a cooldown the spec no longer sets to AWS's default", () => {
    const reset: AutoScalingSpec = { ...scaling, targetTracking: scaling.targetTracking?.map((t) => (t.policyName === "cpu" ? { ...t, scaleInCooldown: undefined } : t)) };
    expect(diffScaling(want(reset), asAwsReports(want())).putPolicies.map((p) => p.PolicyName)).toEqual(["cpu"]);
  });

  it("corrects drift: limits, a policy changed out of band, a policy or action added out of band, tags", () => {
    const drifted = asAwsReports(want());
    drifted.target = { ...(drifted.target as ScalableTarget), MinCapacity: 1, SuspendedState: { DynamicScalingInSuspended: true } };
    drifted.policies = drifted.policies.map((p) => (p.PolicyName === "burst" ? { ...p, StepScalingPolicyConfiguration: { ...p.StepScalingPolicyConfiguration, Cooldown: 60 } } : p));
    drifted.policies.push({ ...(drifted.policies[0] as ScalingPolicy), PolicyName: "manual" });
    drifted.scheduledActions.push({ ...(drifted.scheduledActions[0] as ScheduledAction), ScheduledActionName: "extra" });
    drifted.tags = { ...drifted.tags, "ecs-operator.dev/owner": "someone/else", stray: "x" };
    const diff = diffScaling(want(), drifted);
    expect(describeScalingDiff(diff, want())).toEqual([
      "autoScaling minCapacity 2 (1 in AWS)",
      "autoScaling suspendedState",
      "autoScaling policy burst",
      "autoScaling policy manual (not in the spec: deleted)",
      "autoScaling scheduled action extra (not in the spec: deleted)",
      "autoScaling tags (ecs-operator.dev/owner, stray)",
    ]);
    expect(diff.tags).toEqual({ set: { "ecs-operator.dev/owner": "team/web" }, remove: ["stray"] });
  });

  it("replaces a policy whose type changed (deleted, then put)", () => {
    const retyped: AutoScalingSpec = { ...scaling, targetTracking: scaling.targetTracking?.filter((t) => t.policyName !== "cpu"), stepScaling: [...(scaling.stepScaling ?? []), { policyName: "cpu", adjustmentType: "ExactCapacity", stepAdjustments: [{ scalingAdjustment: 4 }] }] };
    // Without cpu, the target group's policy is the first of targetTracking.
    const desired = desiredScaling(retyped, RESOURCE, [LABEL, undefined], TAGS);
    const diff = diffScaling(desired, asAwsReports(want()));
    expect(diff.deletePolicies).toEqual(["cpu"]);
    expect(diff.putPolicies.map((p) => p.PolicyName)).toEqual(["cpu"]);
    expect(describeScalingDiff(diff, desired)).toEqual(["autoScaling policy cpu (its type changed)"]);
  });

  it("puts a scheduled action whose schedule or limits changed; a missing time zone is UTC on both sides", () => {
    const utc: AutoScalingSpec = { ...scaling, scheduledActions: [{ scheduledActionName: "night", schedule: "cron(0 22 * * ? *)", scalableTargetAction: { minCapacity: 1, maxCapacity: 2 } }] };
    expect(describeScalingDiff(diffScaling(want(utc), asAwsReports(want(utc))), want(utc))).toEqual([]);
    const later: AutoScalingSpec = { ...utc, scheduledActions: [{ scheduledActionName: "night", schedule: "cron(0 23 * * ? *)", scalableTargetAction: { minCapacity: 1, maxCapacity: 2 } }] };
    expect(diffScaling(want(later), asAwsReports(want(utc))).putScheduledActions.map((a) => a.Schedule)).toEqual(["cron(0 23 * * ? *)"]);
  });

  it("deregisters when autoScaling is removed, and has nothing to do when no target is registered", () => {
    expect(diffScaling(undefined, asAwsReports(want())).deregister).toBe(true);
    expect(describeScalingDiff(diffScaling(undefined, asAwsReports(want())), undefined)).toEqual(["autoScaling removed from the spec: deregister the scalable target"]);
    expect(describeScalingDiff(diffScaling(undefined, { resourceId: RESOURCE, tags: {}, policies: [], scheduledActions: [], activities: [] }), undefined)).toEqual([]);
  });

  it("tells whose target it is by the uid tag", () => {
    const ours = asAwsReports(want());
    expect(scalingOwnership(ours, "u-1")).toBe("ours");
    expect(scalingOwnership(ours, "u-2")).toBe("foreign");
    expect(scalingOwnership({ ...ours, tags: {} }, "u-1")).toBe("unowned");
    expect(scalingOwnership({ resourceId: RESOURCE, tags: {}, policies: [], scheduledActions: [], activities: [] }, "u-1")).toBe("absent");
  });
});

describe("EcsService autoScaling: the service's own count", () => {
  const deps: ServiceDeps = { cluster: "team_main", taskDefinition: "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1", targetGroupArns: [], registryArns: [], advanced: [] };
  const moved = (obj: EcsService): Service => {
    const input = createServiceInput(obj, deps);
    return { serviceName: input.serviceName, status: "ACTIVE", taskDefinition: deps.taskDefinition, desiredCount: 7, tags: input.tags };
  };

  it("never puts desiredCount into UpdateService with autoScaling, whatever the count in AWS", () => {
    const obj = svc({ desiredCount: 2, autoScaling: { minCapacity: 2, maxCapacity: 8 } });
    const diff = diffService(obj, deps, { service: moved(obj), desiredTaskDefinition: deps.taskDefinition });
    expect(diff.update).not.toHaveProperty("desiredCount");
    expect(describeDiff(diff)).toEqual([]);
  });

  it("takes the count back once autoScaling is removed and desiredCount is set", () => {
    const obj = svc({ desiredCount: 2 });
    expect(diffService(obj, deps, { service: moved(obj), desiredTaskDefinition: deps.taskDefinition }).update).toEqual({ desiredCount: 2 });
  });

  it("reports the limits in force, the policies and the newest activities in status", () => {
    const observed = asAwsReports(want());
    const started = (minute: number): ScalingActivity => ({
      ActivityId: `a${String(minute)}`,
      ServiceNamespace: "ecs",
      ResourceId: RESOURCE,
      ScalableDimension: "ecs:service:DesiredCount",
      Description: `Setting desired count to ${String(minute)}.`,
      Cause: "monitor alarm high in state ALARM triggered policy cpu",
      StartTime: new Date(Date.UTC(2025, 0, 1, 0, minute)),
      StatusCode: "Successful",
    });
    observed.activities = [1, 7, 3, 5, 6, 2, 4].map(started);
    const status = scalingStatus(observed);
    expect(status).toMatchObject({ resourceId: RESOURCE, minCapacity: 2, maxCapacity: 10, range: "2-10", scalableTargetARN: observed.target?.ScalableTargetARN });
    expect(status?.policies?.map((p) => p.policyName)).toEqual(["burst", "cpu", "queue", "requests"]);
    expect(status?.scheduledActions).toEqual([{ scheduledActionName: "night", schedule: "cron(0 22 * * ? *)" }]);
    expect(status?.scalingActivities?.map((a) => a.description)).toEqual(["Setting desired count to 7.", "Setting desired count to 6.", "Setting desired count to 5.", "Setting desired count to 4.", "Setting desired count to 3."]);
    expect(status?.scalingActivities?.[0]).toEqual({ startTime: "2025-01-01T00:07:00.000Z", statusCode: "Successful", description: "Setting desired count to 7.", cause: "monitor alarm high in state ALARM triggered policy cpu" });
    expect(status).not.toHaveProperty("suspendedState");
    // The service's status carries it, and none once no target is registered.
    const service = { serviceName: "team_web", status: "ACTIVE", desiredCount: 7 };
    expect(serviceStatus({ service, desiredTaskDefinition: "web:1", scaling: observed })).toMatchObject({ desiredCount: 7, autoScaling: { range: "2-10" } });
    expect(serviceStatus({ service, desiredTaskDefinition: "web:1", scaling: { resourceId: RESOURCE, tags: {}, policies: [], scheduledActions: [], activities: [] } })).not.toHaveProperty("autoScaling");
  });

  it("reads activities on the first look, after the count or limits moved (not more than once a minute), and once a period otherwise", () => {
    const minute = 60_000;
    const period = 10 * minute;
    expect(activitiesDue(undefined, "2/2/10", 0, minute, period)).toBe(true);
    const last = { at: 0, fingerprint: "2/2/10" };
    expect(activitiesDue(last, "2/2/10", 5 * minute, minute, period)).toBe(false);
    expect(activitiesDue(last, "4/2/10", 30_000, minute, period)).toBe(false);
    expect(activitiesDue(last, "4/2/10", minute, minute, period)).toBe(true);
    expect(activitiesDue(last, "2/2/10", period, minute, period)).toBe(true);
  });
});
