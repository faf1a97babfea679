import { CreateClusterCommand, CreateServiceCommand, DeleteServiceCommand, DescribeClustersCommand, RegisterTaskDefinitionCommand, TagResourceCommand, UpdateClusterCommand, type Cluster } from "@aws-sdk/client-ecs";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import { fromLowerTagList, UID_TAG } from "../../src/aws/tags.js";
import { callsTo, writeCalls, writeOperations } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, eventsFor, getObject, kubectl, waitFor, waitForCondition } from "../env/kube.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("ecscluster", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { ecs } = env.aws;

async function describeCluster(name: string): Promise<Cluster | undefined> {
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [name], include: ["TAGS", "SETTINGS"] }));
  return out.clusters?.find((c) => c.clusterName === name);
}

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name, namespace: env.namespace }, spec });
}

const ready = (name: string) => waitForCondition<EcsCluster>(stack, "ecsclusters", env.namespace, name, { type: "Ready", status: "True" });

describe("EcsCluster against kube-apiserver and moto", () => {
  it("creates the cluster with owner tags, reports Ready and shows in kubectl get ecs", async () => {
    expect(apply(stack, manifest("web", { capacityProviders: ["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 1, weight: 1 }], tags: { team: "web" } }))).toContain("created");
    const obj = await ready("web");
    expect(obj.status?.observedGeneration).toBe(obj.metadata.generation);
    expect(obj.status?.arn).toMatch(/^arn:aws:ecs:us-east-1:\d{12}:cluster\//);

    const cluster = await describeCluster(`${env.namespace}_web`);
    expect(cluster?.status).toBe("ACTIVE");
    expect(fromLowerTagList(cluster?.tags)).toMatchObject({ team: "web", "ecs-operator.dev/owner": `${env.namespace}/web`, "ecs-operator.dev/uid": obj.metadata.uid, "ecs-operator.dev/kind": "EcsCluster" });
    expect(cluster?.capacityProviders?.sort()).toEqual(["FARGATE", "FARGATE_SPOT"]);

    const table = kubectl(stack, ["get", "ecs", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+CLUSTER\s+SERVICES\s+RUNNING\s+INSTANCES\s+AGE/);
    expect(table).toMatch(new RegExp(`(ecscluster.ecs.operator.dev/)?web\\s+True\\s+Available\\s+${env.namespace}_web`));
  });

  it("applies a spec change to AWS and corrects drift made in AWS on the next re-check, with an Event", async () => {
    apply(stack, manifest("web", { capacityProviders: ["FARGATE", "FARGATE_SPOT"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 1, weight: 1 }], tags: { team: "web" }, settings: [{ name: "containerInsights", value: "enabled" }] }));
    await waitFor("containerInsights enabled in AWS", async () => (await describeCluster(`${env.namespace}_web`))?.settings?.[0]?.value === "enabled");
    const obj = await ready("web");
    expect(obj.metadata.generation).toBe(2);

    // Someone turns Container Insights off and retags the cluster behind the operator's back.
    await ecs.send(new UpdateClusterCommand({ cluster: `${env.namespace}_web`, settings: [{ name: "containerInsights", value: "disabled" }] }));
    await ecs.send(new TagResourceCommand({ resourceArn: obj.status?.arn, tags: [{ key: "team", value: "hijacked" }] }));
    await waitFor(
      "drift corrected in AWS",
      async () => {
        const cluster = await describeCluster(`${env.namespace}_web`);
        return cluster?.settings?.[0]?.value === "enabled" && fromLowerTagList(cluster.tags).team === "web";
      },
      RESYNC_SECONDS * 1000 * 5,
    );
    const events = await waitFor("a DriftCorrected event", async () => {
      const all = await eventsFor(stack, env.namespace, "web");
      return all.some((e) => e.reason === "DriftCorrected") ? all : undefined;
    });
    expect(events.find((e) => e.reason === "DriftCorrected")?.message).toMatch(/settings/);
  });

  it("deletes the AWS cluster with deletionPolicy Delete and keeps it with Retain", async () => {
    apply(stack, manifest("gone", {}));
    apply(stack, manifest("kept", { deletionPolicy: "Retain" }));
    await ready("gone");
    await ready("kept");
    kubectl(stack, ["delete", "ecscluster", "gone", "kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await getObject(stack, "ecsclusters", env.namespace, "gone")).toBeUndefined();
    expect(await getObject(stack, "ecsclusters", env.namespace, "kept")).toBeUndefined();
    expect((await describeCluster(`${env.namespace}_gone`))?.status).toBe("INACTIVE"); // how ECS shows a deleted cluster
    expect((await describeCluster(`${env.namespace}_kept`))?.status).toBe("ACTIVE");
  });

  it("waits to delete a cluster until no service is left in it, naming them (ECS refuses; moto would not)", async () => {
    apply(stack, manifest("busy", {}));
    await ready("busy");
    const cluster = `${env.namespace}_busy`;
    const td = await ecs.send(new RegisterTaskDefinitionCommand({ family: `busy-${env.namespace}`, containerDefinitions: [{ name: "app", image: "nginx", memory: 64 }] }));
    await ecs.send(new CreateServiceCommand({ cluster, serviceName: "someone-elses", taskDefinition: td.taskDefinition?.taskDefinitionArn, desiredCount: 0, launchType: "EC2" }));
    kubectl(stack, ["delete", "ecscluster", "busy", "-n", env.namespace, "--wait=false"]);
    const held = await waitForCondition<EcsCluster>(stack, "ecsclusters", env.namespace, "busy", { type: "Ready", status: "False", reason: "Deleting" });
    expect(held.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/still has 1 service\(s\): someone-elses/);
    expect((await describeCluster(cluster))?.status).toBe("ACTIVE");
    expect((await eventsFor(stack, env.namespace, "busy")).filter((e) => e.reason === "Deleting")).toHaveLength(1);

    await ecs.send(new DeleteServiceCommand({ cluster, service: "someone-elses" }));
    await waitFor("the cluster object to go once the service is gone", async () => (await getObject(stack, "ecsclusters", env.namespace, "busy")) === undefined, 45_000);
    expect((await describeCluster(cluster))?.status).toBe("INACTIVE");
  }, 90_000);

  it("reports an untagged cluster as a conflict and leaves it alone unless adopt is set", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "legacy", tags: [{ key: "owner", value: "ops" }] }));
    await proxy.reset(accountId);
    apply(stack, manifest("legacy", { clusterName: "legacy" }));
    const conflicted = await waitForCondition<EcsCluster>(stack, "ecsclusters", env.namespace, "legacy", { type: "Ready", status: "False", reason: "ConflictExistingResource" });
    expect(conflicted.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/adopt/);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(fromLowerTagList((await describeCluster("legacy"))?.tags)).toEqual({ owner: "ops" });

    apply(stack, manifest("legacy", { clusterName: "legacy", adopt: true }));
    const adopted = await ready("legacy");
    expect(fromLowerTagList((await describeCluster("legacy"))?.tags)).toMatchObject({ [UID_TAG]: adopted.metadata.uid });
    expect((await eventsFor(stack, env.namespace, "legacy")).map((e) => e.reason)).toContain("Adopted");
  });

  it("never touches a cluster owned by another object, even with adopt", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "theirs", tags: [{ key: UID_TAG, value: "someone-else" }] }));
    await proxy.reset(accountId);
    apply(stack, manifest("theirs", { clusterName: "theirs", adopt: true }));
    await waitForCondition(stack, "ecsclusters", env.namespace, "theirs", { type: "Ready", status: "False", reason: "ConflictExistingResource" });
    kubectl(stack, ["delete", "ecscluster", "theirs", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeOperations(await proxy.counts(accountId))).toEqual([]);
    expect((await describeCluster("theirs"))?.status).toBe("ACTIVE");
  });

  it("fills status from AWS and makes no write with managementPolicy Observe", async () => {
    await ecs.send(new CreateClusterCommand({ clusterName: "observed" }));
    await proxy.reset(accountId);
    apply(stack, manifest("observed", { clusterName: "observed", managementPolicy: "Observe", settings: [{ name: "containerInsights", value: "enabled" }] }));
    const obj = await ready("observed");
    expect(obj.status?.arn).toContain("cluster/observed");
    expect(obj.status?.status).toBe("ACTIVE");
    expect(obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/differs from spec/);
    kubectl(stack, ["delete", "ecscluster", "observed", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await describeCluster("observed"))?.status).toBe("ACTIVE");
  });

  it("reports a missing cluster as NotFound in Observe mode", async () => {
    apply(stack, manifest("absent", { clusterName: "absent", managementPolicy: "Observe" }));
    await waitForCondition(stack, "ecsclusters", env.namespace, "absent", { type: "Ready", status: "False", reason: "NotFound" });
    expect(await describeCluster("absent")).toBeUndefined();
  });

  it("makes no status write and no AWS write in a steady state over several re-checks", async () => {
    await ready("web");
    await sleep(RESYNC_SECONDS * 1000);
    await proxy.reset(accountId);
    const statusWritesBefore = await env.operator.metric("ecs_operator_status_writes_total");
    const reconcilesBefore = await env.operator.metric("ecs_operator_reconcile_total", { kind: "EcsCluster" });
    await sleep(RESYNC_SECONDS * 1000 * 3);
    const counts = await proxy.counts(accountId);
    expect(await env.operator.metric("ecs_operator_reconcile_total", { kind: "EcsCluster" })).toBeGreaterThan(reconcilesBefore + 2);
    expect(callsTo(counts, "ecs:DescribeClusters")).toBeGreaterThan(2);
    expect(writeOperations(counts)).toEqual([]);
    expect(await env.operator.metric("ecs_operator_status_writes_total")).toBe(statusWritesBefore);
  });
});
