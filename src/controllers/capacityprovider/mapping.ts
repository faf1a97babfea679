import type { CapacityProvider as AwsCapacityProvider, Cluster, CreateCapacityProviderCommandInput, UpdateCapacityProviderCommandInput } from "@aws-sdk/client-ecs";
import type { CapacityProvider, CapacityProviderSpec, CapacityProviderStatus } from "../../api/capacityprovider.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, fromLowerTagList, tagDiff, toLowerTagList } from "../../aws/tags.js";
import type { Readiness } from "../../runtime/driver.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";

export const KIND = "CapacityProvider";

/** ECS reserves names starting with these (any case). */
const RESERVED_PREFIXES = ["aws", "ecs", "fargate"];

/**
 * The capacity provider's AWS name: the spec's, else `<namespace>_<name>`, with `cp-` in front
 * where that would start with a prefix ECS reserves (a namespace called "ecs-prod").
 */
export function capacityProviderName(obj: CapacityProvider): string {
  if (obj.spec.name) return obj.spec.name;
  const derived = derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 252, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" });
  return RESERVED_PREFIXES.some((p) => derived.toLowerCase().startsWith(p)) ? `cp-${derived}` : derived;
}

export function capacityProviderTags(obj: CapacityProvider): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/** A Managed Instances provider's cluster, declared once (docs/adding-a-kind.md). */
export const capacityProviderReferences = {
  cluster: { kind: "EcsCluster", statusField: "clusterName", path: "spec.clusterRef", names: (s: CapacityProviderSpec) => [s.clusterRef?.name] },
} satisfies ReferenceFields<CapacityProviderSpec>;

export type CapacityProviderRefs = ReferenceValues<typeof capacityProviderReferences>;

export interface CapacityProviderDeps {
  /** [managedInstancesProvider] The cluster it belongs to; undefined for an Auto Scaling group provider. */
  cluster?: string;
}

export function resolveCapacityProvider(obj: CapacityProvider, refs: CapacityProviderRefs): CapacityProviderDeps {
  const cluster = obj.spec.cluster ?? refs.cluster[0];
  return cluster !== undefined ? { cluster } : {};
}

/**
 * Where the provider of an object being deleted is: found by name (a Managed Instances one within
 * its cluster, from status, the spec, or the EcsCluster object whatever its readiness). A Managed
 * Instances provider whose cluster nobody knows cannot be looked for.
 */
export function locateCapacityProvider(obj: CapacityProvider, refs: CapacityProviderRefs): CapacityProviderDeps | { unlocated: string } {
  if (!obj.spec.managedInstancesProvider) return {};
  const cluster = obj.status?.cluster ?? obj.spec.cluster ?? refs.cluster[0];
  if (cluster === undefined) return { unlocated: `the cluster of this Managed Instances capacity provider is unknown: status has no cluster and EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef?.name ?? ""} shows no clusterName` };
  return { cluster };
}

export function createCapacityProviderInput(obj: CapacityProvider, deps: CapacityProviderDeps): CreateCapacityProviderCommandInput {
  const s = obj.spec;
  return {
    name: capacityProviderName(obj),
    ...(s.autoScalingGroupProvider ? { autoScalingGroupProvider: s.autoScalingGroupProvider } : {}),
    ...(s.managedInstancesProvider ? { managedInstancesProvider: s.managedInstancesProvider, ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}) } : {}),
    tags: toLowerTagList(capacityProviderTags(obj)),
  };
}

/** What UpdateCapacityProvider takes: everything but the group's ARN, the Spot choice and FIPS, which are fixed at creation. */
export function updateCapacityProviderInput(obj: CapacityProvider, deps: CapacityProviderDeps): UpdateCapacityProviderCommandInput {
  const s = obj.spec;
  const asg = s.autoScalingGroupProvider;
  const mi = s.managedInstancesProvider;
  const template = mi ? (({ capacityOptionType: _spot, fipsEnabled: _fips, ...rest }) => rest)(mi.instanceLaunchTemplate) : undefined;
  return {
    name: capacityProviderName(obj),
    ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}),
    ...(asg ? { autoScalingGroupProvider: (({ autoScalingGroupArn: _arn, ...rest }) => rest)(asg) } : {}),
    ...(mi && template ? { managedInstancesProvider: { ...mi, instanceLaunchTemplate: template } } : {}),
  };
}

