// The Application Auto Scaling of an EcsService (spec.autoScaling, docs/design.md section 9): pure
// functions from the spec and AWS's answers to AWS inputs, differences and status. The I/O is in
// autoscaling-driver.ts; the service's driver calls both.
import type {
  PutScalingPolicyCommandInput,
  PutScheduledActionCommandInput,
  ScalableTarget,
  ScalingActivity,
  ScalingPolicy,
  ScheduledAction,
  SuspendedState,
} from "@aws-sdk/client-application-auto-scaling";
import type { AutoScalingSpec, AutoScalingStatus } from "../../api/ecsservice-autoscaling.js";
import type { EcsServiceSpec } from "../../api/ecsservice.js";
import { ownershipOf, tagDiff, type Ownership, type TagChange } from "../../aws/tags.js";

export const SERVICE_NAMESPACE = "ecs";
export const SCALABLE_DIMENSION = "ecs:service:DesiredCount";

/** Application Auto Scaling's default cooldowns for ECS services (API reference, TargetTrackingScalingPolicyConfiguration, StepScalingPolicyConfiguration). */
const DEFAULT_COOLDOWN = 300;
/** What a scheduled action without a time zone runs in. */
const DEFAULT_TIMEZONE = "UTC";
/** The scaling activities kept in status. */
export const ACTIVITIES_KEPT = 5;

/** The scalable target's ResourceId: service/<cluster name>/<service name>, whether the cluster is given by name or ARN. */
export function scalableResourceId(cluster: string, service: string): string {
  return `service/${cluster.split("/").pop() ?? cluster}/${service}`;
}

/**
 * The count a service is created with. Without autoScaling: desiredCount, else 1. With it:
 * desiredCount (CEL holds it within the limits), else minCapacity, but at least one task if the
 * limits allow it. Never applied again once the service exists: Application Auto Scaling owns it.
 */
export function initialDesiredCount(spec: EcsServiceSpec): number {
  const scaling = spec.autoScaling;
  if (spec.desiredCount !== undefined) return spec.desiredCount;
  if (!scaling) return 1;
  return Math.min(scaling.maxCapacity, Math.max(1, scaling.minCapacity));
}

/**
 * The ResourceLabel of ALBRequestCountPerTarget, from the load balancer's and the target group's
 * ARNs: app/<lb-name>/<lb-id>/targetgroup/<tg-name>/<tg-id>.
 */
export function albResourceLabel(loadBalancerArn: string, targetGroupArn: string): string | undefined {
  const lb = /:loadbalancer\/(app\/[^/]+\/[^/]+)$/.exec(loadBalancerArn)?.[1];
  const tg = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn)?.[1];
  return lb !== undefined && tg !== undefined ? `${lb}/${tg}` : undefined;
}

/** What the spec wants in AWS. */
export interface DesiredScaling {
  resourceId: string;
  minCapacity: number;
  maxCapacity: number;
  suspendedState: Required<{ [K in keyof SuspendedState]: boolean }>;
  policies: PutScalingPolicyCommandInput[];
  scheduledActions: PutScheduledActionCommandInput[];
  tags: Record<string, string>;
}

/** What was found in AWS for one service. `target` undefined: no scalable target is registered. */
export interface ObservedScaling {
  resourceId: string;
  target?: ScalableTarget;
  /** The target's tags (empty without a target). */
  tags: Record<string, string>;
  policies: ScalingPolicy[];
  scheduledActions: ScheduledAction[];
  /** The last activities read, newest first (they are read less often than the rest). */
  activities: ScalingActivity[];
}

const ids = (resourceId: string) => ({ ServiceNamespace: SERVICE_NAMESPACE, ResourceId: resourceId, ScalableDimension: SCALABLE_DIMENSION }) as const;

/**
 * The AWS inputs for spec.autoScaling. `resourceLabels[i]` is the ResourceLabel of
 * targetTracking[i] when it counts the requests of a target group (from targetGroupRef or the
 * literal resourceLabel); only the fields the spec sets are sent, AWS fills its defaults.
 */
