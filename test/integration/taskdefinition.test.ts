import { DescribeTaskDefinitionCommand, ListTaskDefinitionsCommand, RegisterTaskDefinitionCommand, type TaskDefinition } from "@aws-sdk/client-ecs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TaskDefinitionObject } from "../../src/api/taskdefinition.js";
import { fromLowerTagList, UID_TAG } from "../../src/aws/tags.js";
import { registerInput } from "../../src/controllers/taskdefinition/mapping.js";
import { callsTo, writeCalls } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";
import { repoRoot } from "../env/paths.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("taskdef", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { ecs } = env.aws;

type Spec = Record<string, unknown>;

function manifest(name: string, spec: Spec): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "TaskDefinition", metadata: { name, namespace: env.namespace }, spec });
}

const fargate = (image: string, extra: Spec = {}): Spec => ({
  requiresCompatibilities: ["FARGATE"],
  networkMode: "awsvpc",
  cpu: 256,
  memory: "512",
  containerDefinitions: [{ name: "web", image, portMappings: [{ containerPort: 80 }], environment: [{ name: "B", value: "2" }, { name: "A", value: "1" }] }],
  ...extra,
});

const get = (name: string) => getObject<TaskDefinitionObject>(stack, "taskdefinitions", env.namespace, name);

/** Ready for the current generation, at `revision` when given. */
async function ready(name: string, revision?: number): Promise<TaskDefinitionObject> {
  return waitFor(`TaskDefinition ${name} Ready${revision === undefined ? "" : ` at revision ${revision}`}`, async () => {
    const obj = await waitForCondition<TaskDefinitionObject>(stack, "taskdefinitions", env.namespace, name, { type: "Ready", status: "True" });
    return revision === undefined || obj.status?.revision === revision ? obj : undefined;
  });
}

async function describeRevision(family: string, revision: number): Promise<{ taskDefinition?: TaskDefinition; tags: Record<string, string> }> {
  const out = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: `${family}:${revision}`, include: ["TAGS"] }));
  return { ...(out.taskDefinition ? { taskDefinition: out.taskDefinition } : {}), tags: fromLowerTagList(out.tags) };
}

async function activeRevisions(family: string): Promise<number[]> {
  const out = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE" }));
  return (out.taskDefinitionArns ?? []).map((arn) => Number(arn.split(":").pop())).sort((a, b) => a - b);
}

