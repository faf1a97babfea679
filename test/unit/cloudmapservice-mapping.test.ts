import type { Service } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import type { CloudMapService } from "../../src/api/cloudmapservice.js";
import { fromUpperTagList } from "../../src/aws/tags.js";
import {
  cloudMapServiceReferences,
  createServiceInput,
  describeDiff,
  diffService,
  locateService,
  resolveNamespace,
  serviceName,
  serviceReadiness,
  serviceStatus,
  updateServiceInput,
} from "../../src/controllers/cloudmapservice/mapping.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { locateReferences, referencedObjects, resolveReferences, type Lookup } from "../../src/runtime/references.js";

function service(spec: CloudMapService["spec"], extra: Partial<CloudMapService["metadata"]> = {}, status?: CloudMapService["status"]): CloudMapService {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "CloudMapService",
    metadata: { name: "backend", namespace: "team-a", uid: "u-7", generation: 1, ...extra },
    spec,
    ...(status ? { status } : {}),
  };
}

/** A GetService answer for what createServiceInput asked, as AWS returns it. */
function asAwsReports(obj: CloudMapService): Service {
  const input = createServiceInput(obj, "ns-abc");
  return {
    Id: "srv-1",
    Arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1",
    Name: input.Name,
    NamespaceId: "ns-abc",
    ...(input.Description ? { Description: input.Description } : {}),
    // AWS keeps records in its own order and echoes the namespace id in the deprecated field.
    ...(input.DnsConfig ? { DnsConfig: { NamespaceId: "ns-abc", RoutingPolicy: input.DnsConfig.RoutingPolicy, DnsRecords: [...(input.DnsConfig.DnsRecords ?? [])].reverse() } } : {}),
    // AWS reports a threshold of 1 whatever was asked: the field is deprecated.
    ...(input.HealthCheckCustomConfig ? { HealthCheckCustomConfig: { FailureThreshold: 1 } } : {}),
    Type: input.Type ?? (input.DnsConfig ? "DNS_HTTP" : "HTTP"),
    CreatorRequestId: input.CreatorRequestId,
  };
}

const tagsOf = (obj: CloudMapService) => fromUpperTagList(createServiceInput(obj, "ns-abc").Tags);

function namespaceObject(status: Record<string, unknown>, extra: Partial<ManagedObject["metadata"]> = {}): ManagedObject {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "CloudMapNamespace", metadata: { name: "apps", namespace: "team-a", uid: "u-ns", generation: 1, ...extra }, status };
}

const readyCondition = [{ type: "Ready", status: "True" as const, reason: "Available", message: "", lastTransitionTime: "2025-01-01T00:00:00Z" }];