export function desiredScaling(scaling: AutoScalingSpec, resourceId: string, resourceLabels: readonly (string | undefined)[], tags: Record<string, string>): DesiredScaling {
  const suspended = scaling.suspendedState ?? {};
  const targetTracking: PutScalingPolicyCommandInput[] = (scaling.targetTracking ?? []).map((t, i) => {
    const predefined = t.predefinedMetricSpecification;
    const custom = t.customizedMetricSpecification;
    const label = resourceLabels[i] ?? predefined?.resourceLabel;
    return {
      PolicyName: t.policyName,
      ...ids(resourceId),
      PolicyType: "TargetTrackingScaling",
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: t.targetValue,
        ...(predefined ? { PredefinedMetricSpecification: { PredefinedMetricType: predefined.predefinedMetricType, ...(label !== undefined ? { ResourceLabel: label } : {}) } } : {}),
        ...(custom
          ? {
              CustomizedMetricSpecification: {
                MetricName: custom.metricName,
                Namespace: custom.namespace,
                ...(custom.dimensions ? { Dimensions: custom.dimensions.map((d) => ({ Name: d.name, Value: d.value })) } : {}),
                ...(custom.statistic !== undefined ? { Statistic: custom.statistic } : {}),
                ...(custom.unit !== undefined ? { Unit: custom.unit } : {}),
              },
            }
          : {}),
        ...(t.scaleInCooldown !== undefined ? { ScaleInCooldown: t.scaleInCooldown } : {}),
        ...(t.scaleOutCooldown !== undefined ? { ScaleOutCooldown: t.scaleOutCooldown } : {}),
        ...(t.disableScaleIn !== undefined ? { DisableScaleIn: t.disableScaleIn } : {}),
      },
    };
  });
  const stepScaling: PutScalingPolicyCommandInput[] = (scaling.stepScaling ?? []).map((s) => ({
    PolicyName: s.policyName,
    ...ids(resourceId),
    PolicyType: "StepScaling",
    StepScalingPolicyConfiguration: {
      AdjustmentType: s.adjustmentType,
      StepAdjustments: s.stepAdjustments.map((a) => ({
        ...(a.metricIntervalLowerBound !== undefined ? { MetricIntervalLowerBound: a.metricIntervalLowerBound } : {}),
        ...(a.metricIntervalUpperBound !== undefined ? { MetricIntervalUpperBound: a.metricIntervalUpperBound } : {}),
        ScalingAdjustment: a.scalingAdjustment,
      })),
      ...(s.minAdjustmentMagnitude !== undefined ? { MinAdjustmentMagnitude: s.minAdjustmentMagnitude } : {}),
      ...(s.cooldown !== undefined ? { Cooldown: s.cooldown } : {}),
      ...(s.metricAggregationType !== undefined ? { MetricAggregationType: s.metricAggregationType } : {}),
    },
  }));
  const scheduledActions: PutScheduledActionCommandInput[] = (scaling.scheduledActions ?? []).map((a) => ({
    ScheduledActionName: a.scheduledActionName,
    ...ids(resourceId),
    Schedule: a.schedule,
    ...(a.timezone !== undefined ? { Timezone: a.timezone } : {}),
    ...(a.startTime !== undefined ? { StartTime: new Date(a.startTime) } : {}),
    ...(a.endTime !== undefined ? { EndTime: new Date(a.endTime) } : {}),
    ScalableTargetAction: {
      ...(a.scalableTargetAction.minCapacity !== undefined ? { MinCapacity: a.scalableTargetAction.minCapacity } : {}),
      ...(a.scalableTargetAction.maxCapacity !== undefined ? { MaxCapacity: a.scalableTargetAction.maxCapacity } : {}),
    },
  }));
  return {
    resourceId,
    minCapacity: scaling.minCapacity,
    maxCapacity: scaling.maxCapacity,
    suspendedState: {
      DynamicScalingInSuspended: suspended.dynamicScalingInSuspended ?? false,
      DynamicScalingOutSuspended: suspended.dynamicScalingOutSuspended ?? false,
      ScheduledScalingSuspended: suspended.scheduledScalingSuspended ?? false,
    },
    policies: [...targetTracking, ...stepScaling],
    scheduledActions,
    tags,
  };
}

/** Whose scalable target this is, by its uid tag; "absent" when none is registered. */
export function scalingOwnership(observed: ObservedScaling | undefined, uid: string): Ownership | "absent" {
  if (!observed?.target) return "absent";
  return ownershipOf(observed.tags, uid);
}

/** JSON with sorted keys and no undefined members: equal configurations compare equal. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof Date)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined && x !== null).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

const iso = (t: Date | string | number | null | undefined): string | undefined => (t === undefined || t === null ? undefined : new Date(t).toISOString());

/** A policy's configuration with AWS's defaults filled in, as both sides are compared. */
function normalisedPolicy(p: Partial<Pick<ScalingPolicy, "PolicyType" | "TargetTrackingScalingPolicyConfiguration" | "StepScalingPolicyConfiguration">>): string {
  const tt = p.TargetTrackingScalingPolicyConfiguration;
  const step = p.StepScalingPolicyConfiguration;
  return canonical({
    type: p.PolicyType,
    targetTracking: tt && {
      ...tt,
      CustomizedMetricSpecification: tt.CustomizedMetricSpecification && {
        ...tt.CustomizedMetricSpecification,
        Dimensions: [...(tt.CustomizedMetricSpecification.Dimensions ?? [])].sort((a, b) => String(a.Name).localeCompare(String(b.Name))),
      },
      ScaleInCooldown: tt.ScaleInCooldown ?? DEFAULT_COOLDOWN,
      ScaleOutCooldown: tt.ScaleOutCooldown ?? DEFAULT_COOLDOWN,
      DisableScaleIn: tt.DisableScaleIn ?? false,
    },
    step: step && {
      ...step,
      StepAdjustments: [...(step.StepAdjustments ?? [])].sort((a, b) => (a.MetricIntervalLowerBound ?? -Infinity) - (b.MetricIntervalLowerBound ?? -Infinity)),
      Cooldown: step.Cooldown ?? DEFAULT_COOLDOWN,
      MetricAggregationType: step.MetricAggregationType ?? "Average",
    },
  });
}

