import type { CreateServiceCommandInput, DnsRecord, Service, UpdateServiceCommandInput } from "@aws-sdk/client-servicediscovery";
import type { CloudMapService, CloudMapServiceSpec, CloudMapServiceStatus } from "../../api/cloudmapservice.js";
import { desiredTags, tagDiff, toUpperTagList } from "../../aws/tags.js";
import type { Readiness, Unlocated } from "../../runtime/driver.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";
import { pollDelayMs, type TrackedOperation } from "../../aws/cloudmap-operations.js";

export const KIND = "CloudMapService";
export const NAMESPACE_KIND = "CloudMapNamespace";

export interface ServiceDeps {
  /** Absent only while deleting an object whose namespace was never known: nothing to find then. */
  namespaceId?: string;
}

/** The fields GetService reports that the operator reads. */
export type ServiceView = Pick<Service, "Id" | "Arn" | "Name" | "NamespaceId" | "Description" | "DnsConfig" | "HealthCheckCustomConfig" | "Type">;

export interface ServiceObserved {
  service: ServiceView;
  tags: Record<string, string>;
  /** An UpdateService still being applied. */
  operation?: TrackedOperation;
}

export function serviceName(obj: CloudMapService): string {
  return obj.spec.name ?? obj.metadata.name;
}

/** Cloud Map service names are DNS labels: compared without case. */
export function isNamed(obj: CloudMapService, service: Pick<Service, "Name">): boolean {
  return (service.Name ?? "").toLowerCase() === serviceName(obj).toLowerCase();
}

export function serviceTags(obj: CloudMapService): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/** The namespace the service lives in, declared once (docs/adding-a-kind.md). */
export const cloudMapServiceReferences = {
  namespace: { kind: NAMESPACE_KIND, statusField: "id", path: "spec.namespaceRef", names: (spec: CloudMapServiceSpec) => [spec.namespaceRef?.name] },
} satisfies ReferenceFields<CloudMapServiceSpec>;

type Refs = ReferenceValues<typeof cloudMapServiceReferences>;

/** The namespace id from the literal or from the referenced CloudMapNamespace (Ready). */
export function resolveNamespace(obj: CloudMapService, refs: Refs): ServiceDeps {
  const namespaceId = obj.spec.namespaceId ?? refs.namespace[0];
  return namespaceId ? { namespaceId } : {};
}

/**
 * Where the service of an object being deleted is: by the id in status (found without its
 * namespace), else by name in the namespace known from status, the spec, or the namespace object
 * whatever its readiness (it may itself be waiting, as Deleting, for this service to go).
 */
export function locateService(obj: CloudMapService, refs: Refs): ServiceDeps | Unlocated {
  const namespaceId = obj.status?.namespaceId ?? obj.spec.namespaceId ?? refs.namespace[0];
  if (namespaceId) return { namespaceId };
  if (obj.status?.id) return {};
  return { unlocated: `the Cloud Map namespace of this service is unknown: status has no id and ${NAMESPACE_KIND} ${obj.metadata.namespace}/${obj.spec.namespaceRef?.name ?? ""} shows none` };
}

function desiredRecords(obj: CloudMapService): DnsRecord[] | undefined {
  return obj.spec.dnsConfig?.dnsRecords.map((r) => ({ Type: r.type, TTL: r.ttl }));
}

/** The service's CreatorRequestId: a retried CreateService whose answer was lost is not a second service. */
export function serviceCreatorRequestId(obj: CloudMapService): string {
  return obj.metadata.uid;
}

export function createServiceInput(obj: CloudMapService, namespaceId: string): CreateServiceCommandInput {
  const { dnsConfig, healthCheckCustomConfig, description, type } = obj.spec;
  return {
    Name: serviceName(obj),
    NamespaceId: namespaceId,
    CreatorRequestId: serviceCreatorRequestId(obj),
    Tags: toUpperTagList(serviceTags(obj)),
    ...(description !== undefined ? { Description: description } : {}),
    ...(dnsConfig ? { DnsConfig: { RoutingPolicy: dnsConfig.routingPolicy ?? "MULTIVALUE", DnsRecords: desiredRecords(obj) } } : {}),
    ...(healthCheckCustomConfig
      ? { HealthCheckCustomConfig: healthCheckCustomConfig.failureThreshold !== undefined ? { FailureThreshold: healthCheckCustomConfig.failureThreshold } : {} }
      : {}),
    ...(type ? { Type: type } : {}),
  };
}

export interface ServiceDiff {
  description: boolean;
  dnsRecords: boolean;
  tags: { set: Record<string, string>; remove: string[] };
}

/** Records as a set: AWS keeps its own order. */
function recordsKey(records: readonly DnsRecord[] | undefined): string {
  return (records ?? []).map((r) => `${r.Type ?? ""}/${String(r.TTL ?? "")}`).sort().join(", ");
}

/**
 * What UpdateService and tagging can change. Name, namespace, routing policy, record types,
 * the custom health check and the type are immutable (CEL), so they cannot drift either.
 */
export function diffService(obj: CloudMapService, service: ServiceView, tags: Record<string, string>): ServiceDiff {
  const want = desiredRecords(obj);
  return {
    description: (obj.spec.description ?? "") !== (service.Description ?? ""),
    dnsRecords: want !== undefined && recordsKey(want) !== recordsKey(service.DnsConfig?.DnsRecords),
    tags: tagDiff(tags, serviceTags(obj)),
  };
}

export function describeDiff(obj: CloudMapService, service: ServiceView, diff: ServiceDiff): string[] {
  const out: string[] = [];
  if (diff.description) out.push("description");
  if (diff.dnsRecords) out.push(`DNS records (${recordsKey(service.DnsConfig?.DnsRecords)} -> ${recordsKey(desiredRecords(obj))})`);
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

/**
 * UpdateService replaces the records and the Route 53 health check: whatever it omits is deleted,
 * so the records always go in whole. The description goes too, empty meaning none.
 */
export function updateServiceInput(obj: CloudMapService, id: string): UpdateServiceCommandInput {
  const records = desiredRecords(obj);
  return { Id: id, Service: { Description: obj.spec.description ?? "", ...(records ? { DnsConfig: { DnsRecords: records } } : {}) } };
}

export function serviceStatus(observed: ServiceObserved | undefined): CloudMapServiceStatus {
  if (!observed) return {};
  const { service } = observed;
  return {
    ...(service.Arn ? { arn: service.Arn } : {}),
    ...(service.Id ? { id: service.Id } : {}),
    ...(service.Name ? { name: service.Name } : {}),
    ...(service.NamespaceId ? { namespaceId: service.NamespaceId } : {}),
  };
}

export function serviceReadiness(observed: ServiceObserved, now: Date): Readiness {
  if (observed.operation) {
    return {
      ready: false,
      reason: "Updating",
      message: `waiting for Cloud Map operation ${observed.operation.id} (update)`,
      recheckAfterMs: pollDelayMs(observed.operation.startedAt, now),
    };
  }
  return { ready: true, reason: "Available", message: `service ${observed.service.Id ?? ""} exists` };
}
