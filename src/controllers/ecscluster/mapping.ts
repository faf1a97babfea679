import type { CapacityProviderStrategyItem, Cluster, ClusterSetting, ContainerInstance, CreateClusterCommandInput } from "@aws-sdk/client-ecs";
import type { EcsCluster, EcsClusterSpec, EcsClusterStatus } from "../../api/ecscluster.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, fromLowerTagList, tagDiff, toLowerTagList } from "../../aws/tags.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";

export const KIND = "EcsCluster";

/**
 * The CapacityProvider objects a cluster names, declared once (docs/adding-a-kind.md): the
 * cluster waits for them, is woken when their names change, and holds their deletion.
 */
export const clusterReferences = {
  capacityProviders: { kind: "CapacityProvider", statusField: "capacityProviderName", path: "spec.capacityProviderRefs", names: (s: EcsClusterSpec) => (s.capacityProviderRefs ?? []).map((r) => r.name) },
  strategyProviders: {
    kind: "CapacityProvider",
    statusField: "capacityProviderName",
    path: "spec.defaultCapacityProviderStrategy[].capacityProviderRef",
    names: (s: EcsClusterSpec) => (s.defaultCapacityProviderStrategy ?? []).map((e) => e.capacityProviderRef?.name),
  },
  // Its default Service Connect namespace (serviceConnectDefaults), held while the cluster names it.
  serviceConnectNamespace: {
    kind: "CloudMapNamespace",
    statusField: "arn",
    path: "spec.serviceConnectDefaults.namespaceRef",
    names: (s: EcsClusterSpec) => [s.serviceConnectDefaults?.namespaceRef?.name],
  },
} satisfies ReferenceFields<EcsClusterSpec>;

export type ClusterRefs = ReferenceValues<typeof clusterReferences>;

/** What the cluster's converge needs beyond its spec: its capacity providers by their AWS names. */
export interface ClusterDeps {
  /**
   * The cluster's whole provider list, or undefined when the spec names none (the list is then
   * left as it is: someone else may manage it).
   */
  capacityProviders?: string[];
  defaultCapacityProviderStrategy?: CapacityProviderStrategyItem[];
  /** Managed Instances providers that belong to this cluster (their CapacityProvider objects name it): kept in the list. */
  scopedProviders: string[];
  /** The default Service Connect namespace's ARN; undefined when the spec leaves it to AWS. */
  serviceConnectNamespace?: string;
}

/**
 * The PutClusterCapacityProviders rule: with capacityProviders or capacityProviderRefs set, the
 * cluster's list is exactly those (plus the Managed Instances providers that name this cluster)
 * and its default strategy exactly the spec's (empty when omitted); with neither set, both are
 * left as they are in AWS.
 */
export function resolveCluster(obj: EcsCluster, refs: ClusterRefs, scopedProviders: string[] = []): ClusterDeps {
  const namespace = obj.spec.serviceConnectDefaults?.namespace ?? refs.serviceConnectNamespace[0];
  return { ...providersOf(obj, refs, scopedProviders), ...(namespace !== undefined ? { serviceConnectNamespace: namespace } : {}) };
}

function providersOf(obj: EcsCluster, refs: ClusterRefs, scopedProviders: string[]): ClusterDeps {
  const s = obj.spec;
  if (s.capacityProviders === undefined && s.capacityProviderRefs === undefined) return { scopedProviders };
  const named = [...(s.capacityProviders ?? []), ...refs.capacityProviders.map((name) => name ?? "")];
  return {
    capacityProviders: [...new Set([...named, ...scopedProviders])],
    defaultCapacityProviderStrategy: (s.defaultCapacityProviderStrategy ?? []).map((e, i) => ({
      capacityProvider: e.capacityProvider ?? refs.strategyProviders[i] ?? "",
      ...(e.weight !== undefined ? { weight: e.weight } : {}),
      ...(e.base !== undefined ? { base: e.base } : {}),
    })),
    scopedProviders,
  };
}

/** A cluster's deletion needs nothing but its name. */
export const LOCATED: ClusterDeps = { scopedProviders: [] };

/** ECS cluster names: up to 255 letters, digits, hyphens and underscores. */
export function clusterName(obj: EcsCluster): string {
  return obj.spec.clusterName ?? derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 255, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" });
}

export function clusterTags(obj: EcsCluster): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/** What ECS reports for a cluster when nothing was asked for. */
const DEFAULT_SETTINGS: ClusterSetting[] = [{ name: "containerInsights", value: "disabled" }];

/** The settings as ECS will report them, so that an omitted setting does not show as drift. */
function desiredSettings(obj: EcsCluster): ClusterSetting[] {
  return obj.spec.settings && obj.spec.settings.length > 0 ? obj.spec.settings : DEFAULT_SETTINGS;
}