function normalisedScheduledAction(a: Partial<Pick<ScheduledAction, "Schedule" | "Timezone" | "StartTime" | "EndTime" | "ScalableTargetAction">>): string {
  return canonical({
    Schedule: a.Schedule,
    Timezone: a.Timezone ?? DEFAULT_TIMEZONE,
    StartTime: iso(a.StartTime),
    EndTime: iso(a.EndTime),
    ScalableTargetAction: a.ScalableTargetAction ?? {},
  });
}

function normalisedSuspended(s: SuspendedState | undefined): string {
  return canonical({ in: s?.DynamicScalingInSuspended ?? false, out: s?.DynamicScalingOutSuspended ?? false, scheduled: s?.ScheduledScalingSuspended ?? false });
}

export interface ScalingDiff {
  /** RegisterScalableTarget with the ownership tags: no target is registered. */
  register: boolean;
  /** RegisterScalableTarget of the existing target: these of its limits differ. */
  limits: string[];
  putPolicies: PutScalingPolicyCommandInput[];
  /** Policies to delete: not in the spec, or of another type than the spec's. */
  deletePolicies: string[];
  putScheduledActions: PutScheduledActionCommandInput[];
  deleteScheduledActions: string[];
  tags: TagChange;
  /** The spec has no autoScaling (any more): the target goes, and with it its policies and actions. */
  deregister: boolean;
}

const NOTHING: ScalingDiff = { register: false, limits: [], putPolicies: [], deletePolicies: [], putScheduledActions: [], deleteScheduledActions: [], tags: { set: {}, remove: [] }, deregister: false };

/**
 * What must change to make AWS match the spec, on a target that is ours or absent (ownership is
 * decided before: a target that is not ours is never changed). Every policy and scheduled action
 * on our target is the spec's to decide, so one that the spec does not name is deleted.
 */
export function diffScaling(desired: DesiredScaling | undefined, observed: ObservedScaling | undefined): ScalingDiff {
  if (!desired) return { ...NOTHING, deregister: observed?.target !== undefined };
  if (!observed?.target) {
    return { ...NOTHING, register: true, putPolicies: desired.policies, putScheduledActions: desired.scheduledActions };
  }
  const target = observed.target;
  const limits = [
    ...(target.MinCapacity !== desired.minCapacity ? [`minCapacity ${String(desired.minCapacity)} (${String(target.MinCapacity)} in AWS)`] : []),
    ...(target.MaxCapacity !== desired.maxCapacity ? [`maxCapacity ${String(desired.maxCapacity)} (${String(target.MaxCapacity)} in AWS)`] : []),
    ...(normalisedSuspended(target.SuspendedState) !== normalisedSuspended(desired.suspendedState) ? ["suspendedState"] : []),
  ];
  const havePolicies = new Map(observed.policies.map((p) => [p.PolicyName ?? "", p]));
  const wantPolicies = new Set(desired.policies.map((p) => p.PolicyName));
  const deletePolicies = [...havePolicies.values()]
    .filter((p) => !wantPolicies.has(p.PolicyName) || desired.policies.some((w) => w.PolicyName === p.PolicyName && w.PolicyType !== p.PolicyType))
    .map((p) => p.PolicyName ?? "");
  const putPolicies = desired.policies.filter((w) => {
    const have = havePolicies.get(w.PolicyName ?? "");
    return !have || normalisedPolicy(have) !== normalisedPolicy(w);
  });
  const haveActions = new Map(observed.scheduledActions.map((a) => [a.ScheduledActionName ?? "", a]));
  const wantActions = new Set(desired.scheduledActions.map((a) => a.ScheduledActionName));
  const deleteScheduledActions = [...haveActions.keys()].filter((name) => !wantActions.has(name));
  const putScheduledActions = desired.scheduledActions.filter((w) => {
    const have = haveActions.get(w.ScheduledActionName ?? "");
    return !have || normalisedScheduledAction(have) !== normalisedScheduledAction(w);
  });
  return { ...NOTHING, limits, putPolicies, deletePolicies, putScheduledActions, deleteScheduledActions, tags: tagDiff(observed.tags, desired.tags) };
}

