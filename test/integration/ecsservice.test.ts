import { DescribeServicesCommand, ListServicesCommand, RegisterTaskDefinitionCommand, UpdateServiceCommand, type Service } from "@aws-sdk/client-ecs";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { fromLowerTagList } from "../../src/aws/tags.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, eventsFor, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";

const RESYNC_SECONDS = 3;
const env = useTestEnvironment("ecssvc", { resyncSeconds: RESYNC_SECONDS, workers: 8 });
const { stack, proxy, accountId } = env;
const { ecs } = env.aws;

let clusterName: string;
const revisions: string[] = [];

function serviceManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name, namespace: env.namespace }, spec: { clusterRef: { name: "main" }, launchType: "EC2", ...spec } });
}

async function describe1(name: string): Promise<Service | undefined> {
  const out = await ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [name], include: ["TAGS"] }));
  return out.services?.[0];
}

const ready = (name: string, timeoutMs?: number) => waitForCondition<EcsService>(stack, "ecsservices", env.namespace, name, { type: "Ready", status: "True" }, timeoutMs);

describe("EcsService against kube-apiserver and moto", () => {
  beforeAll(async () => {
    clusterName = `${env.namespace}_main`;
    for (const image of ["nginx:1.25", "nginx:1.26"]) {
      const out = await ecs.send(new RegisterTaskDefinitionCommand({ family: `web-${env.namespace}`, containerDefinitions: [{ name: "web", image, memory: 128, essential: true }] }));
      revisions.push(out.taskDefinition?.taskDefinitionArn ?? "");
    }
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: env.namespace }, spec: {} }));
  });

  it("waits for its cluster, then creates the service with the pinned revision and owner tags and reports Ready", async () => {
    const first = revisions[0] ?? "";
    apply(stack, serviceManifest("web", { clusterRef: { name: "late" }, taskDefinition: first, desiredCount: 1 }));
    const waiting = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "web", { type: "Ready", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message).toContain(`EcsCluster ${env.namespace}/late`);

    // clusterRef is immutable: recreate the object against the real cluster.
    kubectl(stack, ["delete", "ecsservice", "web", "-n", env.namespace, "--wait=true"]);
    apply(stack, serviceManifest("web", { taskDefinition: first, desiredCount: 1 }));
    const obj = await ready("web");
    const service = await describe1(`${env.namespace}_web`);
    expect(service?.status).toBe("ACTIVE");
    expect(service?.taskDefinition).toBe(first);
    expect(fromLowerTagList(service?.tags)).toMatchObject({ "ecs-operator.dev/uid": obj.metadata.uid });
    expect(obj.status).toMatchObject({ taskDefinitionArn: first, taskDefinitionRevision: 1, runningCount: 1, desiredCount: 1, rolloutState: "COMPLETED" });
    const table = kubectl(stack, ["get", "ecssvc", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+RUNNING\s+DESIRED\s+TASKDEF-REV\s+ROLLOUT\s+SCALING\s+STAGE\s+AGE/);
    expect(table).toMatch(/web\s+True\s+Available\s+1\s+1\s+1\s+COMPLETED/);
    // ECS's own events are status.serviceEvents: describe prints one "Events:" block, the Kubernetes Events.
    expect(obj.status).toHaveProperty("serviceEvents");
    const described = kubectl(stack, ["describe", "ecsservice", "web", "-n", env.namespace]);
    expect(described.match(/^\s*Events:/gm)).toHaveLength(1);
    expect(described).toMatch(/^Events:/m);
  });

  it("rolls to a new revision with exactly one UpdateService, and makes none after a restart", async () => {
    await proxy.reset(accountId);
    apply(stack, serviceManifest("web", { taskDefinition: revisions[1], desiredCount: 1 }));
    await waitFor("the new revision in AWS", async () => (await describe1(`${env.namespace}_web`))?.taskDefinition === revisions[1]);
    await ready("web");
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(1);

    await env.operator.stop();
    await proxy.reset(accountId);
    apply(stack, serviceManifest("web", { taskDefinition: revisions[1], desiredCount: 1 }));
    await env.startOperator();
    await sleep(RESYNC_SECONDS * 1000 * 3);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:DescribeServices")).toBeGreaterThan(0);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(0);
    expect(callsTo(counts, "ecs:CreateService")).toBe(0);
  });

  it("becomes Ready with a literal revision in either form, family:revision or ARN, and makes no UpdateService over re-checks", async () => {
    const family = `web-${env.namespace}`;
    apply(stack, serviceManifest("literal-short", { taskDefinition: `${family}:1`, desiredCount: 1 }));
    apply(stack, serviceManifest("literal-arn", { taskDefinition: revisions[0], desiredCount: 1 }));
    const short = await ready("literal-short");
    await ready("literal-arn");
    expect(short.status).toMatchObject({ taskDefinitionArn: revisions[0], taskDefinitionRevision: 1 });
    expect(short.status?.conditions?.find((c) => c.type === "Ready")?.message).toContain(`${family}:1`);
    await proxy.reset(accountId);
    await sleep(RESYNC_SECONDS * 1000 * 3);
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(0);
    // A bare family is not one revision: refused at apply, with the value shown.
    expect(kubectlFails(stack, ["apply", "-f", "-"], serviceManifest("bare", { taskDefinition: family, desiredCount: 1 }))).toContain(`taskDefinition must name one revision as family:revision or a task definition ARN, got ${family}`);
    kubectl(stack, ["delete", "ecsservice", "literal-short", "literal-arn", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
  });

  it("names a literal cluster that does not exist, waits without CreateService or repeated status writes, and deletes at once", async () => {
    await proxy.reset(accountId);
    const writesBefore = await env.operator.metric("ecs_operator_status_writes_total", { kind: "EcsService" });
    apply(stack, serviceManifest("typo", { clusterRef: undefined, cluster: "no-such-cluster", taskDefinition: revisions[0], desiredCount: 1 }));
    const waiting = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "typo", { type: "Ready", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/cluster no-such-cluster \(spec\.cluster\) does not exist in AWS/);
    await sleep(4000);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:CreateService")).toBe(0);
    // Backoff: a few reads, not one per reconcile loop turn.
    expect(callsTo(counts, "ecs:DescribeServices")).toBeLessThanOrEqual(6);
    expect((await env.operator.metric("ecs_operator_status_writes_total", { kind: "EcsService" })) - writesBefore).toBe(1);
    expect((await eventsFor(stack, env.namespace, "typo")).filter((e) => e.reason === "WaitingForDependency")).toHaveLength(1);
    kubectl(stack, ["delete", "ecsservice", "typo", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
  });

  it("leaves desiredCount to autoscaling when omitted, and reverts drift when set", async () => {
    apply(stack, serviceManifest("auto", { taskDefinition: revisions[0] }));
    await ready("auto");
    await ecs.send(new UpdateServiceCommand({ cluster: clusterName, service: `${env.namespace}_auto`, desiredCount: 4 }));
    await proxy.reset(accountId);
    await sleep(RESYNC_SECONDS * 1000 * 3);
    expect((await describe1(`${env.namespace}_auto`))?.desiredCount).toBe(4);
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(0);

    apply(stack, serviceManifest("fixed", { taskDefinition: revisions[0], desiredCount: 1 }));
    await ready("fixed");
    await ecs.send(new UpdateServiceCommand({ cluster: clusterName, service: `${env.namespace}_fixed`, desiredCount: 5 }));
    await waitFor("desiredCount reverted to 1", async () => (await describe1(`${env.namespace}_fixed`))?.desiredCount === 1, RESYNC_SECONDS * 1000 * 4);
  });

  it("re-checks 100 services in one cluster with at most 11 DescribeServices calls per period", async () => {
    const names = Array.from({ length: 100 }, (_, i) => `fleet-${String(i)}`);
    apply(stack, names.map((n) => serviceManifest(n, { taskDefinition: revisions[0], desiredCount: 1 })).join("\n"));
    await waitFor(
      "100 services Ready",
      () => {
        const list = JSON.parse(kubectl(stack, ["get", "ecsservices", "-n", env.namespace, "-o", "json"])) as { items: EcsService[] };
        const readyCount = list.items.filter((o) => o.metadata.name.startsWith("fleet-") && o.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")).length;
        return Promise.resolve(readyCount === 100);
      },
      120_000,
    );
    // Let the creation burst settle into the periodic rhythm, then count whole periods.
    await sleep(RESYNC_SECONDS * 1000 * 2);
    await proxy.reset(accountId);
    const periods = 3;
    await sleep(RESYNC_SECONDS * 1000 * periods);
    const describes = callsTo(await proxy.counts(accountId), "ecs:DescribeServices");
    process.stdout.write(`DescribeServices for 103 services over ${periods} re-check periods: ${describes}\n`);
    // 103 services (the fleet and three from earlier tests): ceil(103/10) = 11 per period.
    expect(describes).toBeLessThanOrEqual(11 * (periods + 1));
    // And every service is really re-read each period, not served from an old cache.
    expect(describes).toBeGreaterThanOrEqual(11 * (periods - 1));
    kubectl(stack, ["delete", "ecsservices", ...names, "-n", env.namespace, "--wait=true", "--timeout=120s"]);
  }, 240_000);

  it("finds its own service after a crash between CreateService and the status write: no second create", async () => {
    await env.operator.kill();
    await proxy.reset(accountId);
    // Slow every read down so that the operator is still re-reading after CreateService when killed.
    const slow = await proxy.addFault({ kind: "latency", latencyMs: 2500, operations: ["ecs:DescribeServices"], accountId });
    await env.startOperator();
    apply(stack, serviceManifest("crash", { taskDefinition: revisions[0], desiredCount: 1 }));
    await waitFor("CreateService to be answered", async () => callsTo(await proxy.counts(accountId), "ecs:CreateService") === 1, 30_000);
    await env.operator.kill();
    await proxy.removeFault(slow);
    expect((await getObject<EcsService>(stack, "ecsservices", env.namespace, "crash"))?.status?.arn).toBeUndefined();

    await env.startOperator();
    await ready("crash");
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:CreateService")).toBe(1);
    const listed = await ecs.send(new ListServicesCommand({ cluster: clusterName }));
    expect(listed.serviceArns?.filter((a) => a.endsWith(`/${env.namespace}_crash`))).toHaveLength(1);
  }, 90_000);

  it("scales to zero and deletes with Delete, and leaves the service running with Retain", async () => {
    apply(stack, serviceManifest("kept", { taskDefinition: revisions[0], desiredCount: 1, deletionPolicy: "Retain" }));
    await ready("kept");
    await proxy.reset(accountId);
    kubectl(stack, ["delete", "ecsservice", "fixed", "kept", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
    expect((await describe1(`${env.namespace}_fixed`))?.status).toBe("INACTIVE");
    expect((await describe1(`${env.namespace}_kept`))?.status).toBe("ACTIVE");
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(1);
    expect(callsTo(counts, "ecs:DeleteService")).toBe(1);
  });
});
