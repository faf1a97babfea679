import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsTask } from "../../src/api/ecstask.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { eventsFor, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("ecstask", { resyncSeconds: 3 });
const { stack, proxy, accountId } = env;
const { ecs } = env.aws;

const CLUSTER = "main";
const manifest = (kind: string, name: string, spec: Record<string, unknown>): string => JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace: env.namespace }, spec });

/** A TaskDefinition whose one essential container runs `image` (the ECS layer's rules match on it), beside a sidecar. */
function taskDefinition(name: string, image: string): string {
  return manifest("TaskDefinition", name, {
    family: `${name}-${env.namespace}`,
    containerDefinitions: [
      { name: "app", image, memory: 128, essential: true },
      { name: "log", image: "fluent-bit:3", memory: 64, essential: false },
    ],
  });
}

const task = (name: string, taskDefinitionRef: string, extra: Record<string, unknown> = {}): string =>
  manifest("EcsTask", name, { clusterRef: { name: CLUSTER }, taskDefinitionRef: { name: taskDefinitionRef }, launchType: "EC2", ...extra });

const get = (name: string) => env.get<EcsTask>("ecstasks", name);
const conditionOf = (obj: EcsTask | undefined, type: string) => obj?.status?.conditions?.find((c) => c.type === type);

/** The tasks ECS holds for a run, found as anyone would: by its startedBy, running or stopped. */
async function tasksStartedBy(startedBy: string): Promise<string[]> {
  const running = (await ecs.send(new ListTasksCommand({ cluster: `${env.namespace}_${CLUSTER}`, startedBy }))).taskArns ?? [];
  const stopped = (await ecs.send(new ListTasksCommand({ cluster: `${env.namespace}_${CLUSTER}`, startedBy, desiredStatus: "STOPPED" }))).taskArns ?? [];
  return [...running, ...stopped];
}