/** The differences, for Events and for observe's verdict; empty when AWS matches the spec. */
export function describeScalingDiff(diff: ScalingDiff, desired: DesiredScaling | undefined): string[] {
  if (diff.deregister) return ["autoScaling removed from the spec: deregister the scalable target"];
  if (diff.register && desired) {
    return [`autoScaling: register the scalable target (minCapacity ${String(desired.minCapacity)}, maxCapacity ${String(desired.maxCapacity)}), ${String(diff.putPolicies.length)} policies, ${String(diff.putScheduledActions.length)} scheduled actions`];
  }
  const deleted = new Set(diff.deletePolicies);
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove].sort();
  return [
    ...diff.limits.map((l) => `autoScaling ${l}`),
    ...diff.putPolicies.map((p) => `autoScaling policy ${p.PolicyName ?? ""}${deleted.has(p.PolicyName ?? "") ? " (its type changed)" : ""}`),
    ...diff.deletePolicies.filter((name) => !diff.putPolicies.some((p) => p.PolicyName === name)).map((name) => `autoScaling policy ${name} (not in the spec: deleted)`),
    ...diff.putScheduledActions.map((a) => `autoScaling scheduled action ${a.ScheduledActionName ?? ""}`),
    ...diff.deleteScheduledActions.map((name) => `autoScaling scheduled action ${name} (not in the spec: deleted)`),
    ...(tagKeys.length > 0 ? [`autoScaling tags (${tagKeys.join(", ")})`] : []),
  ];
}

/** status.autoScaling: what is in force, or undefined when no target is registered. */
export function scalingStatus(observed: ObservedScaling | undefined): AutoScalingStatus | undefined {
  const target = observed?.target;
  if (!observed || !target) return undefined;
  const min = target.MinCapacity ?? 0;
  const max = target.MaxCapacity ?? 0;
  const s = target.SuspendedState;
  return {
    resourceId: observed.resourceId,
    ...(target.ScalableTargetARN ? { scalableTargetARN: target.ScalableTargetARN } : {}),
    minCapacity: min,
    maxCapacity: max,
    range: `${String(min)}-${String(max)}`,
    ...(s && (s.DynamicScalingInSuspended || s.DynamicScalingOutSuspended || s.ScheduledScalingSuspended)
      ? { suspendedState: { dynamicScalingInSuspended: s.DynamicScalingInSuspended ?? false, dynamicScalingOutSuspended: s.DynamicScalingOutSuspended ?? false, scheduledScalingSuspended: s.ScheduledScalingSuspended ?? false } }
      : {}),
    policies: observed.policies
      .map((p) => ({ policyName: p.PolicyName ?? "", policyType: p.PolicyType ?? "", policyARN: p.PolicyARN ?? "" }))
      .sort((a, b) => a.policyName.localeCompare(b.policyName)),
    scheduledActions: observed.scheduledActions.map((a) => ({ scheduledActionName: a.ScheduledActionName ?? "", schedule: a.Schedule ?? "" })).sort((a, b) => a.scheduledActionName.localeCompare(b.scheduledActionName)),
    scalingActivities: newestActivities(observed.activities).map((a) => ({
      startTime: iso(a.StartTime) ?? "",
      ...(a.EndTime ? { endTime: iso(a.EndTime) } : {}),
      statusCode: a.StatusCode ?? "",
      description: a.Description ?? "",
      ...(a.Cause ? { cause: a.Cause } : {}),
      ...(a.StatusMessage ? { statusMessage: a.StatusMessage } : {}),
    })),
  };
}

/** The last few activities, newest first, whatever order AWS listed them in. */
export function newestActivities(activities: readonly ScalingActivity[]): ScalingActivity[] {
  return [...activities].sort((a, b) => (iso(b.StartTime) ?? "").localeCompare(iso(a.StartTime) ?? "")).slice(0, ACTIVITIES_KEPT);
}

/**
 * Whether the scaling activities are worth reading now: never read yet; the count or the limits
 * moved since the last read (a scaling happened: say why), but not more often than `minIntervalMs`;
 * or the last read is older than `periodMs` (activities that changed nothing, such as failures).
 */
export function activitiesDue(last: { at: number; fingerprint: string } | undefined, fingerprint: string, now: number, minIntervalMs: number, periodMs: number): boolean {
  if (!last) return true;
  const age = now - last.at;
  return (last.fingerprint !== fingerprint && age >= minIntervalMs) || age >= periodMs;
}
