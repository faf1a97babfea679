import type { Namespace } from "@aws-sdk/client-servicediscovery";
import { describe, expect, it } from "vitest";
import type { CloudMapNamespace } from "../../src/api/cloudmapnamespace.js";
import { fromUpperTagList } from "../../src/aws/tags.js";
import {
  createNamespaceInput,
  describeDiff,
  diffNamespace,
  isNamed,
  namespaceReadiness,
  namespaceStatus,
  trackedInStatus,
} from "../../src/controllers/cloudmapnamespace/mapping.js";

function namespace(spec: CloudMapNamespace["spec"], status?: CloudMapNamespace["status"]): CloudMapNamespace {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "CloudMapNamespace",
    metadata: { name: "apps", namespace: "team-a", uid: "u-1", generation: 2 },
    spec,
    ...(status ? { status } : {}),
  };
}

/** A GetNamespace answer for what createNamespaceInput asked, as AWS returns it. */
function asAwsReports(obj: CloudMapNamespace): Namespace {
  const { type, input } = createNamespaceInput(obj);
  return {
    Id: "ns-abc",
    Arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc",
    // Route 53 answers with the root's trailing dot and its own case.
    Name: `${(input.Name ?? "").toUpperCase()}.`,
    Type: type,
    // AWS omits an empty description.
    ...(input.Description ? { Description: input.Description } : {}),
    Properties: type === "HTTP" ? { HttpProperties: { HttpName: input.Name } } : { DnsProperties: { HostedZoneId: "Z0123", SOA: { TTL: 15 } } },
    CreatorRequestId: input.CreatorRequestId,
  };
}

const tagsOf = (obj: CloudMapNamespace) => fromUpperTagList(createNamespaceInput(obj).input.Tags);

describe("CloudMapNamespace mapping", () => {
  it("asks for a private DNS namespace in the VPC, with ownership tags and a creator request id from uid and generation", () => {
    const { type, input } = createNamespaceInput(namespace({ type: "DnsPrivate", name: "app.local", vpc: "vpc-0abc", description: "apps", tags: { team: "a" } }));
    expect(type).toBe("DNS_PRIVATE");
    expect(input).toMatchObject({ Name: "app.local", Vpc: "vpc-0abc", Description: "apps", CreatorRequestId: "u-1-2" });
    expect(fromUpperTagList(input.Tags)).toEqual({ team: "a", "ecs-operator.dev/owner": "team-a/apps", "ecs-operator.dev/uid": "u-1", "ecs-operator.dev/kind": "CloudMapNamespace" });
  });

  it("maps the public DNS and Http types, which take no VPC", () => {
    expect(createNamespaceInput(namespace({ type: "DnsPublic", name: "example.com" }))).toMatchObject({ type: "DNS_PUBLIC", input: { Name: "example.com" } });
    const http = createNamespaceInput(namespace({ type: "Http", name: "apps" }));
    expect(http.type).toBe("HTTP");
    expect(http.input).not.toHaveProperty("Vpc");
    expect(http.input).not.toHaveProperty("Description");
  });

  it.each([
    ["a private DNS namespace", { type: "DnsPrivate", name: "app.local", vpc: "vpc-0abc", description: "apps" }],
    ["a public DNS namespace without description", { type: "DnsPublic", name: "example.com" }],
    ["an Http namespace with tags", { type: "Http", name: "apps", tags: { team: "a" } }],
  ] as const)("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = namespace(structuredClone(spec));
    expect(describeDiff(diffNamespace(obj, asAwsReports(obj), tagsOf(obj)))).toEqual([]);
  });

  it("reports a changed description and foreign tags as differences", () => {
    const obj = namespace({ type: "Http", name: "apps", description: "new" });
    const aws = { ...asAwsReports(obj), Description: "old" };
    expect(describeDiff(diffNamespace(obj, aws, { ...tagsOf(obj), extra: "x" }))).toEqual(["description", "tags (extra)"]);
  });

  it("recognises its namespace by name (case and trailing dot aside) and type", () => {
    const obj = namespace({ type: "DnsPrivate", name: "app.local", vpc: "vpc-0abc" });
    expect(isNamed(obj, { Name: "APP.local.", Type: "DNS_PRIVATE" })).toBe(true);
    expect(isNamed(obj, { Name: "app.local", Type: "DNS_PUBLIC" })).toBe(false);
    expect(isNamed(obj, { Name: "app.locals", Type: "DNS_PRIVATE" })).toBe(false);
  });

  it("keeps a pending operation and its generation in status, and the namespace id once AWS names it", () => {
    expect(namespaceStatus({ tags: {}, operation: { id: "op-1", generation: 2, namespaceId: "ns-abc" } })).toEqual({ id: "ns-abc", operationId: "op-1", operationGeneration: 2 });
    const obj = namespace({ type: "DnsPrivate", name: "app.local", vpc: "vpc-0abc" });
    expect(namespaceStatus({ namespace: asAwsReports(obj), tags: {} })).toEqual({
      arn: "arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-abc",
      id: "ns-abc",
      hostedZoneId: "Z0123",
    });
  });

  it("reads the tracked operation back from status, as a restarted operator does", () => {
    expect(trackedInStatus(namespace({ type: "Http", name: "apps" }, { operationId: "op-1", operationGeneration: 1 }))).toEqual({ id: "op-1", generation: 1 });
    expect(trackedInStatus(namespace({ type: "Http", name: "apps" }, { id: "ns-abc" }))).toBeUndefined();
  });

  it("is Creating or Updating while an operation runs, re-checking at the operation's pace, and Available after", () => {
    const now = new Date("2025-01-01T00:00:08Z");
    const startedAt = new Date("2025-01-01T00:00:00Z");
    expect(namespaceReadiness({ tags: {}, operation: { id: "op-1", generation: 1, type: "CREATE_NAMESPACE", startedAt } }, now)).toMatchObject({ ready: false, reason: "Creating", recheckAfterMs: 8000 });
    const obj = namespace({ type: "Http", name: "apps" });
    expect(namespaceReadiness({ namespace: asAwsReports(obj), tags: {}, operation: { id: "op-2", generation: 1, type: "UPDATE_NAMESPACE", startedAt } }, now)).toMatchObject({
      ready: false,
      reason: "Updating",
    });
    expect(namespaceReadiness({ namespace: asAwsReports(obj), tags: {} }, now)).toMatchObject({ ready: true, reason: "Available" });
  });
});