describe("EcsTask: one run of a task definition, like a Job", () => {
  beforeAll(async () => {
    // An EC2 cluster without container instances: the ECS layer runs its tasks as a capacity provider with room would.
    env.apply(manifest("EcsCluster", CLUSTER, {}));
    env.apply([taskDefinition("ok", "migrate:ok"), taskDefinition("bad", "migrate:bad"), taskDefinition("long", "migrate:long")].join("\n---\n"));
    await proxy.addEcsTaskRule(accountId, { image: "migrate:bad", launchedBy: "task", outcome: "exit", exitCodes: { app: 1 }, exitCode: 0, runTicks: 2, reason: "migration 0042 failed" });
    await proxy.addEcsTaskRule(accountId, { image: "migrate:long", launchedBy: "task", outcome: "run" });
    for (const td of ["ok", "bad", "long"]) await env.ready("taskdefinitions", td);
  });

  it("a task whose essential container exits 0 is Complete: Ready, its exit code and times in status, an Event", async () => {
    await proxy.reset(accountId);
    env.apply(task("migrate", "ok"));
    const done = await env.ready<EcsTask>("ecstasks", "migrate");
    expect(done.status).toMatchObject({ phase: "Succeeded", attempts: 1, exitCode: 0 });
    expect(conditionOf(done, "Complete")).toMatchObject({ status: "True", reason: "TaskSucceeded" });
    expect(done.status?.tasks?.[0]).toMatchObject({ attempt: 1, lastStatus: "STOPPED", stopCode: "EssentialContainerExited" });
    expect(done.status?.tasks?.[0]?.containers?.map((c) => [c.name, c.exitCode])).toEqual([["app", 0], ["log", 0]]);
    expect(Date.parse(done.status?.completionTime ?? "")).toBeGreaterThanOrEqual(Date.parse(done.status?.startTime ?? ""));
    expect(done.status?.duration).toMatch(/^\d+s$/);
    expect(callsTo(await proxy.counts(accountId), "ecs:RunTask")).toBe(1);
    expect((await eventsFor(stack, env.namespace, "migrate")).map((e) => e.reason)).toContain("TaskSucceeded");
    // Finished: status is the record; ECS is not asked again on re-checks.
    await proxy.reset(accountId);
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:DescribeTasks") + callsTo(counts, "ecs:ListTasks") + callsTo(counts, "ecs:RunTask")).toBe(0);
  });

  it("a task that exits 1 with backoffLimit 2 runs three times, then is Failed with the exit code and reason in status", async () => {
    await proxy.reset(accountId);
    env.apply(task("retried", "bad", { backoffLimit: 2 }));
    const failed = await waitFor("Failed=True", async () => {
      const obj = await get("retried");
      return conditionOf(obj, "Failed")?.status === "True" ? obj : undefined;
    }, 60_000);
    expect(failed.status).toMatchObject({ phase: "Failed", attempts: 3, exitCode: 1 });
    expect(failed.status?.tasks?.map((t) => t.attempt)).toEqual([1, 2, 3]);
    expect(failed.status?.stoppedReason).toContain("essential container app exited with code 1");
    expect(conditionOf(failed, "Ready")).toMatchObject({ status: "False", reason: "TaskFailed" });
    expect(callsTo(await proxy.counts(accountId), "ecs:RunTask")).toBe(3);
    expect(await tasksStartedBy(failed.metadata.uid)).toHaveLength(3);
    const warnings = (await eventsFor(stack, env.namespace, "retried")).filter((e) => e.type === "Warning");
    expect(warnings.map((e) => e.reason)).toEqual(["TaskFailed"]);
  });

  it("an operator killed right after RunTask, before the status write, does not start a second run", async () => {
    // The operator sends RunTask (moto carries it out) and hears nothing back before it is killed.
    await proxy.reset(accountId);
    await proxy.addFault({ kind: "latency", latencyMs: 30_000, afterForward: true, operations: ["ecs:RunTask"], accountId, remaining: 1 });
    env.apply(task("once", "ok"));
    await waitFor("RunTask carried out", async () => (await proxy.counts(accountId))[accountId]?.["ecs:RunTask"]?.ok === 1);
    await env.operator.kill();
    const unrecorded = await get("once");
    expect(unrecorded?.status?.tasks ?? []).toEqual([]);
    await env.startOperator();
    const done = await env.ready<EcsTask>("ecstasks", "once", 60_000);
    expect(done.status?.phase).toBe("Succeeded");
    // Found again by startedBy and its tags: one RunTask in all, one task in ECS.
    expect(callsTo(await proxy.counts(accountId), "ecs:RunTask")).toBe(1);
    expect(await tasksStartedBy(done.metadata.uid)).toHaveLength(1);
  });

  it("deleting a running task stops it (StopTask), and the finalizer goes only once it is STOPPED", async () => {
    env.apply(task("forever", "long"));
    const running = await waitFor("the task RUNNING", async () => {
      const obj = await get("forever");
      return obj?.status?.tasks?.[0]?.lastStatus === "RUNNING" ? obj : undefined;
    });
    expect(conditionOf(running, "Ready")).toMatchObject({ status: "False", reason: "TaskRunning" });
    await proxy.reset(accountId);
    kubectl(stack, ["delete", "ecstask", "forever", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
    expect(callsTo(await proxy.counts(accountId), "ecs:StopTask")).toBe(1);
    const arn = running.status?.tasks?.[0]?.taskArn ?? "";
    const [stopped] = (await ecs.send(new DescribeTasksCommand({ cluster: `${env.namespace}_${CLUSTER}`, tasks: [arn] }))).tasks ?? [];
    expect(stopped).toMatchObject({ lastStatus: "STOPPED", stopCode: "UserInitiated" });
    expect(stopped?.stoppedReason).toContain(`EcsTask ${env.namespace}/forever deleted`);
  });

  it("ttlSecondsAfterFinished deletes the finished object itself", async () => {
    env.apply(task("short-lived", "ok", { ttlSecondsAfterFinished: 1 }));
    await waitFor("the object deleted after its run finished", async () => (await get("short-lived")) === undefined, 60_000);
    // Events are written after the fact (fire and forget): wait for them rather than read once.
    const reasons = await waitFor("the Expired event", async () => {
      const seen = (await eventsFor(stack, env.namespace, "short-lived")).map((e) => e.reason);
      return seen.includes("Expired") ? seen : undefined;
    });
    expect(reasons).toContain("TaskSucceeded");
  });

  it("refuses a change of the run once created: a new run is a new object", async () => {
    await waitForCondition(stack, "ecstasks", env.namespace, "migrate", { type: "Ready", status: "True" });
    const stderr = kubectlFails(stack, ["apply", "-f", "-"], task("migrate", "ok", { count: 2 }));
    expect(stderr).toContain("count cannot change once the task has started: a new run is a new EcsTask");
  });
});
