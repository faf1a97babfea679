import type {
  CreateHttpNamespaceCommandInput,
  CreatePrivateDnsNamespaceCommandInput,
  CreatePublicDnsNamespaceCommandInput,
  Namespace,
  NamespaceType,
} from "@aws-sdk/client-servicediscovery";
import type { CloudMapNamespace, CloudMapNamespaceStatus } from "../../api/cloudmapnamespace.js";
import { desiredTags, tagDiff, toUpperTagList } from "../../aws/tags.js";
import type { Readiness } from "../../runtime/driver.js";
import { namespaceCreatorRequestId, pollDelayMs, type TrackedOperation } from "../../aws/cloudmap-operations.js";

export const KIND = "CloudMapNamespace";

/** The fields both GetNamespace and ListNamespaces report, so either can feed the diff. */
export type NamespaceView = Pick<Namespace, "Id" | "Arn" | "Name" | "Type" | "Description" | "Properties">;

export interface NamespaceObserved {
  /** Absent while AWS is still creating the namespace. */
  namespace?: NamespaceView;
  tags: Record<string, string>;
  /** The operation the operator waits for (create or update), if one is running. */
  operation?: TrackedOperation;
}

const AWS_TYPE: Record<CloudMapNamespace["spec"]["type"], NamespaceType> = { DnsPrivate: "DNS_PRIVATE", DnsPublic: "DNS_PUBLIC", Http: "HTTP" };

export function awsNamespaceType(obj: CloudMapNamespace): NamespaceType {
  return AWS_TYPE[obj.spec.type];
}

/** DNS names compare without case and without the root's trailing dot. */
function canonicalName(name: string | undefined): string {
  return (name ?? "").toLowerCase().replace(/\.$/, "");
}

/** Whether a namespace AWS reports is the one this object describes (by name and type). */
export function isNamed(obj: CloudMapNamespace, ns: NamespaceView): boolean {
  return canonicalName(ns.Name) === canonicalName(obj.spec.name) && ns.Type === awsNamespaceType(obj);
}

export function namespaceTags(obj: CloudMapNamespace): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

export type CreateNamespaceInput =
  | { type: "DNS_PRIVATE"; input: CreatePrivateDnsNamespaceCommandInput }
  | { type: "DNS_PUBLIC"; input: CreatePublicDnsNamespaceCommandInput }
  | { type: "HTTP"; input: CreateHttpNamespaceCommandInput };

export function createNamespaceInput(obj: CloudMapNamespace): CreateNamespaceInput {
  const common = {
    Name: obj.spec.name,
    CreatorRequestId: namespaceCreatorRequestId(obj.metadata.uid, obj.metadata.generation),
    Tags: toUpperTagList(namespaceTags(obj)),
    ...(obj.spec.description !== undefined ? { Description: obj.spec.description } : {}),
  };
  switch (obj.spec.type) {
    case "DnsPrivate":
      return { type: "DNS_PRIVATE", input: { ...common, Vpc: obj.spec.vpc } };
    case "DnsPublic":
      return { type: "DNS_PUBLIC", input: common };
    case "Http":
      return { type: "HTTP", input: common };
  }
}

export interface NamespaceDiff {
  description: boolean;
  tags: { set: Record<string, string>; remove: string[] };
}

/** Only what AWS can change in place; type, name and vpc are immutable (CEL) and part of the identity. */
export function diffNamespace(obj: CloudMapNamespace, ns: NamespaceView, tags: Record<string, string>): NamespaceDiff {
  return {
    // AWS reports an absent description as missing or null; the spec's absence means none.
    description: (obj.spec.description ?? "") !== (ns.Description ?? ""),
    tags: tagDiff(tags, namespaceTags(obj)),
  };
}

export function describeDiff(diff: NamespaceDiff): string[] {
  const out: string[] = [];
  if (diff.description) out.push("description");
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

export function namespaceStatus(observed: NamespaceObserved | undefined): CloudMapNamespaceStatus {
  if (!observed) return {};
  const { namespace, operation } = observed;
  const id = namespace?.Id ?? operation?.namespaceId;
  const hostedZoneId = namespace?.Properties?.DnsProperties?.HostedZoneId;
  return {
    ...(namespace?.Arn ? { arn: namespace.Arn } : {}),
    ...(id ? { id } : {}),
    ...(hostedZoneId ? { hostedZoneId } : {}),
    ...(operation ? { operationId: operation.id, operationGeneration: operation.generation } : {}),
  };
}

/** The operation recorded in status by an earlier reconcile, possibly by a process that has since died. */
export function trackedInStatus(obj: CloudMapNamespace): { id: string; generation: number } | undefined {
  const id = obj.status?.operationId;
  if (!id) return undefined;
  return { id, generation: obj.status?.operationGeneration ?? obj.metadata.generation ?? 0 };
}

export function namespaceReadiness(observed: NamespaceObserved, now: Date): Readiness {
  const { operation, namespace } = observed;
  if (operation) {
    const creating = operation.type === "CREATE_NAMESPACE" || !namespace;
    return {
      ready: false,
      reason: creating ? "Creating" : "Updating",
      message: `waiting for Cloud Map operation ${operation.id} (${creating ? "create" : "update"})`,
      recheckAfterMs: pollDelayMs(operation.startedAt, now),
    };
  }
  return { ready: true, reason: "Available", message: `namespace ${namespace?.Id ?? ""} exists` };
}
