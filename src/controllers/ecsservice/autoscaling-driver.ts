// The thin I/O half of an EcsService's Application Auto Scaling (the decisions are in
// autoscaling.ts). Reads are shared across the services of one account and region, as the
// service's own are: scalable targets 50 per DescribeScalableTargets; policies and scheduled
// actions from one listing of the namespace when re-checks come in numbers (SharedListing);
// tags once per target and period; scaling activities, which the API gives one service at a
// time, only when the count or the limits moved, or every ACTIVITY_PERIOD_MS otherwise.
import {
  DeleteScalingPolicyCommand,
  DeleteScheduledActionCommand,
  DeregisterScalableTargetCommand,
  DescribeScalableTargetsCommand,
  DescribeScalingActivitiesCommand,
  DescribeScalingPoliciesCommand,
  DescribeScheduledActionsCommand,
  ListTagsForResourceCommand,
  PutScalingPolicyCommand,
  PutScheduledActionCommand,
  RegisterScalableTargetCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type ApplicationAutoScalingClient,
  type ScalableTarget,
  type ScalingActivity,
  type ScalingPolicy,
  type ScheduledAction,
} from "@aws-sdk/client-application-auto-scaling";
import { DescribeTargetGroupsCommand, type ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EcsService } from "../../api/ecsservice.js";
import { BatchedReader } from "../../aws/batched-reader.js";
import { awsCall, unlessAbsent } from "../../aws/errors.js";
import { SharedListing } from "../../aws/shared-listing.js";
import { applyTagChange } from "../../aws/tags.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { Lookup } from "../../runtime/references.js";
import type { DriverSettings } from "../index.js";
import {
  ACTIVITIES_KEPT,
  activitiesDue,
  albResourceLabel,
  desiredScaling,
  diffScaling,
  SCALABLE_DIMENSION,
  scalingOwnership,
  SERVICE_NAMESPACE,
  type DesiredScaling,
  type ObservedScaling,
} from "./autoscaling.js";

/** DescribeScalableTargets takes at most 50 resource ids. */
const TARGETS_BATCH = 50;
/** The most DescribeScalingPolicies and DescribeScheduledActions return per page. */
const PAGE = 50;
/** Activities are read at least this often (failures move no count), whatever the re-check period. */
const ACTIVITY_PERIOD_MS = 10 * 60_000;
/** A target's tags (its ownership) are read again after this long; our own tag writes are seen at once. */
const TAGS_PERIOD_MS = 10 * 60_000;

export interface ServiceScaling {
  /** Whether to look at the service's scaling at all: declared, recorded in status, or being deleted. */
  wanted(obj: EcsService): boolean;
  /**
   * What AWS has for the service. `desiredCount` is the service's count now: a change since the
   * last look means a scaling happened, and the activities are read to say why.
   */
  observe(obj: EcsService, resourceId: string, desiredCount: number | undefined): Promise<ObservedScaling>;
  /** The spec's scaling in AWS's terms; undefined without spec.autoScaling. */
  desired(obj: EcsService, resourceId: string, tags: Record<string, string>, scalingTargetGroupArns: readonly (string | undefined)[]): Promise<DesiredScaling | undefined>;
  /** Makes AWS match `desired` (undefined: deregisters), on a target that is ours, absent, or adopted on request. */
  converge(obj: EcsService, desired: DesiredScaling | undefined, observed: ObservedScaling | undefined): Promise<void>;
  /** Deregisters the target if it is ours (its policies and scheduled actions go with it). */
  remove(obj: EcsService, observed: ObservedScaling | undefined): Promise<void>;
}