describe("TaskDefinition against kube-apiserver and moto", () => {
  it("registers revision 1, then revision 2 for a new image, and nothing more for a re-apply, a restart or a crash's leftover", async () => {
    const family = `${env.namespace}_web`;
    apply(stack, manifest("web", fargate("httpd:2.4")));
    apply(stack, manifest("crashy", fargate("nginx:1.26")));
    const first = await ready("web", 1);
    expect(first.status).toMatchObject({ family, revision: 1, taskDefinitionArn: expect.stringMatching(new RegExp(`:task-definition/${family}:1$`)) as unknown, ownedRevisions: [1] });
    expect(first.status?.arn).toBe(first.status?.taskDefinitionArn);
    const one = await describeRevision(family, 1);
    expect(one.taskDefinition?.status).toBe("ACTIVE");
    expect(one.tags).toMatchObject({ [UID_TAG]: first.metadata.uid, "ecs-operator.dev/owner": `${env.namespace}/web`, "ecs-operator.dev/kind": "TaskDefinition" });

    apply(stack, manifest("web", fargate("httpd:2.5")));
    const second = await ready("web", 2);
    expect(second.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2], taskDefinitionArn: expect.stringMatching(/:2$/) as unknown });
    expect((await describeRevision(family, 2)).taskDefinition?.containerDefinitions?.[0]?.image).toBe("httpd:2.5");
    await ready("crashy", 1);
    expect(kubectl(stack, ["get", "taskdefinitions", "-n", env.namespace])).toMatch(/web\s+True\s+Available\s+\S+_web\s+2/);

    // While the operator is down: the same manifest again, and a crash's leftover for "crashy" (a
    // revision of its new spec, registered and tagged as the operator would, whose status write
    // never happened).
    await env.operator.stop();
    expect(apply(stack, manifest("web", fargate("httpd:2.5")))).toContain("unchanged");
    apply(stack, manifest("crashy", fargate("nginx:1.27")));
    const crashy = await get("crashy");
    if (!crashy) throw new Error("crashy vanished");
    await ecs.send(new RegisterTaskDefinitionCommand(registerInput(crashy)));
    await proxy.reset(accountId);
    await env.startOperator();

    expect((await ready("crashy", 2)).status?.ownedRevisions).toEqual([1, 2]);
    await sleep(RESYNC_SECONDS * 1000 * 2.5);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:RegisterTaskDefinition")).toBe(0);
    expect(writeCalls(counts)).toBe(0);
    expect((await ready("web")).status?.revision).toBe(2);
    expect(await activeRevisions(family)).toEqual([1, 2]);
  });

  it("keeps exactly the two newest of its own revisions with revisionHistoryLimit 2, and never touches a revision registered by someone else", async () => {
    const family = `${env.namespace}_retained`;
    const ci = { family, containerDefinitions: [{ name: "web", image: "httpd:ci", memory: 256 }], tags: [{ key: "pipeline", value: "ci" }] };
    await ecs.send(new RegisterTaskDefinitionCommand(ci));
    const images = ["a", "b", "c", "d", "e", "f"];
    for (const [i, tag] of images.entries()) {
      apply(stack, manifest("retained", fargate(`httpd:${tag}`, { revisionHistoryLimit: 2 })));
      await waitFor(`retained at image ${tag}`, async () => {
        const obj = await get("retained");
        return obj?.status?.observedGeneration === obj?.metadata.generation && obj?.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
      });
      // The pipeline registers again in the middle of the changes.
      if (i === 3) await ecs.send(new RegisterTaskDefinitionCommand(ci));
    }
    const obj = await ready("retained");
    // Revision 1 and the one after the third change are the pipeline's: ours are 2-5 and 7-8.
    expect(obj.status).toMatchObject({ revision: 8, ownedRevisions: [7, 8] });
    expect(await activeRevisions(family)).toEqual([1, 6, 7, 8]);
    for (const revision of [2, 3, 4, 5]) expect((await describeRevision(family, revision)).taskDefinition?.status, `revision ${revision}`).toBe("INACTIVE");
    for (const revision of [1, 6]) expect((await describeRevision(family, revision)).tags).toEqual({ pipeline: "ci" });
  });

  it("does not take a newer revision registered outside the operator as drift, even one with the same content", async () => {
    const family = `${env.namespace}_web`;
    const web = await ready("web", 2);
    await ecs.send(new RegisterTaskDefinitionCommand({ ...registerInput(web), tags: [{ key: "registered-by", value: "console" }] }));
    await proxy.reset(accountId);
    await sleep(RESYNC_SECONDS * 1000 * 2.5);
    expect(callsTo(await proxy.counts(accountId), "ecs:RegisterTaskDefinition")).toBe(0);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await get("web"))?.status).toMatchObject({ revision: 2, ownedRevisions: [1, 2] });
    expect(await activeRevisions(family)).toEqual([1, 2, 3]);
  });

  it.each([
    ["taskdefinition-fargate-webserver.yaml", "fargate-webserver"],
    ["taskdefinition-application-stack.yaml", "application-stack"],
  ])("applies and registers the seed example %s", async (file, name) => {
    const text = readFileSync(join(repoRoot, "examples", file), "utf8");
    const example = parse(text) as { spec: { family: string; containerDefinitions: { name: string; image: string }[] } };
    kubectl(stack, ["apply", "-n", env.namespace, "-f", "-"], text);
    const obj = await ready(name, 1);
    expect(obj.status?.family).toBe(example.spec.family);
    const registered = await describeRevision(example.spec.family, 1);
    expect(registered.taskDefinition?.status).toBe("ACTIVE");
    expect(registered.taskDefinition?.containerDefinitions?.map((c) => c.image).sort()).toEqual(example.spec.containerDefinitions.map((c) => c.image).sort());
  });

  describe("rejects at kubectl apply", () => {
    const valid = (): Spec => fargate("httpd:2.4");
    const container = (spec: Spec): Spec => (spec.containerDefinitions as Spec[])[0] ?? {};
    const port = (spec: Spec): Spec => (container(spec).portMappings as Spec[])[0] ?? {};
    it.each<[string, (spec: Spec) => void, RegExp]>([
      ["Fargate without awsvpc", (s) => (s.networkMode = "bridge"), /spec\.networkMode: .*FARGATE requires networkMode: awsvpc, got bridge/],
      // Each value is echoed, whether written as a number or a string, at the field to change.
      ["a cpu/memory pair Fargate does not offer", (s) => (s.memory = 4096), /spec\.memory: .*cpu 256 with memory 4096 is not a Fargate combination: cpu 256 takes memory 512, 1024 or 2048/],
      ["a pair written as strings", (s) => Object.assign(s, { cpu: "1024", memory: "1024" }), /spec\.memory: .*cpu 1024 with memory 1024 is not a Fargate combination: cpu 1024 takes memory 2048 to 8192 in steps of 1024/],
      ["a cpu Fargate does not offer", (s) => (s.cpu = 300), /spec\.cpu: .*cpu 300 is not a Fargate size: Fargate takes cpu 256, 512, 1024, 2048, 4096, 8192, 16384/],
      ["Fargate without task memory", (s) => delete s.memory, /spec\.memory: Required value: FARGATE requires task-level memory/],
      ["Fargate without task cpu", (s) => delete s.cpu, /spec\.cpu: Required value: FARGATE requires task-level cpu: one of 256, 512/],
      ["two containers of one name", (s) => (s.containerDefinitions as Spec[]).push({ name: "web", image: "envoy" }), /container names must be unique/],
      ["no essential container", (s) => (container(s).essential = false), /at least one container must be essential/],
      ["a containerPort out of range", (s) => (port(s).containerPort = 70000), /spec\.containerDefinitions\[0\]\.portMappings\[0\]\.containerPort: .*containerPort must be between 1 and 65535, got 70000/],
      ["an awsvpc hostPort other than the containerPort", (s) => (port(s).hostPort = 8080), /in awsvpc network mode a port mapping's hostPort must equal its containerPort/],
      ["a tag in the operator's reserved prefix", (s) => (s.tags = { "ecs-operator.dev/uid": "x" }), /reserved for the operator/],
      ["an unknown networkMode", (s) => (s.networkMode = "overlay"), /Unsupported value: "overlay"/],
      ["an unknown launch type", (s) => (s.requiresCompatibilities = ["LAMBDA"]), /Unsupported value: "LAMBDA"/],
      ["task cpu that is not a number", (s) => (s.cpu = "1 vCPU"), /spec.cpu.*should match '\^\[0-9\]\+\$'/],
      ["dependsOn naming no container", (s) => (container(s).dependsOn = [{ containerName: "db", condition: "START" }]), /dependsOn must name containers of this task definition/],
      ["a mount of an undeclared volume", (s) => (container(s).mountPoints = [{ sourceVolume: "data", containerPath: "/data" }]), /sourceVolume must name one of volumes/],
      ["memoryReservation above memory", (s) => Object.assign(container(s), { memory: 256, memoryReservation: "512" }), /spec\.containerDefinitions\[0\]\.memoryReservation: .*container web: memoryReservation 512 must not exceed its memory 256/],
      ["revisionHistoryLimit 0", (s) => (s.revisionHistoryLimit = 0), /revisionHistoryLimit.*greater than or equal to 1/],
    ])("%s", (_name, change, message) => {
      const spec = valid();
      change(spec);
      expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("invalid", spec))).toMatch(message);
    });

    it("a change of family", async () => {
      const web = await get("web");
      expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("web", { ...(web?.spec as Spec), family: "renamed" }))).toMatch(/family is immutable/);
    });
  });

  it("reports what only AWS rejects as InvalidSpec with AWS's message, does not retry it, and recovers when the spec is fixed", async () => {
    // On EC2 a container needs memory or memoryReservation unless the task sets memory: ECS says so.
    const broken = { containerDefinitions: [{ name: "app", image: "httpd:2.4" }] };
    await proxy.reset(accountId);
    apply(stack, manifest("rejected", broken));
    const failed = await waitForCondition<TaskDefinitionObject>(stack, "taskdefinitions", env.namespace, "rejected", { type: "Synced", status: "False", reason: "InvalidSpec" });
    expect(failed.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/RegisterTaskDefinition: ClientException: .*memory/);
    expect(failed.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("False");
    await sleep(RESYNC_SECONDS * 1000 * 2.5);
    expect(callsTo(await proxy.counts(accountId), "ecs:RegisterTaskDefinition")).toBe(1);

    apply(stack, manifest("rejected", { containerDefinitions: [{ name: "app", image: "httpd:2.4", memoryReservation: 128 }] }));
    const fixed = await ready("rejected", 1);
    expect(fixed.status?.conditions?.find((c) => c.type === "Synced")).toMatchObject({ status: "True" });
  });

  it("deregisters and deletes its revisions with deletionPolicy Delete, and keeps them with Retain", async () => {
    apply(stack, manifest("gone", fargate("httpd:1")));
    apply(stack, manifest("kept", fargate("httpd:1", { deletionPolicy: "Retain" })));
    await ready("gone", 1);
    await ready("kept", 1);
    apply(stack, manifest("gone", fargate("httpd:2")));
    await ready("gone", 2);
    kubectl(stack, ["delete", "taskdefinition", "gone", "kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await get("gone")).toBeUndefined();
    expect(await get("kept")).toBeUndefined();
    expect(await activeRevisions(`${env.namespace}_gone`)).toEqual([]);
    const inactive = await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: `${env.namespace}_gone`, status: "INACTIVE" }));
    expect(inactive.taskDefinitionArns).toEqual([]);
    expect(await activeRevisions(`${env.namespace}_kept`)).toEqual([1]);
  });

  it("re-checks each object with at most one ListTaskDefinitions call and no DescribeTaskDefinition", async () => {
    await ready("web");
    const objects = (JSON.parse(kubectl(stack, ["get", "taskdefinitions", "-n", env.namespace, "-o", "json"])) as { items: unknown[] }).items.length;
    await proxy.reset(accountId);
    const reconcilesBefore = await env.operator.metric("ecs_operator_reconcile_total", { kind: "TaskDefinition" });
    await sleep(RESYNC_SECONDS * 1000 * 3);
    const counts = await proxy.counts(accountId);
    const reconciles = (await env.operator.metric("ecs_operator_reconcile_total", { kind: "TaskDefinition" })) - reconcilesBefore;
    expect(reconciles).toBeGreaterThanOrEqual(objects * 2);
    expect(callsTo(counts, "ecs:DescribeTaskDefinition")).toBe(0);
    expect(writeCalls(counts)).toBe(0);
    // A reconcile in flight at either end of the window may count on one side only.
    const lists = callsTo(counts, "ecs:ListTaskDefinitions");
    expect(lists).toBeGreaterThan(0);
    expect(lists).toBeLessThanOrEqual(reconciles + objects);
  });
});
