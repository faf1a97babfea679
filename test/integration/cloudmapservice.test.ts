import {
  CreateServiceCommand,
  GetNamespaceCommand,
  GetServiceCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type Namespace,
  type Service,
} from "@aws-sdk/client-servicediscovery";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CloudMapNamespace } from "../../src/api/cloudmapnamespace.js";
import type { CloudMapService } from "../../src/api/cloudmapservice.js";
import { fromUpperTagList, UID_TAG } from "../../src/aws/tags.js";
import { callsTo, writeCalls } from "../env/aws-proxy-control.js";
import { defaultVpc } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, createTestNamespace, eventsFor, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";
import { repoRoot } from "../env/paths.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("cloudmapsvc", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { serviceDiscovery: sd } = env.aws;

let namespaceId: string;

async function getService(id: string | undefined): Promise<Service | undefined> {
  try {
    return (await sd.send(new GetServiceCommand({ Id: id }))).Service;
  } catch (err) {
    if ((err as Error).name === "ServiceNotFound") return undefined;
    throw err;
  }
}

async function getNamespace(id: string | undefined): Promise<Namespace | undefined> {
  try {
    return (await sd.send(new GetNamespaceCommand({ Id: id }))).Namespace;
  } catch (err) {
    if ((err as Error).name === "NamespaceNotFound") return undefined;
    throw err;
  }
}

async function tagsOf(arn: string | undefined): Promise<Record<string, string>> {
  return fromUpperTagList((await sd.send(new ListTagsForResourceCommand({ ResourceARN: arn }))).Tags);
}

/** A service made outside the operator, as someone else would, in the test's DNS namespace. */
async function createServiceInAws(name: string, tags: Record<string, string>): Promise<Service> {
  const out = await sd.send(
    new CreateServiceCommand({
      Name: name,
      NamespaceId: namespaceId,
      DnsConfig: { RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: 60 }] },
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  if (!out.Service) throw new Error(`CreateService ${name} returned nothing`);
  return out.Service;
}

function manifest(kind: "CloudMapService" | "CloudMapNamespace", name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace: env.namespace }, spec });
}

const service = (name: string, spec: Record<string, unknown>) => manifest("CloudMapService", name, spec);
const ready = (name: string) => waitForCondition<CloudMapService>(stack, "cloudmapservices", env.namespace, name, { type: "Ready", status: "True" });
const conflicted = (name: string) => waitForCondition<CloudMapService>(stack, "cloudmapservices", env.namespace, name, { type: "Ready", status: "False", reason: "ConflictExistingResource" });
const records = (ttl: number) => ({ routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl }, { type: "AAAA", ttl }] });
const backendSpec = (ttl: number, description: string) => ({ namespaceRef: { name: "dns" }, description, dnsConfig: records(ttl), healthCheckCustomConfig: { failureThreshold: 1 }, tags: { tier: "api" } });

