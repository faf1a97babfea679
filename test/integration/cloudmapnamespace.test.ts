import {
  CreateHttpNamespaceCommand,
  GetNamespaceCommand,
  GetOperationCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UpdatePrivateDnsNamespaceCommand,
  type Namespace,
} from "@aws-sdk/client-servicediscovery";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { CloudMapNamespace } from "../../src/api/cloudmapnamespace.js";
import { fromUpperTagList, UID_TAG } from "../../src/aws/tags.js";
import { callsTo, writeCalls } from "../env/aws-proxy-control.js";
import { defaultVpc } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, eventsFor, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("cloudmapns", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { serviceDiscovery: sd } = env.aws;

let vpc: string;

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

/** An Http namespace made outside the operator, as someone else would; returns its id. */
async function createHttpNamespaceInAws(name: string, tags: Record<string, string>, description?: string): Promise<string> {
  const { OperationId } = await sd.send(new CreateHttpNamespaceCommand({ Name: name, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })), ...(description ? { Description: description } : {}) }));
  const id = (await sd.send(new GetOperationCommand({ OperationId }))).Operation?.Targets?.NAMESPACE;
  if (!id) throw new Error(`no namespace id for ${name}`);
  return id;
}

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "CloudMapNamespace", metadata: { name, namespace: env.namespace }, spec });
}

const ready = (name: string) => waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, name, { type: "Ready", status: "True" });
const conflicted = (name: string) => waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, name, { type: "Ready", status: "False", reason: "ConflictExistingResource" });
const privateSpec = (description: string) => ({ type: "DnsPrivate", name: "app.local", vpc, description, tags: { team: "web" } });