/** ECS's defaults for what a spec leaves out, so that an omitted field is not a difference. */
const MANAGED_SCALING_DEFAULTS = { status: "DISABLED", targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300 };

/** Only the parts of `have` that `want` sets, so that AWS's defaults for the rest compare equal. */
function setFieldsOnly(want: unknown, have: unknown): unknown {
  if (want === null || typeof want !== "object" || Array.isArray(want) || have === null || typeof have !== "object" || Array.isArray(have)) return have;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(want)) out[key] = setFieldsOnly((want as Record<string, unknown>)[key], (have as Record<string, unknown>)[key]);
  return out;
}

/** Lists compare as sets (AWS may report subnets, security groups and types in its own order). */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical).map((v) => JSON.stringify(v)).sort();
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, canonical(v)]));
  return value;
}

const differs = (want: unknown, have: unknown): boolean => JSON.stringify(canonical(want)) !== JSON.stringify(canonical(setFieldsOnly(want, have)));

export interface CapacityProviderDiff {
  /** Fields UpdateCapacityProvider changes that differ, by their AWS path. */
  update: string[];
  /** Fields that differ and only a new capacity provider could change: `field (spec x, AWS y)`. */
  immutable: string[];
  tags: { set: Record<string, string>; remove: string[] };
}

export function diffCapacityProvider(obj: CapacityProvider, observed: AwsCapacityProvider, deps: CapacityProviderDeps): CapacityProviderDiff {
  const update: string[] = [];
  const immutable: string[] = [];
  const asg = obj.spec.autoScalingGroupProvider;
  const mi = obj.spec.managedInstancesProvider;
  if (asg) {
    const have = observed.autoScalingGroupProvider;
    if (!have) immutable.push(`type (spec autoScalingGroupProvider, AWS ${observed.type ?? "another type"})`);
    else {
      if (have.autoScalingGroupArn !== asg.autoScalingGroupArn) immutable.push(`autoScalingGroupProvider.autoScalingGroupArn (spec ${asg.autoScalingGroupArn}, AWS ${have.autoScalingGroupArn ?? "none"})`);
      if (asg.managedScaling && differs({ ...MANAGED_SCALING_DEFAULTS, ...asg.managedScaling }, { ...MANAGED_SCALING_DEFAULTS, ...have.managedScaling })) update.push("autoScalingGroupProvider.managedScaling");
      if ((asg.managedTerminationProtection ?? "DISABLED") !== (have.managedTerminationProtection ?? "DISABLED")) update.push("autoScalingGroupProvider.managedTerminationProtection");
      // Older answers (and moto) leave managedDraining out: an absent value cannot be compared.
      if (asg.managedDraining !== undefined && have.managedDraining !== undefined && asg.managedDraining !== have.managedDraining) update.push("autoScalingGroupProvider.managedDraining");
    }
  }
  if (mi) {
    const have = observed.managedInstancesProvider;
    if (!have) immutable.push(`type (spec managedInstancesProvider, AWS ${observed.type ?? "another type"})`);
    else {
      const { capacityOptionType, fipsEnabled, ...template } = mi.instanceLaunchTemplate;
      const haveTemplate = have.instanceLaunchTemplate;
      if ((capacityOptionType ?? "ON_DEMAND") !== (haveTemplate?.capacityOptionType ?? "ON_DEMAND")) immutable.push(`managedInstancesProvider.instanceLaunchTemplate.capacityOptionType (spec ${capacityOptionType ?? "ON_DEMAND"}, AWS ${haveTemplate?.capacityOptionType ?? "ON_DEMAND"})`);
      if (fipsEnabled !== undefined && haveTemplate?.fipsEnabled !== undefined && fipsEnabled !== haveTemplate.fipsEnabled) immutable.push(`managedInstancesProvider.instanceLaunchTemplate.fipsEnabled (spec ${String(fipsEnabled)}, AWS ${String(haveTemplate.fipsEnabled)})`);
      if (mi.infrastructureRoleArn !== have.infrastructureRoleArn) update.push("managedInstancesProvider.infrastructureRoleArn");
      const haveFields: Record<string, unknown> = { ...haveTemplate };
      for (const [key, value] of Object.entries(template) as [string, unknown][]) {
        if (value !== undefined && differs(value, haveFields[key])) update.push(`managedInstancesProvider.instanceLaunchTemplate.${key}`);
      }
      if ((mi.propagateTags ?? "NONE") !== (have.propagateTags ?? "NONE")) update.push("managedInstancesProvider.propagateTags");
      if (mi.infrastructureOptimization && differs(mi.infrastructureOptimization, have.infrastructureOptimization)) update.push("managedInstancesProvider.infrastructureOptimization");
    }
    const cluster = deps.cluster?.split("/").pop();
    const haveCluster = observed.cluster?.split("/").pop();
    if (cluster !== undefined && haveCluster !== undefined && cluster !== haveCluster) immutable.push(`cluster (spec ${cluster}, AWS ${haveCluster})`);
  }
  return { update, immutable, tags: tagDiff(fromLowerTagList(observed.tags), capacityProviderTags(obj)) };
}