export function serviceScaling(aas: ApplicationAutoScalingClient, elbv2: ElasticLoadBalancingV2Client, lookup: Lookup, settings: DriverSettings): ServiceScaling {
  const maxAgeMs = Math.min(10_000, settings.resyncMs / 2);
  const ids = { ServiceNamespace: SERVICE_NAMESPACE, ScalableDimension: SCALABLE_DIMENSION } as const;

  const targets = new BatchedReader<ScalableTarget>({
    maxBatch: TARGETS_BATCH,
    maxAgeMs,
    fetch: async (_group, resourceIds) => {
      const out = await awsCall("DescribeScalableTargets", () => aas.send(new DescribeScalableTargetsCommand({ ...ids, ResourceIds: resourceIds })));
      return new Map((out.ScalableTargets ?? []).map((t) => [t.ResourceId ?? "", t]));
    },
    // The other services of this account and region whose scaling is recorded: read in the same call.
    candidates: () =>
      lookup
        .list("EcsService")
        .map((o) => (o.status as EcsService["status"])?.autoScaling?.resourceId)
        .filter((id): id is string => id !== undefined),
  });

  /** Every page of a Describe call, grouped by resource id. */
  const grouped = async <T extends { ResourceId?: string | undefined }>(
    operation: string,
    page: (token: string | undefined) => Promise<{ items: T[]; next?: string | undefined }>,
  ): Promise<{ groups: Map<string, T[]>; calls: number }> => {
    const groups = new Map<string, T[]>();
    let token: string | undefined;
    let calls = 0;
    do {
      const out = await awsCall(operation, () => page(token));
      calls += 1;
      for (const item of out.items) groups.set(item.ResourceId ?? "", [...(groups.get(item.ResourceId ?? "") ?? []), item]);
      token = out.next;
    } while (token);
    return { groups, calls };
  };

  const policyPage = (resourceId: string | undefined) => async (token: string | undefined) => {
    const out = await aas.send(new DescribeScalingPoliciesCommand({ ...ids, ...(resourceId ? { ResourceId: resourceId } : {}), MaxResults: PAGE, ...(token ? { NextToken: token } : {}) }));
    return { items: (out.ScalingPolicies ?? []).filter((p) => p.ScalableDimension === SCALABLE_DIMENSION), next: out.NextToken };
  };
  const policies = new SharedListing<ScalingPolicy[]>({
    maxAgeMs,
    empty: [],
    listGroup: async (resourceId) => (await grouped("DescribeScalingPolicies", policyPage(resourceId))).groups.get(resourceId) ?? [],
    listAll: () => grouped("DescribeScalingPolicies", policyPage(undefined)),
  });

  const actionPage = (resourceId: string | undefined) => async (token: string | undefined) => {
    const out = await aas.send(new DescribeScheduledActionsCommand({ ...ids, ...(resourceId ? { ResourceId: resourceId } : {}), MaxResults: PAGE, ...(token ? { NextToken: token } : {}) }));
    return { items: (out.ScheduledActions ?? []).filter((a) => a.ScalableDimension === undefined || a.ScalableDimension === SCALABLE_DIMENSION), next: out.NextToken };
  };
  const scheduledActions = new SharedListing<ScheduledAction[]>({
    maxAgeMs,
    empty: [],
    listGroup: async (resourceId) => (await grouped("DescribeScheduledActions", actionPage(resourceId))).groups.get(resourceId) ?? [],
    listAll: () => grouped("DescribeScheduledActions", actionPage(undefined)),
  });

  /** By target ARN: a target registered again has another ARN, and is read afresh. */
  const tagCache = new Map<string, { at: number; tags: Record<string, string> }>();
  const tagsOf = async (arn: string): Promise<Record<string, string>> => {
    const cached = tagCache.get(arn);
    if (cached && Date.now() - cached.at < TAGS_PERIOD_MS) return cached.tags;
    const out = await unlessAbsent("ListTagsForResource", () => aas.send(new ListTagsForResourceCommand({ ResourceARN: arn })), "ResourceNotFoundException");
    const tags = out?.Tags ?? {};
    tagCache.set(arn, { at: Date.now(), tags });
    return tags;
  };

  /** By resource id: the last activities read, when, and what the count and limits were then. */
  const activityCache = new Map<string, { at: number; fingerprint: string; activities: ScalingActivity[] }>();
  const activityReads = new Map<string, Promise<ScalingActivity[]>>();
  const activitiesOf = async (resourceId: string, fingerprint: string): Promise<ScalingActivity[]> => {
    const last = activityCache.get(resourceId);
    if (!activitiesDue(last, fingerprint, Date.now(), Math.min(60_000, settings.resyncMs), Math.max(ACTIVITY_PERIOD_MS, settings.resyncMs))) return last?.activities ?? [];
    // Concurrent looks at one service (a restart, a burst of events) share one call.
    let read = activityReads.get(resourceId);
    if (!read) {
      read = awsCall("DescribeScalingActivities", () => aas.send(new DescribeScalingActivitiesCommand({ ...ids, ResourceId: resourceId, MaxResults: ACTIVITIES_KEPT })))
        .then((out) => out.ScalingActivities ?? [])
        .finally(() => activityReads.delete(resourceId));
      activityReads.set(resourceId, read);
    }
    const activities = await read;
    activityCache.set(resourceId, { at: Date.now(), fingerprint, activities });
    return activities;
  };

  const forget = (resourceId: string, arn: string | undefined): void => {
    targets.invalidate(SERVICE_NAMESPACE, resourceId);
    policies.invalidate(resourceId);
    scheduledActions.invalidate(resourceId);
    if (arn) tagCache.delete(arn);
  };

  /**
   * The load balancer of a target group the operator manages: from its status, without a call;
   * else (its status is from before a listener forwarded to it) from ELBv2, one call.
   */
  const loadBalancerOf = async (targetGroupArn: string): Promise<string | undefined> => {
    const tg = lookup.list("TargetGroup").find((o) => o.status?.arn === targetGroupArn);
    const arns = tg?.status?.loadBalancerArns;
    if (Array.isArray(arns) && typeof arns[0] === "string") return arns[0];
    const out = await unlessAbsent("DescribeTargetGroups", () => elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [targetGroupArn] })), "TargetGroupNotFoundException");
    return out?.TargetGroups?.[0]?.LoadBalancerArns?.[0];
  };

  const remove = async (obj: EcsService, observed: ObservedScaling | undefined): Promise<void> => {
    if (!observed?.target || scalingOwnership(observed, obj.metadata.uid) !== "ours") return;
    await unlessAbsent("DeregisterScalableTarget", () => aas.send(new DeregisterScalableTargetCommand({ ...ids, ResourceId: observed.resourceId })), "ObjectNotFoundException");
    forget(observed.resourceId, observed.target.ScalableTargetARN);
    activityCache.delete(observed.resourceId);
  };

  return {
    remove,

    wanted: (obj) => obj.spec.autoScaling !== undefined || obj.status?.autoScaling !== undefined || obj.metadata.deletionTimestamp !== undefined,

    async observe(obj, resourceId, desiredCount) {
      const target = await targets.read(SERVICE_NAMESPACE, resourceId);
      if (!target) return { resourceId, tags: {}, policies: [], scheduledActions: [], activities: [] };
      const tags = target.ScalableTargetARN ? await tagsOf(target.ScalableTargetARN) : {};
      const base = { resourceId, target, tags, policies: [], scheduledActions: [], activities: [] };
      // A target that is not ours is read no further than its tags.
      if (scalingOwnership(base, obj.metadata.uid) !== "ours") return base;
      const [p, a] = await Promise.all([policies.read(resourceId), scheduledActions.read(resourceId)]);
      const fingerprint = `${String(desiredCount)}/${String(target.MinCapacity)}/${String(target.MaxCapacity)}`;
      const activities = obj.metadata.deletionTimestamp ? [] : await activitiesOf(resourceId, fingerprint);
      return { ...base, policies: p, scheduledActions: a, activities };
    },

    async desired(obj, resourceId, tags, scalingTargetGroupArns) {
      const scaling = obj.spec.autoScaling;
      if (!scaling) return undefined;
      const labels: (string | undefined)[] = [];
      for (const [i, t] of (scaling.targetTracking ?? []).entries()) {
        const tgArn = scalingTargetGroupArns[i];
        if (tgArn === undefined) {
          labels.push(undefined);
          continue;
        }
        const lb = await loadBalancerOf(tgArn);
        const label = lb !== undefined ? albResourceLabel(lb, tgArn) : undefined;
        if (label === undefined) {
          // Retried with backoff until a listener or rule of an ALB forwards to it.
          throw new ReconcileError(
            `TargetGroup ${obj.metadata.namespace}/${t.predefinedMetricSpecification?.targetGroupRef?.name ?? ""} (spec.autoScaling.targetTracking[${String(i)}]) to be attached to an Application Load Balancer: ALBRequestCountPerTarget counts its requests`,
            "retryable",
            "WaitingForDependency",
          );
        }
        labels.push(label);
      }
      return desiredScaling(scaling, resourceId, labels, tags);
    },

    async converge(obj, desired, observed) {
      const resourceId = desired?.resourceId ?? observed?.resourceId ?? "";
      const ownership = scalingOwnership(observed, obj.metadata.uid);
      const arn = observed?.target?.ScalableTargetARN;
      if (ownership === "foreign" || (ownership === "unowned" && desired === undefined)) return;
      let current = observed;
      if (ownership === "unowned") {
        if (obj.spec.adopt !== true) {
          throw new ReconcileError(
            `the scalable target ${resourceId} is registered without ecs-operator owner tags (by another tool?); set spec.adopt: true to take it over with its policies, or deregister it`,
            "retryable",
            "ConflictExistingResource",
          );
        }
        await awsCall("TagResource", () => aas.send(new TagResourceCommand({ ResourceARN: arn ?? "", Tags: desired?.tags ?? {} })));
        if (current) current = { ...current, tags: { ...current.tags, ...desired?.tags } };
      }
      const diff = diffScaling(desired, current);
      if (diff.deregister) {
        await remove(obj, current);
        return;
      }
      if (!desired) return;
      const limits = { ...ids, ResourceId: resourceId, MinCapacity: desired.minCapacity, MaxCapacity: desired.maxCapacity, SuspendedState: desired.suspendedState };
      if (diff.register) await awsCall("RegisterScalableTarget", () => aas.send(new RegisterScalableTargetCommand({ ...limits, Tags: desired.tags })));
      else if (diff.limits.length > 0) await awsCall("RegisterScalableTarget", () => aas.send(new RegisterScalableTargetCommand(limits)));
      if (arn) {
        await applyTagChange(diff.tags, {
          tag: (set) => awsCall("TagResource", () => aas.send(new TagResourceCommand({ ResourceARN: arn, Tags: set }))),
          untag: (keys) => awsCall("UntagResource", () => aas.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: keys }))),
        });
      }
      for (const name of diff.deletePolicies) {
        await unlessAbsent("DeleteScalingPolicy", () => aas.send(new DeleteScalingPolicyCommand({ ...ids, ResourceId: resourceId, PolicyName: name })), "ObjectNotFoundException");
      }
      for (const input of diff.putPolicies) await awsCall("PutScalingPolicy", () => aas.send(new PutScalingPolicyCommand(input)));
      for (const name of diff.deleteScheduledActions) {
        await unlessAbsent("DeleteScheduledAction", () => aas.send(new DeleteScheduledActionCommand({ ...ids, ResourceId: resourceId, ScheduledActionName: name })), "ObjectNotFoundException");
      }
      for (const input of diff.putScheduledActions) await awsCall("PutScheduledAction", () => aas.send(new PutScheduledActionCommand(input)));
      forget(resourceId, arn);
    },
  };
}