export function createClusterInput(obj: EcsCluster, deps: ClusterDeps): CreateClusterCommandInput {
  // A Managed Instances provider is created after its cluster: it cannot be in CreateCluster.
  const providers = deps.capacityProviders?.filter((p) => !deps.scopedProviders.includes(p));
  return {
    ...(deps.serviceConnectNamespace !== undefined ? { serviceConnectDefaults: { namespace: deps.serviceConnectNamespace } } : {}),
    clusterName: clusterName(obj),
    tags: toLowerTagList(clusterTags(obj)),
    settings: desiredSettings(obj),
    ...(providers && providers.length > 0 ? { capacityProviders: providers } : {}),
    ...(deps.defaultCapacityProviderStrategy && deps.defaultCapacityProviderStrategy.length > 0 ? { defaultCapacityProviderStrategy: deps.defaultCapacityProviderStrategy } : {}),
  };
}

export interface ClusterDiff {
  settings: boolean;
  /** The namespace to set as the Service Connect default; undefined when it is as the spec wants. */
  serviceConnectNamespace?: string;
  capacityProviders: boolean;
  tags: { set: Record<string, string>; remove: string[] };
}

function normalisedStrategy(items: readonly { capacityProvider?: string | undefined; weight?: number | undefined; base?: number | undefined }[] | undefined) {
  // ECS fills weight and base with 0 and keeps the order it was given; compare as a set.
  return (items ?? []).map((s) => ({ capacityProvider: s.capacityProvider ?? "", weight: s.weight ?? 0, base: s.base ?? 0 })).sort((a, b) => a.capacityProvider.localeCompare(b.capacityProvider));
}

function normalisedSettings(items: readonly { name?: string | undefined; value?: string | undefined }[] | undefined) {
  return (items ?? []).map((s) => `${s.name ?? ""}=${s.value ?? ""}`).sort();
}

export function diffCluster(obj: EcsCluster, cluster: Cluster, deps: ClusterDeps): ClusterDiff {
  const managed = deps.capacityProviders !== undefined;
  const namespace = deps.serviceConnectNamespace;
  const haveProviders = [...(cluster.capacityProviders ?? [])].sort();
  const wantProviders = [...(deps.capacityProviders ?? [])].sort();
  return {
    settings: JSON.stringify(normalisedSettings(desiredSettings(obj))) !== JSON.stringify(normalisedSettings(cluster.settings)),
    capacityProviders:
      managed &&
      (JSON.stringify(wantProviders) !== JSON.stringify(haveProviders) ||
        JSON.stringify(normalisedStrategy(deps.defaultCapacityProviderStrategy)) !== JSON.stringify(normalisedStrategy(cluster.defaultCapacityProviderStrategy))),
    tags: tagDiff(fromLowerTagList(cluster.tags), clusterTags(obj)),
    // ECS reports the namespace's ARN; the spec's is an ARN too (a reference's status, or the literal).
    ...(namespace !== undefined && cluster.serviceConnectDefaults?.namespace !== namespace ? { serviceConnectNamespace: namespace } : {}),
  };
}

export function describeDiff(diff: ClusterDiff): string[] {
  const out: string[] = [];
  if (diff.settings) out.push("settings");
  if (diff.capacityProviders) out.push("capacity providers");
  if (diff.serviceConnectNamespace !== undefined) out.push("serviceConnectDefaults");
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

/** A cluster as observe reads it: DescribeClusters, and its container instances while it has some. */
export interface ObservedCluster {
  cluster: Cluster;
  instances?: ContainerInstanceCounts;
}

export interface ContainerInstanceCounts {
  active: number;
  draining: number;
  registering: number;
  deregistering: number;
  other: number;
  agentDisconnected: number;
}

/** DescribeContainerInstances' answers folded into the counts the status and printer columns show. */
export function containerInstanceCounts(instances: readonly ContainerInstance[]): ContainerInstanceCounts {
  const counts: ContainerInstanceCounts = { active: 0, draining: 0, registering: 0, deregistering: 0, other: 0, agentDisconnected: 0 };
  for (const ci of instances) {
    switch (ci.status) {
      case "ACTIVE":
        counts.active++;
        break;
      case "DRAINING":
        counts.draining++;
        break;
      case "REGISTERING":
        counts.registering++;
        break;
      case "DEREGISTERING":
        counts.deregistering++;
        break;
      default:
        counts.other++;
    }
    if (ci.agentConnected === false) counts.agentDisconnected++;
  }
  return counts;
}

export function clusterStatus(observed: ObservedCluster | undefined): EcsClusterStatus {
  if (!observed) return {};
  const { cluster } = observed;
  return {
    ...(cluster.clusterArn ? { arn: cluster.clusterArn } : {}),
    ...(cluster.clusterName ? { clusterName: cluster.clusterName } : {}),
    ...(cluster.status ? { status: cluster.status } : {}),
    ...(cluster.serviceConnectDefaults?.namespace ? { serviceConnectNamespace: cluster.serviceConnectDefaults.namespace } : {}),
    runningTasksCount: cluster.runningTasksCount ?? 0,
    pendingTasksCount: cluster.pendingTasksCount ?? 0,
    activeServicesCount: cluster.activeServicesCount ?? 0,
    registeredContainerInstancesCount: cluster.registeredContainerInstancesCount ?? 0,
    capacityProviders: [...(cluster.capacityProviders ?? [])].sort(),
    containerInstances: observed.instances ?? containerInstanceCounts([]),
  };
}