export function describeDiff(diff: CapacityProviderDiff): string[] {
  const out = [...diff.update, ...diff.immutable.map((d) => `${d}, which cannot change in place`)];
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

/** A deleted provider lingers as INACTIVE; for the operator it no longer exists. */
export function isLive(provider: AwsCapacityProvider | undefined): provider is AwsCapacityProvider {
  return provider !== undefined && provider.status !== "INACTIVE";
}

/**
 * The clusters whose capacity providers include `name` (DescribeClusters answers), by name: ECS
 * refuses to delete a provider that a cluster still uses. A Managed Instances provider is never
 * "used" by the one cluster it belongs to: deleting it there is how it leaves.
 */
export function clustersUsing(name: string, clusters: readonly Cluster[], ownCluster?: string): string[] {
  const own = ownCluster?.split("/").pop();
  return clusters
    .filter((c) => c.status !== "INACTIVE" && (c.capacityProviders ?? []).includes(name) && c.clusterName !== own)
    .map((c) => c.clusterName ?? "")
    .sort();
}

export function capacityProviderStatus(observed: AwsCapacityProvider | undefined): CapacityProviderStatus {
  if (!observed) return {};
  return {
    ...(observed.capacityProviderArn ? { arn: observed.capacityProviderArn } : {}),
    ...(observed.name ? { capacityProviderName: observed.name } : {}),
    // moto leaves the type out; an Auto Scaling group provider is EC2_AUTOSCALING.
    type: observed.type ?? (observed.managedInstancesProvider ? "MANAGED_INSTANCES" : "EC2_AUTOSCALING"),
    ...(observed.cluster ? { cluster: observed.cluster } : {}),
    ...(observed.status ? { status: observed.status } : {}),
    ...(observed.updateStatus ? { updateStatus: observed.updateStatus } : {}),
    ...(observed.updateStatusReason ? { updateStatusReason: observed.updateStatusReason } : {}),
  };
}

export function capacityProviderReadiness(observed: AwsCapacityProvider): Readiness {
  const name = observed.name ?? "";
  const update = observed.updateStatus ?? "";
  if (update.endsWith("_IN_PROGRESS")) return { ready: false, reason: "Updating", message: `capacity provider ${name}: ${update}`, recheckAfterMs: 5000 };
  if (update.endsWith("_FAILED")) {
    return { ready: false, reason: "AwsError", message: `capacity provider ${name}: ${update}: ${observed.updateStatusReason ?? "no reason given"}`, failure: true };
  }
  if (observed.status !== "ACTIVE") return { ready: false, reason: "Creating", message: `capacity provider ${name} is ${observed.status ?? "unknown"}`, recheckAfterMs: 5000 };
  return { ready: true, reason: "Available", message: `capacity provider ${name} is ACTIVE` };
}