describe("CloudMapService against kube-apiserver and moto", () => {
  beforeAll(async () => {
    const vpc = await defaultVpc(stack, accountId);
    apply(stack, manifest("CloudMapNamespace", "dns", { type: "DnsPrivate", name: "app.local", vpc }));
    const ns = await waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, "dns", { type: "Ready", status: "True" });
    namespaceId = ns.status?.id ?? "";
  });

  it("creates the service with its DNS records, custom health check and owner tags in the referenced namespace", async () => {
    expect(apply(stack, service("backend", backendSpec(60, "the API")))).toContain("created");
    const obj = await ready("backend");
    expect(obj.status).toMatchObject({ name: "backend", namespaceId });
    expect(obj.status?.id).toMatch(/^srv-/);

    const svc = await getService(obj.status?.id);
    expect(svc).toMatchObject({
      Name: "backend",
      NamespaceId: namespaceId,
      Description: "the API",
      CreatorRequestId: obj.metadata.uid,
      DnsConfig: { RoutingPolicy: "MULTIVALUE", DnsRecords: [{ Type: "A", TTL: 60 }, { Type: "AAAA", TTL: 60 }] },
      HealthCheckCustomConfig: { FailureThreshold: 1 },
    });
    expect(await tagsOf(svc?.Arn)).toEqual({ tier: "api", "ecs-operator.dev/owner": `${env.namespace}/backend`, [UID_TAG]: obj.metadata.uid, "ecs-operator.dev/kind": "CloudMapService" });

    const table = kubectl(stack, ["get", "cmsvc", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+AWS-NAME\s+ID\s+AGE/);
    expect(table).toMatch(new RegExp(`backend\\s+True\\s+Available\\s+backend\\s+${obj.status?.id ?? ""}`));
  });

  it("updates TTLs and description in place and corrects drift made in AWS on the next re-check, with an Event", async () => {
    const before = await ready("backend");
    await proxy.reset(accountId);
    apply(stack, service("backend", backendSpec(30, "the API, v2")));
    await waitFor("the new TTLs in AWS", async () => (await getService(before.status?.id))?.DnsConfig?.DnsRecords?.every((r) => r.TTL === 30));
    const obj = await ready("backend");
    expect(obj.metadata.generation).toBe(2);
    expect(obj.status?.id).toBe(before.status?.id);
    expect((await getService(obj.status?.id))?.Description).toBe("the API, v2");
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "servicediscovery:UpdateService")).toBe(1);
    expect(callsTo(counts, "servicediscovery:CreateService")).toBe(0);

    // Someone changes a TTL and retags the service behind the operator's back.
    await sd.send(new UpdateServiceCommand({ Id: obj.status?.id, Service: { Description: "the API, v2", DnsConfig: { DnsRecords: [{ Type: "A", TTL: 99 }, { Type: "AAAA", TTL: 30 }] } } }));
    await sd.send(new TagResourceCommand({ ResourceARN: obj.status?.arn, Tags: [{ Key: "tier", Value: "hijacked" }] }));
    await waitFor(
      "drift corrected in AWS",
      async () => (await getService(obj.status?.id))?.DnsConfig?.DnsRecords?.every((r) => r.TTL === 30) === true && (await tagsOf(obj.status?.arn)).tier === "api",
      RESYNC_SECONDS * 1000 * 5,
    );
    const events = await waitFor("a DriftCorrected event", async () => {
      const all = await eventsFor(stack, env.namespace, "backend");
      return all.some((e) => e.reason === "DriftCorrected") ? all : undefined;
    });
    expect(events.find((e) => e.reason === "DriftCorrected")?.message).toMatch(/DNS records/);
  });

  it("waits for a namespace that does not exist yet and is created as soon as it is Ready", async () => {
    apply(stack, service("api", { namespaceRef: { name: "later" }, type: "HTTP" }));
    const waiting = await waitForCondition<CloudMapService>(stack, "cloudmapservices", env.namespace, "api", { type: "Ready", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe(`waiting for CloudMapNamespace ${env.namespace}/later (spec.namespaceRef) not found`);

    apply(stack, manifest("CloudMapNamespace", "later", { type: "Http", name: "later" }));
    const later = await waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, "later", { type: "Ready", status: "True" });
    const obj = await ready("api");
    expect(obj.status?.namespaceId).toBe(later.status?.id);
    expect((await getService(obj.status?.id))?.Type).toBe("HTTP");
  });

  it("holds a namespace's deletion while a service in it exists, then deletes the service and the namespace", async () => {
    const api = await ready("api");
    kubectl(stack, ["delete", "cmns", "later", "-n", env.namespace, "--wait=false"]);
    const held = await waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, "later", { type: "Ready", status: "False", reason: "Deleting" });
    expect(held.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe(`deletion waits until CloudMapService ${env.namespace}/api no longer uses it`);
    expect(await getNamespace(held.status?.id)).toBeDefined();

    // The service's own deletion must not wait for its namespace, which is waiting for it.
    kubectl(stack, ["delete", "cmsvc", "api", "-n", env.namespace, "--wait=false"]);
    await waitFor("both objects gone", async () => (await getObject(stack, "cloudmapnamespaces", env.namespace, "later")) === undefined && (await getObject(stack, "cloudmapservices", env.namespace, "api")) === undefined);
    expect(await getService(api.status?.id)).toBeUndefined();
    expect(await getNamespace(held.status?.id)).toBeUndefined();
  });

  it("deletes the AWS service with deletionPolicy Delete and keeps it with Retain", async () => {
    apply(stack, service("gone", { namespaceId, dnsConfig: records(60) }));
    apply(stack, service("kept", { namespaceId, dnsConfig: records(60), deletionPolicy: "Retain" }));
    const gone = await ready("gone");
    const kept = await ready("kept");
    kubectl(stack, ["delete", "cmsvc", "gone", "kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await getObject(stack, "cloudmapservices", env.namespace, "gone")).toBeUndefined();
    expect(await getObject(stack, "cloudmapservices", env.namespace, "kept")).toBeUndefined();
    expect(await getService(gone.status?.id)).toBeUndefined();
    expect((await getService(kept.status?.id))?.Name).toBe("kept");
  });

  it("reports an untagged service as a conflict and leaves it alone unless adopt is set", async () => {
    const legacy = await createServiceInAws("legacy", { owner: "ops" });
    await proxy.reset(accountId);
    const legacySpec = { namespaceId, dnsConfig: { dnsRecords: [{ type: "A", ttl: 60 }] } };
    apply(stack, service("legacy", legacySpec));
    const obj = await conflicted("legacy");
    expect(obj.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/adopt/);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(await tagsOf(legacy.Arn)).toEqual({ owner: "ops" });

    apply(stack, service("legacy", { ...legacySpec, adopt: true }));
    const adopted = await ready("legacy");
    expect(adopted.status?.id).toBe(legacy.Id);
    expect(await tagsOf(legacy.Arn)).toMatchObject({ [UID_TAG]: adopted.metadata.uid });
    expect((await eventsFor(stack, env.namespace, "legacy")).map((e) => e.reason)).toContain("Adopted");
  });

  it("never touches a service owned by another object, even with adopt", async () => {
    const theirs = await createServiceInAws("theirs", { [UID_TAG]: "someone-else" });
    await proxy.reset(accountId);
    apply(stack, service("theirs", { namespaceId, dnsConfig: records(5), adopt: true }));
    await conflicted("theirs");
    kubectl(stack, ["delete", "cmsvc", "theirs", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await getService(theirs.Id))?.DnsConfig?.DnsRecords).toEqual([{ Type: "A", TTL: 60 }]);
  });

  it("fills status from AWS and makes no write with managementPolicy Observe", async () => {
    const observed = await createServiceInAws("observed", {});
    await proxy.reset(accountId);
    apply(stack, service("observed", { namespaceId, dnsConfig: { dnsRecords: [{ type: "A", ttl: 10 }] }, managementPolicy: "Observe" }));
    const obj = await ready("observed");
    expect(obj.status).toMatchObject({ id: observed.Id, arn: observed.Arn, namespaceId });
    expect(obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/differs from spec.*DNS records/);
    kubectl(stack, ["delete", "cmsvc", "observed", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await getService(observed.Id))?.DnsConfig?.DnsRecords).toEqual([{ Type: "A", TTL: 60 }]);
  });

  it("refuses what CEL can know: both or neither namespace field, record combinations AWS rejects, and changes of record types or routing policy", () => {
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("both", { namespaceId, namespaceRef: { name: "dns" } }))).toMatch(/exactly one of namespaceRef and namespaceId/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("neither", {}))).toMatch(/exactly one of namespaceRef and namespaceId/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("cname", { namespaceId, dnsConfig: { dnsRecords: [{ type: "CNAME", ttl: 60 }] } }))).toMatch(/CNAME record needs routingPolicy WEIGHTED/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("asrv", { namespaceId, dnsConfig: { dnsRecords: [{ type: "A", ttl: 60 }, { type: "SRV", ttl: 60 }] } }))).toMatch(/only A and AAAA combine/);
    const current = backendSpec(30, "the API, v2");
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("backend", { ...current, dnsConfig: { ...current.dnsConfig, dnsRecords: [{ type: "A", ttl: 30 }] } }))).toMatch(/record types are immutable/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], service("backend", { ...current, dnsConfig: { ...current.dnsConfig, routingPolicy: "WEIGHTED" } }))).toMatch(/routingPolicy is immutable/);
  });

  it("accepts the Cloud Map example manifests (server-side dry run)", async () => {
    const example = readFileSync(join(repoRoot, "examples/cloudmap-private-dns-service-discovery.yaml"), "utf8");
    // A namespace of its own: the example's names would otherwise meet this file's objects.
    const fresh = await createTestNamespace(stack, "cloudmapexample");
    const out = kubectl(stack, ["apply", "--dry-run=server", "-n", fresh, "-f", "-"], example);
    expect(out).toMatch(/cloudmapnamespace.ecs.operator.dev\/\S+ created \(server dry run\)/);
    expect(out).toMatch(/cloudmapservice.ecs.operator.dev\/\S+ created \(server dry run\)/);
  });
});
