import type { Cluster, ClusterSetting, CreateClusterCommandInput } from "@aws-sdk/client-ecs";
import type { EcsCluster, EcsClusterSpec, EcsClusterStatus } from "../../api/ecscluster.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, fromLowerTagList, tagDiff, toLowerTagList } from "../../aws/tags.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";

export const KIND = "EcsCluster";

/** ECS cluster names: up to 255 letters, digits, hyphens and underscores. */
export function clusterName(obj: EcsCluster): string {
  return obj.spec.clusterName ?? derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 255, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" });
}

export function clusterTags(obj: EcsCluster): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/** The object a cluster names, declared once (docs/adding-a-kind.md): its default Service Connect namespace. */
export const clusterReferences = {
  serviceConnectNamespace: {
    kind: "CloudMapNamespace",
    statusField: "arn",
    path: "spec.serviceConnectDefaults.namespaceRef",
    names: (s: EcsClusterSpec) => [s.serviceConnectDefaults?.namespaceRef?.name],
  },
} satisfies ReferenceFields<EcsClusterSpec>;

export type ClusterRefs = ReferenceValues<typeof clusterReferences>;

export interface ClusterDeps {
  /** The default Service Connect namespace's ARN; undefined when the spec leaves it to AWS. */
  serviceConnectNamespace?: string;
}

export function resolveCluster(obj: EcsCluster, refs: ClusterRefs): ClusterDeps {
  const namespace = obj.spec.serviceConnectDefaults?.namespace ?? refs.serviceConnectNamespace[0];
  return namespace !== undefined ? { serviceConnectNamespace: namespace } : {};
}

/** A cluster is found by its name alone: deleting it needs nothing from the namespace. */
export function locateCluster(): ClusterDeps {
  return {};
}

/** What ECS reports for a cluster when nothing was asked for. */
const DEFAULT_SETTINGS: ClusterSetting[] = [{ name: "containerInsights", value: "disabled" }];

/** The settings as ECS will report them, so that an omitted setting does not show as drift. */
function desiredSettings(obj: EcsCluster): ClusterSetting[] {
  return obj.spec.settings && obj.spec.settings.length > 0 ? obj.spec.settings : DEFAULT_SETTINGS;
}

export function createClusterInput(obj: EcsCluster, deps: ClusterDeps = {}): CreateClusterCommandInput {
  return {
    ...(deps.serviceConnectNamespace !== undefined ? { serviceConnectDefaults: { namespace: deps.serviceConnectNamespace } } : {}),
    clusterName: clusterName(obj),
    tags: toLowerTagList(clusterTags(obj)),
    settings: desiredSettings(obj),
    ...(obj.spec.capacityProviders ? { capacityProviders: obj.spec.capacityProviders } : {}),
    ...(obj.spec.defaultCapacityProviderStrategy ? { defaultCapacityProviderStrategy: obj.spec.defaultCapacityProviderStrategy } : {}),
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

export function diffCluster(obj: EcsCluster, cluster: Cluster, deps: ClusterDeps = {}): ClusterDiff {
  const namespace = deps.serviceConnectNamespace;
  const wantProviders = [...(obj.spec.capacityProviders ?? [])].sort();
  const haveProviders = [...(cluster.capacityProviders ?? [])].sort();
  return {
    settings: JSON.stringify(normalisedSettings(desiredSettings(obj))) !== JSON.stringify(normalisedSettings(cluster.settings)),
    capacityProviders:
      JSON.stringify(wantProviders) !== JSON.stringify(haveProviders) ||
      JSON.stringify(normalisedStrategy(obj.spec.defaultCapacityProviderStrategy)) !== JSON.stringify(normalisedStrategy(cluster.defaultCapacityProviderStrategy)),
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

export function clusterStatus(cluster: Cluster | undefined): EcsClusterStatus {
  if (!cluster) return {};
  return {
    ...(cluster.clusterArn ? { arn: cluster.clusterArn } : {}),
    ...(cluster.clusterName ? { clusterName: cluster.clusterName } : {}),
    ...(cluster.status ? { status: cluster.status } : {}),
    ...(cluster.serviceConnectDefaults?.namespace ? { serviceConnectNamespace: cluster.serviceConnectDefaults.namespace } : {}),
    runningTasksCount: cluster.runningTasksCount ?? 0,
    pendingTasksCount: cluster.pendingTasksCount ?? 0,
    activeServicesCount: cluster.activeServicesCount ?? 0,
    registeredContainerInstancesCount: cluster.registeredContainerInstancesCount ?? 0,
  };
}
