import type { GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { describe, expect, it } from "vitest";
import type { EcsSchedule } from "../../src/api/ecsschedule.js";
import { groupName, lastRuns, markedDescription, scheduleDifferences, scheduleInput, scheduleName, scheduleOwnership } from "../../src/controllers/ecsschedule/mapping.js";

const uid = "7c9e6679-7425-40de-944b-e07fc1f90ae7";
const deps = { clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/main", taskDefinitionArn: "arn:aws:ecs:us-east-1:111122223333:task-definition/report:4" };

function object(spec: Partial<EcsSchedule["spec"]> = {}, name = "nightly-report"): EcsSchedule {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "EcsSchedule",
    metadata: { name, namespace: "analytics", uid, generation: 1 },
    spec: { scheduleExpression: "cron(0 2 * * ? *)", clusterRef: { name: "main" }, taskDefinitionRef: { name: "report" }, roleArn: "arn:aws:iam::111122223333:role/scheduler", ...spec },
  };
}

/** GetSchedule's answer for what the spec asked, with the defaults AWS fills in. */
function asAws(obj: EcsSchedule): GetScheduleCommandOutput {
  const input = scheduleInput(obj, deps);
  return { $metadata: {}, ...input, Arn: "arn:aws:scheduler:us-east-1:111122223333:schedule/x/y", Target: { ...input.Target, Arn: input.Target?.Arn ?? "", RoleArn: input.Target?.RoleArn ?? "", RetryPolicy: { MaximumEventAgeInSeconds: 86400, MaximumRetryAttempts: 185 } } };
}

describe("EcsSchedule mapping", () => {
  it("names: the object's name in the namespace's group", () => {
    expect(scheduleName(object())).toBe("nightly-report");
    expect(groupName(object())).toBe("ecs-operator.analytics");
    expect(groupName(object({ groupName: "batch" }))).toBe("batch");
    expect(scheduleName(object({}, "x".repeat(80)))).toMatch(/^x{55}-[0-9a-f]{8}$/);
  });

  it("ownership lives in the description, since schedules have no tags", () => {
    const input = scheduleInput(object({ description: "the nightly sales report" }), deps);
    expect(input.Description).toBe(`the nightly sales report [ecs-operator.dev/uid=${uid} ecs-operator.dev/owner=analytics/nightly-report]`);
    expect(scheduleOwnership(input.Description, uid)).toBe("ours");
    expect(scheduleOwnership(input.Description, "another-uid")).toBe("foreign");
    expect(scheduleOwnership("made by hand", uid)).toBe("unowned");
    expect(markedDescription("made by hand", object())).toBe(`made by hand [ecs-operator.dev/uid=${uid} ecs-operator.dev/owner=analytics/nightly-report]`);
  });

  it("the target: RunTask on the cluster with the revision, a task group per schedule, the tasks tagged, overrides as input", () => {
    const input = scheduleInput(object({ launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1"] } }, overrides: { containerOverrides: [{ name: "report", command: ["run", "--date=yesterday"] }] } }), deps);
    expect(input.Target).toMatchObject({ Arn: deps.clusterArn, RoleArn: "arn:aws:iam::111122223333:role/scheduler", Input: JSON.stringify({ containerOverrides: [{ name: "report", command: ["run", "--date=yesterday"] }] }) });
    expect(input.Target?.EcsParameters).toMatchObject({ TaskDefinitionArn: deps.taskDefinitionArn, TaskCount: 1, LaunchType: "FARGATE", Group: "schedule:ecs-operator.analytics/nightly-report", NetworkConfiguration: { awsvpcConfiguration: { Subnets: ["subnet-1"] } } });
    expect(input.Target?.EcsParameters?.Tags).toEqual([{ "ecs-operator.dev/owner": "analytics/nightly-report", "ecs-operator.dev/uid": uid, "ecs-operator.dev/kind": "EcsSchedule" }]);
    expect(input).toMatchObject({ State: "ENABLED", ScheduleExpressionTimezone: "UTC", FlexibleTimeWindow: { Mode: "OFF" } });
  });

  it("differences: none for what AWS answers with its defaults; each changed field named", () => {
    const obj = object({ retryPolicy: { maximumRetryAttempts: 185 } });
    expect(scheduleDifferences(obj, deps, asAws(obj))).toEqual([]);
    expect(scheduleDifferences(object({ state: "DISABLED" }), deps, asAws(obj))).toEqual(["state"]);
    expect(scheduleDifferences(obj, { ...deps, taskDefinitionArn: deps.taskDefinitionArn.replace(":4", ":5") }, asAws(obj))).toEqual(["taskDefinition"]);
    expect(scheduleDifferences(object({ scheduleExpression: "rate(1 hour)", retryPolicy: { maximumRetryAttempts: 3 } }), deps, asAws(obj))).toEqual(["scheduleExpression", "retryPolicy"]);
  });

  it("last runs: the schedule's own tasks (by group), newest first, at most five", () => {
    const task = (id: string, group: string, minute: number, exitCode?: number) => ({
      taskArn: `arn:task/${id}`,
      group,
      lastStatus: exitCode === undefined ? "RUNNING" : "STOPPED",
      createdAt: new Date(Date.UTC(2026, 2, 10, 2, minute)),
      containers: [{ name: "report", ...(exitCode !== undefined ? { exitCode } : {}) }],
    });
    const group = "schedule:ecs-operator.analytics/nightly-report";
    const tasks = [task("a", group, 1, 0), task("b", "family:report", 2, 0), task("c", group, 3, 2), ...[4, 5, 6, 7].map((m) => task(`d${String(m)}`, group, m, 0)), task("e", group, 8)];
    const runs = lastRuns(tasks, group);
    expect(runs.map((r) => r.taskArn)).toEqual(["arn:task/e", "arn:task/d7", "arn:task/d6", "arn:task/d5", "arn:task/d4"]);
    expect(lastRuns(tasks, group).find((r) => r.taskArn === "arn:task/e")).not.toHaveProperty("exitCode");
    expect(lastRuns([task("c", group, 3, 2)], group)[0]).toMatchObject({ exitCode: 2, lastStatus: "STOPPED" });
  });
});