describe("CloudMapNamespace against kube-apiserver and moto", () => {
  beforeAll(async () => {
    vpc = await defaultVpc(stack, accountId);
  });

  it("creates a private DNS namespace in the VPC with owner tags, reports Ready and shows in kubectl get", async () => {
    expect(apply(stack, manifest("app", privateSpec("apps")))).toContain("created");
    const obj = await ready("app");
    expect(obj.status?.id).toMatch(/^ns-/);
    expect(obj.status?.arn).toBe(`arn:aws:servicediscovery:us-east-1:${accountId}:namespace/${obj.status?.id ?? ""}`);
    expect(obj.status?.hostedZoneId).toBeTruthy();
    // moto finishes the operation at once, so none is left pending in status.
    expect(obj.status?.operationId).toBeUndefined();

    const ns = await getNamespace(obj.status?.id);
    expect(ns).toMatchObject({ Name: "app.local", Type: "DNS_PRIVATE", Description: "apps", CreatorRequestId: `${obj.metadata.uid}-1` });
    expect(await tagsOf(ns?.Arn)).toEqual({ team: "web", "ecs-operator.dev/owner": `${env.namespace}/app`, [UID_TAG]: obj.metadata.uid, "ecs-operator.dev/kind": "CloudMapNamespace" });

    const table = kubectl(stack, ["get", "cmns", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+TYPE\s+AWS-NAME\s+ID\s+AGE/);
    expect(table).toMatch(new RegExp(`app\\s+True\\s+Available\\s+DnsPrivate\\s+app\\.local\\s+${obj.status?.id ?? ""}`));
  });

  it("updates the description in place and corrects drift made in AWS on the next re-check, with an Event", async () => {
    const before = await ready("app");
    await proxy.reset(accountId);
    apply(stack, manifest("app", privateSpec("apps v2")));
    await waitFor("the new description in AWS", async () => (await getNamespace(before.status?.id))?.Description === "apps v2");
    const obj = await ready("app");
    expect(obj.metadata.generation).toBe(2);
    expect(obj.status?.id).toBe(before.status?.id);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "servicediscovery:UpdatePrivateDnsNamespace")).toBe(1);
    expect(callsTo(counts, "servicediscovery:CreatePrivateDnsNamespace")).toBe(0);

    // Someone rewrites the description and retags the namespace behind the operator's back.
    await sd.send(new UpdatePrivateDnsNamespaceCommand({ Id: obj.status?.id, Namespace: { Description: "hijacked" } }));
    await sd.send(new TagResourceCommand({ ResourceARN: obj.status?.arn, Tags: [{ Key: "team", Value: "hijacked" }] }));
    await waitFor(
      "drift corrected in AWS",
      async () => (await getNamespace(obj.status?.id))?.Description === "apps v2" && (await tagsOf(obj.status?.arn)).team === "web",
      RESYNC_SECONDS * 1000 * 5,
    );
    const events = await waitFor("a DriftCorrected event", async () => {
      const all = await eventsFor(stack, env.namespace, "app");
      return all.some((e) => e.reason === "DriftCorrected") ? all : undefined;
    });
    expect(events.find((e) => e.reason === "DriftCorrected")?.message).toMatch(/description/);
  });

  it("deletes the AWS namespace with deletionPolicy Delete and keeps it with Retain", async () => {
    apply(stack, manifest("gone", { type: "Http", name: "gone" }));
    apply(stack, manifest("kept", { type: "Http", name: "kept", deletionPolicy: "Retain" }));
    const gone = await ready("gone");
    const kept = await ready("kept");
    kubectl(stack, ["delete", "cmns", "gone", "kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await getObject(stack, "cloudmapnamespaces", env.namespace, "gone")).toBeUndefined();
    expect(await getObject(stack, "cloudmapnamespaces", env.namespace, "kept")).toBeUndefined();
    expect(await getNamespace(gone.status?.id)).toBeUndefined();
    expect((await getNamespace(kept.status?.id))?.Name).toBe("kept");
  });

  it("reports an untagged namespace as a conflict and leaves it alone unless adopt is set", async () => {
    const id = await createHttpNamespaceInAws("legacy", { owner: "ops" });
    await proxy.reset(accountId);
    apply(stack, manifest("legacy", { type: "Http", name: "legacy" }));
    const obj = await conflicted("legacy");
    expect(obj.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/adopt/);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    const ns = await getNamespace(id);
    expect(await tagsOf(ns?.Arn)).toEqual({ owner: "ops" });

    apply(stack, manifest("legacy", { type: "Http", name: "legacy", adopt: true }));
    const adopted = await ready("legacy");
    expect(adopted.status?.id).toBe(id);
    expect(await tagsOf(ns?.Arn)).toMatchObject({ [UID_TAG]: adopted.metadata.uid });
    expect((await eventsFor(stack, env.namespace, "legacy")).map((e) => e.reason)).toContain("Adopted");
  });

  it("never touches a namespace owned by another object, even with adopt", async () => {
    const id = await createHttpNamespaceInAws("theirs", { [UID_TAG]: "someone-else" });
    await proxy.reset(accountId);
    apply(stack, manifest("theirs", { type: "Http", name: "theirs", adopt: true }));
    await conflicted("theirs");
    kubectl(stack, ["delete", "cmns", "theirs", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(await tagsOf((await getNamespace(id))?.Arn)).toEqual({ [UID_TAG]: "someone-else" });
  });

  it("fills status from AWS and makes no write with managementPolicy Observe", async () => {
    const id = await createHttpNamespaceInAws("observed", {}, "as found");
    await proxy.reset(accountId);
    apply(stack, manifest("observed", { type: "Http", name: "observed", description: "as wished", managementPolicy: "Observe" }));
    const obj = await ready("observed");
    expect(obj.status?.id).toBe(id);
    expect(obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/differs from spec.*description/);
    kubectl(stack, ["delete", "cmns", "observed", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await getNamespace(id))?.Description).toBe("as found");
  });

  it("refuses what CEL can know: a DnsPrivate namespace without vpc, a VPC on an Http one, and changes of type, name or vpc", () => {
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("novpc", { type: "DnsPrivate", name: "x.local" }))).toMatch(/vpc is required for a DnsPrivate namespace/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("httpvpc", { type: "Http", name: "x", vpc }))).toMatch(/spec\.vpc: .*vpc is not allowed for a Http namespace, only for DnsPrivate/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("baddns", { type: "DnsPublic", name: "not a domain" }))).toMatch(/spec.name/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("app", { ...privateSpec("apps v2"), type: "DnsPublic" }))).toMatch(/type is immutable/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("app", { ...privateSpec("apps v2"), name: "other.local" }))).toMatch(/name is immutable/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("app", { ...privateSpec("apps v2"), vpc: "vpc-0123456789abcdef0" }))).toMatch(/vpc is immutable/);
  });

  it("makes no status write and no AWS write in a steady state over several re-checks", async () => {
    await ready("app");
    await sleep(RESYNC_SECONDS * 1000);
    await proxy.reset(accountId);
    const statusWritesBefore = await env.operator.metric("ecs_operator_status_writes_total");
    await sleep(RESYNC_SECONDS * 1000 * 3);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "servicediscovery:GetNamespace")).toBeGreaterThan(2);
    expect(writeCalls(counts)).toBe(0);
    expect(await env.operator.metric("ecs_operator_status_writes_total")).toBe(statusWritesBefore);
  });
});
