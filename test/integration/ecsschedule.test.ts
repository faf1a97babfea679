import { GetScheduleCommand, GetScheduleGroupCommand, ListTagsForResourceCommand } from "@aws-sdk/client-scheduler";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsSchedule } from "../../src/api/ecsschedule.js";
import { callsTo, writeCalls } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("ecssched", { resyncSeconds: 3 });
const { stack, proxy, accountId } = env;
const { scheduler } = env.aws;

const manifest = (kind: string, name: string, spec: Record<string, unknown>): string => JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace: env.namespace }, spec });
const taskDefinition = (image: string): string => manifest("TaskDefinition", "report", { family: `report-${env.namespace}`, containerDefinitions: [{ name: "report", image, memory: 256, essential: true }] });
const schedule = (name: string, extra: Record<string, unknown> = {}): string =>
  manifest("EcsSchedule", name, {
    scheduleExpression: "cron(0 2 * * ? *)",
    scheduleExpressionTimezone: "Europe/Paris",
    clusterRef: { name: "main" },
    taskDefinitionRef: { name: "report" },
    launchType: "EC2",
    roleArn: `arn:aws:iam::${accountId}:role/scheduler`,
    ...extra,
  });

const group = (): string => `ecs-operator.${env.namespace}`;
const inAws = (name: string) => scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group() }));

async function statusWhere(name: string, what: string, test: (s: EcsSchedule) => boolean): Promise<EcsSchedule> {
  return waitFor(what, async () => {
    const obj = await env.get<EcsSchedule>("ecsschedules", name);
    const ready = obj?.status?.conditions?.find((c) => c.type === "Ready");
    return obj && ready?.status === "True" && obj.status?.observedGeneration === obj.metadata.generation && test(obj) ? obj : undefined;
  });
}

describe("EcsSchedule: an EventBridge Scheduler schedule that runs a task, like a CronJob", () => {
  beforeAll(async () => {
    env.apply([manifest("EcsCluster", "main", {}), taskDefinition("report:1")].join("\n---\n"));
    await env.ready("taskdefinitions", "report");
  });

  it("is created in the namespace's group with the task definition's revision, its owner in the description, and the next run computed", async () => {
    env.apply(schedule("nightly"));
    const ready = await env.ready<EcsSchedule>("ecsschedules", "nightly");
    const got = await inAws("nightly");
    expect(got).toMatchObject({ State: "ENABLED", ScheduleExpression: "cron(0 2 * * ? *)", ScheduleExpressionTimezone: "Europe/Paris" });
    expect(got.Target?.EcsParameters?.TaskDefinitionArn).toMatch(new RegExp(`task-definition/report-${env.namespace}:1$`));
    expect(got.Target?.Arn).toMatch(new RegExp(`:cluster/${env.namespace}_main$`));
    expect(got.Description).toContain(`ecs-operator.dev/uid=${ready.metadata.uid}`);
    expect(ready.status).toMatchObject({ state: "ENABLED", groupName: group(), scheduleName: "nightly", arn: got.Arn });
    // 02:00 in Paris is 01:00 or 00:00 UTC, within the next day.
    const next = Date.parse(ready.status?.nextRunTime ?? "");
    expect(next - Date.now()).toBeGreaterThan(0);
    expect(next - Date.now()).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect([0, 1]).toContain(new Date(next).getUTCHours());
    // The group is the operator's, created for the namespace and tagged so.
    const created = await scheduler.send(new GetScheduleGroupCommand({ Name: group() }));
    const tags = (await scheduler.send(new ListTagsForResourceCommand({ ResourceArn: created.Arn }))).Tags ?? [];
    expect(tags).toContainEqual({ Key: "ecs-operator.dev/owner", Value: env.namespace });
  });

  it("makes no AWS write once converged", async () => {
    await statusWhere("nightly", "converged", () => true);
    await sleep(1000);
    await proxy.reset(accountId);
    await sleep(7000);
    const counts = await proxy.counts(accountId);
    expect(writeCalls(counts), JSON.stringify(counts)).toBe(0);
  });

  it("is disabled and enabled again with the spec's state", async () => {
    env.apply(schedule("nightly", { state: "DISABLED" }));
    const disabled = await statusWhere("nightly", "DISABLED", (s) => s.status?.state === "DISABLED");
    expect(disabled.status?.nextRunTime).toBeUndefined();
    expect((await inAws("nightly")).State).toBe("DISABLED");
    env.apply(schedule("nightly"));
    const enabled = await statusWhere("nightly", "ENABLED", (s) => s.status?.state === "ENABLED");
    expect(enabled.status?.nextRunTime).toBeDefined();
    expect((await inAws("nightly")).State).toBe("ENABLED");
  });

  it("follows a new TaskDefinition revision with one UpdateSchedule", async () => {
    await proxy.reset(accountId);
    env.apply(taskDefinition("report:2"));
    const moved = await statusWhere("nightly", "the target on revision 2", (s) => s.status?.taskDefinitionArn?.endsWith(`report-${env.namespace}:2`) === true);
    expect((await inAws("nightly")).Target?.EcsParameters?.TaskDefinitionArn).toBe(moved.status?.taskDefinitionArn);
    expect(callsTo(await proxy.counts(accountId), "scheduler:UpdateSchedule")).toBe(1);
  });

  it("refuses a time zone that does not exist with a clear condition, and recovers once fixed", async () => {
    env.apply(schedule("zoned", { scheduleExpressionTimezone: "Europe/Atlantis" }));
    const refused = await waitForCondition<EcsSchedule>(stack, "ecsschedules", env.namespace, "zoned", { type: "Synced", status: "False", reason: "InvalidSpec" });
    expect(refused.status?.conditions?.find((c) => c.type === "Synced")?.message).toContain("Europe/Atlantis is not a time zone");
    env.apply(schedule("zoned", { scheduleExpressionTimezone: "Asia/Tokyo" }));
    await env.ready("ecsschedules", "zoned");
    expect((await inAws("zoned")).ScheduleExpressionTimezone).toBe("Asia/Tokyo");
  });

  it("refuses at apply a cron expression EventBridge refuses, showing the value", () => {
    const stderr = kubectlFails(stack, ["apply", "-f", "-"], schedule("both-days", { scheduleExpression: "cron(0 2 * * MON *)" }));
    expect(stderr).toContain("a cron expression sets one of day-of-month and day-of-week and puts ? in the other, got cron(0 2 * * MON *)");
  });

  it("deleting it deletes the schedule", async () => {
    kubectl(stack, ["delete", "ecsschedule", "nightly", "zoned", "-n", env.namespace, "--wait=true", "--timeout=60s"]);
    await expect(inAws("nightly")).rejects.toMatchObject({ name: "ResourceNotFoundException" });
    await expect(inAws("zoned")).rejects.toMatchObject({ name: "ResourceNotFoundException" });
  });
});