describe("CloudMapService mapping", () => {
  it("names the service after the object unless spec.name is set", () => {
    expect(serviceName(service({ namespaceId: "ns-abc" }))).toBe("backend");
    expect(serviceName(service({ namespaceId: "ns-abc", name: "api" }))).toBe("api");
  });

  it("converts the camelCase spec into CreateService's PascalCase input, with MULTIVALUE as AWS's default", () => {
    const input = createServiceInput(
      service({ namespaceRef: { name: "apps" }, description: "d", dnsConfig: { dnsRecords: [{ type: "A", ttl: 60 }, { type: "AAAA", ttl: 30 }] }, healthCheckCustomConfig: { failureThreshold: 1 }, tags: { tier: "api" } }),
      "ns-abc",
    );
    expect(input).toMatchObject({
      Name: "backend",
      NamespaceId: "ns-abc",
      CreatorRequestId: "u-7",
      Description: "d",
      DnsConfig: { RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: 60 }, { Type: "AAAA", TTL: 30 }] },
      HealthCheckCustomConfig: { FailureThreshold: 1 },
    });
    expect(fromUpperTagList(input.Tags)).toMatchObject({ tier: "api", "ecs-operator.dev/uid": "u-7", "ecs-operator.dev/kind": "CloudMapService" });
    expect(createServiceInput(service({ namespaceId: "ns-abc", type: "HTTP", healthCheckCustomConfig: {} }), "ns-abc")).toMatchObject({ Type: "HTTP", HealthCheckCustomConfig: {} });
  });

  it.each([
    ["A and AAAA records with a custom health check", { namespaceId: "ns-abc", dnsConfig: { routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl: 60 }, { type: "AAAA", ttl: 60 }] }, healthCheckCustomConfig: { failureThreshold: 3 } }],
    ["a weighted CNAME with a description", { namespaceId: "ns-abc", description: "legacy", dnsConfig: { routingPolicy: "WEIGHTED", dnsRecords: [{ type: "CNAME", ttl: 300 }] } }],
    ["an HTTP-only service", { namespaceId: "ns-abc", type: "HTTP" }],
  ] as const)("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = service(structuredClone(spec) as CloudMapService["spec"]);
    const aws = asAwsReports(obj);
    expect(describeDiff(obj, aws, diffService(obj, aws, tagsOf(obj)))).toEqual([]);
  });

  it("reports a changed TTL, description and tags as differences", () => {
    const obj = service({ namespaceId: "ns-abc", description: "new", dnsConfig: { dnsRecords: [{ type: "A", ttl: 10 }] } });
    const aws = { ...asAwsReports(obj), Description: "old", DnsConfig: { DnsRecords: [{ Type: "A" as const, TTL: 60 }] } };
    expect(describeDiff(obj, aws, diffService(obj, aws, { ...tagsOf(obj), extra: "x" }))).toEqual(["description", "DNS records (A/60 -> A/10)", "tags (extra)"]);
  });

  it("sends UpdateService the whole record set (AWS deletes what is omitted) and an empty description for none", () => {
    expect(updateServiceInput(service({ namespaceId: "ns-abc", dnsConfig: { dnsRecords: [{ type: "A", ttl: 10 }, { type: "AAAA", ttl: 20 }] } }), "srv-1")).toEqual({
      Id: "srv-1",
      Service: { Description: "", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 10 }, { Type: "AAAA", TTL: 20 }] } },
    });
    expect(updateServiceInput(service({ namespaceId: "ns-abc", type: "HTTP", description: "d" }), "srv-1")).toEqual({ Id: "srv-1", Service: { Description: "d" } });
  });

  const lookupOf = (...objects: ReturnType<typeof namespaceObject>[]): Lookup => ({
    get: (kind, namespace, name) => objects.find((o) => o.kind === kind && o.metadata.namespace === namespace && o.metadata.name === name),
    list: () => objects,
  });
  const resolved = (obj: CloudMapService, lookup: Lookup) => {
    const resolution = resolveReferences(obj, cloudMapServiceReferences, lookup);
    return resolution.ready ? { ready: true, deps: resolveNamespace(obj, resolution.values) } : { ready: false, waitingFor: resolution.waitingFor };
  };

  it("waits for the referenced namespace until it is Ready with an id, then resolves to that id", () => {
    const obj = service({ namespaceRef: { name: "apps" } });
    expect(resolved(obj, lookupOf())).toEqual({ ready: false, waitingFor: "CloudMapNamespace team-a/apps (spec.namespaceRef) not found" });
    expect(resolved(obj, lookupOf(namespaceObject({ operationId: "op-1" })))).toEqual({ ready: false, waitingFor: "CloudMapNamespace team-a/apps to be Ready (not reconciled yet)" });
    expect(resolved(obj, lookupOf(namespaceObject({ id: "ns-abc", observedGeneration: 1, conditions: readyCondition }, { generation: 2 })))).toMatchObject({ ready: false });
    expect(resolved(obj, lookupOf(namespaceObject({ id: "ns-abc", observedGeneration: 1, conditions: readyCondition })))).toEqual({ ready: true, deps: { namespaceId: "ns-abc" } });
    expect(resolved(service({ namespaceId: "ns-lit" }), lookupOf())).toEqual({ ready: true, deps: { namespaceId: "ns-lit" } });
  });

  it("is located for deletion without waiting for the namespace, which may itself be waiting for this service", () => {
    const deleting = { deletionTimestamp: "2025-01-01T00:00:00Z" };
    const notReady = namespaceObject({ id: "ns-abc", conditions: [{ ...readyCondition[0], status: "False", reason: "Deleting" }] });
    const located = (obj: CloudMapService, lookup: Lookup) => locateService(obj, locateReferences(obj, cloudMapServiceReferences, lookup));
    expect(located(service({ namespaceRef: { name: "apps" } }, deleting, { namespaceId: "ns-own" }), lookupOf(notReady))).toEqual({ namespaceId: "ns-own" });
    expect(located(service({ namespaceRef: { name: "apps" } }, deleting), lookupOf(notReady))).toEqual({ namespaceId: "ns-abc" });
    expect(located(service({ namespaceRef: { name: "apps" } }, deleting, { id: "srv-1" }), lookupOf())).toEqual({});
    // Nothing tells where it could be: concluding "gone" could orphan it, so deletion waits and says so.
    expect(located(service({ namespaceRef: { name: "apps" } }, deleting), lookupOf())).toMatchObject({ unlocated: expect.stringContaining("CloudMapNamespace team-a/apps") as string });
  });

  it("declares the namespace it references, in its own Kubernetes namespace", () => {
    expect(referencedObjects(service({ namespaceRef: { name: "apps" } }), cloudMapServiceReferences)).toEqual([{ kind: "CloudMapNamespace", namespace: "team-a", name: "apps" }]);
    expect(referencedObjects(service({ namespaceId: "ns-abc" }), cloudMapServiceReferences)).toEqual([]);
  });

  it("maps the observed service to status and is Updating while an UpdateService runs", () => {
    const obj = service({ namespaceId: "ns-abc", dnsConfig: { dnsRecords: [{ type: "A", ttl: 60 }] } });
    const observed = { service: asAwsReports(obj), tags: {} };
    expect(serviceStatus(observed)).toEqual({ arn: "arn:aws:servicediscovery:us-east-1:123456789012:service/srv-1", id: "srv-1", name: "backend", namespaceId: "ns-abc" });
    const now = new Date("2025-01-01T00:00:03Z");
    expect(serviceReadiness({ ...observed, operation: { id: "op-1", generation: 1, startedAt: new Date("2025-01-01T00:00:00Z") } }, now)).toMatchObject({ ready: false, reason: "Updating", recheckAfterMs: 3000 });
    expect(serviceReadiness(observed, now)).toMatchObject({ ready: true, reason: "Available" });
  });
});
