import type { Task } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsTask } from "../../src/api/ecstask.js";
import {
  attemptOf,
  humanDuration,
  locateTask,
  runClientToken,
  runReadiness,
  runTaskInput,
  runVerdict,
  taskRecord,
  taskStatus,
  unknownOverrideContainers,
  launchVolumeMismatches,
} from "../../src/controllers/ecstask/mapping.js";

const uid = "0b6f3a52-1c1e-4d7e-9a31-5f0c2b7d9e11";

function object(spec: Partial<EcsTask["spec"]> = {}, status?: EcsTask["status"]): EcsTask {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "EcsTask",
    metadata: { name: "migrate", namespace: "shop", uid, generation: 1, creationTimestamp: "2026-03-10T10:00:00Z" },
    spec: { cluster: "main", taskDefinition: "migrate:3", ...spec },
    ...(status ? { status } : {}),
  };
}

/** A task as DescribeTasks answers it, with the tags RunTask gave it. */
function awsTask(arn: string, attempt: number, lastStatus: string, containers: { name: string; exitCode?: number; reason?: string }[], extra: Partial<Task> = {}): Task {
  return {
    taskArn: `arn:aws:ecs:us-east-1:111122223333:task/main/${arn}`,
    clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/main",
    taskDefinitionArn: "arn:aws:ecs:us-east-1:111122223333:task-definition/migrate:3",
    lastStatus,
    desiredStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING",
    startedAt: new Date("2026-03-10T10:00:05Z"),
    ...(lastStatus === "STOPPED" ? { stoppedAt: new Date("2026-03-10T10:02:19Z"), stopCode: "EssentialContainerExited", stoppedReason: "Essential container in task exited" } : {}),
    containers: containers.map((c) => ({ name: c.name, lastStatus: lastStatus === "STOPPED" ? "STOPPED" : "RUNNING", ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}), ...(c.reason ? { reason: c.reason } : {}) })),
    tags: [
      { key: "ecs-operator.dev/uid", value: uid },
      { key: "ecs-operator.dev/attempt", value: String(attempt) },
    ],
    ...extra,
  };
}

const essential = new Set(["app"]);
const record = (task: Task) => taskRecord(task, attemptOf(task, uid) ?? 0);

describe("EcsTask: from ECS's answers to the run's verdict", () => {
  it("a task whose essential container exited 0 succeeded, even if a sidecar exited non-zero", () => {
    const done = record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 0 }, { name: "log", exitCode: 137 }]));
    expect(runVerdict([done], 0, essential)).toEqual({ state: "succeeded", attempt: 1 });
    // Without knowing which containers are essential, every one counts.
    expect(runVerdict([done], 0, undefined)).toMatchObject({ state: "failed", exitCode: 137 });
  });

  it("an essential container exiting non-zero fails the attempt; with backoff left, the next attempt is due", () => {
    const failed = record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 1, reason: "migration 42 failed" }]));
    expect(runVerdict([failed], 2, essential)).toEqual({ state: "retry", attempt: 1, why: "essential container app exited with code 1 (migration 42 failed)" });
    const third = record(awsTask("c", 3, "STOPPED", [{ name: "app", exitCode: 1 }]));
    expect(runVerdict([failed, third], 2, essential)).toEqual({ state: "failed", attempt: 3, why: "essential container app exited with code 1", exitCode: 1 });
  });

  it("a stop for another reason than the essential containers' exit is a failure", () => {
    const stopped = record(awsTask("a", 1, "STOPPED", [{ name: "app" }], { stopCode: "UserInitiated", stoppedReason: "Task stopped by user" }));
    expect(runVerdict([stopped], 0, essential)).toEqual({ state: "failed", attempt: 1, why: "stopped (UserInitiated): Task stopped by user" });
    const noStart = record(awsTask("b", 1, "STOPPED", [{ name: "app" }], { stopCode: "TaskFailedToStart", stoppedReason: "CannotPullContainerError" }));
    expect(runVerdict([noStart], 0, essential)).toMatchObject({ state: "failed", why: "stopped (TaskFailedToStart): CannotPullContainerError" });
  });

  it("the newest attempt decides, and one task still running keeps the run running", () => {
    const old = record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 1 }]));
    const running = record(awsTask("b", 2, "RUNNING", [{ name: "app" }]));
    const done = record(awsTask("c", 2, "STOPPED", [{ name: "app", exitCode: 0 }]));
    expect(runVerdict([old, running, done], 1, essential)).toEqual({ state: "running", attempt: 2 });
    expect(runVerdict([], 1, essential)).toEqual({ state: "none" });
  });

  it("tasks of another object are not ours", () => {
    expect(attemptOf({ ...awsTask("a", 1, "RUNNING", []), tags: [{ key: "ecs-operator.dev/uid", value: "someone-else" }] }, uid)).toBeUndefined();
    expect(attemptOf(awsTask("a", 4, "RUNNING", []), uid)).toBe(4);
  });

  it("status: attempts, every task with its containers' exit codes, the exit code, the times and the duration", () => {
    const obj = object({ backoffLimit: 2 });
    const records = [record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 1 }])), record(awsTask("b", 2, "STOPPED", [{ name: "app", exitCode: 0 }]))];
    const status = taskStatus(obj, { records, clusterArn: "arn:c", taskDefinitionArn: "arn:td" }, runVerdict(records, 2, essential));
    expect(status).toMatchObject({ phase: "Succeeded", attempts: 2, exitCode: 0, startTime: "2026-03-10T10:00:05.000Z", completionTime: "2026-03-10T10:02:19.000Z", duration: "2m14s", startedBy: uid });
    expect(status.tasks?.map((t) => [t.attempt, t.containers?.[0]?.exitCode])).toEqual([[1, 1], [2, 0]]);
  });

  it("Ready: True once Complete (announced), False TaskRunning while it runs, False TaskFailed (a failure) at the end", () => {
    const obj = object({ backoffLimit: 1, ttlSecondsAfterFinished: 60 });
    const now = new Date("2026-03-10T10:02:49Z");
    const ok = [record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 0 }]))];
    const complete = runReadiness(obj, { records: ok, taskDefinitionArn: "arn:aws:ecs:us-east-1:111122223333:task-definition/migrate:3" }, runVerdict(ok, 1, essential), now, 5000);
    expect(complete).toMatchObject({ ready: true, reason: "TaskSucceeded", announce: true, deleteObjectAfterMs: 30_000 });
    expect(complete.conditions).toEqual([{ type: "Complete", status: "True", reason: "TaskSucceeded", message: "every task of the run exited successfully" }]);
    const bad = [record(awsTask("a", 1, "STOPPED", [{ name: "app", exitCode: 1 }])), record(awsTask("b", 2, "STOPPED", [{ name: "app", exitCode: 2 }]))];
    const failed = runReadiness(obj, { records: bad }, runVerdict(bad, 1, essential), now, 5000);
    expect(failed).toMatchObject({ ready: false, reason: "TaskFailed", failure: true });
    expect(failed.message).toContain("failed after 2 attempts (backoffLimit 1): essential container app exited with code 2");
    const running = [record(awsTask("a", 1, "RUNNING", [{ name: "app" }]))];
    expect(runReadiness(obj, { records: running }, runVerdict(running, 1, essential), now, 5000)).toMatchObject({ ready: false, reason: "TaskRunning", recheckAfterMs: 5000 });
  });

  it("RunTask input: the spec's fields, a client token per attempt, startedBy and the ownership and attempt tags", () => {
    const obj = object({ count: 2, launchType: "EC2", overrides: { containerOverrides: [{ name: "app", command: ["migrate", "up"] }] }, tags: { team: "shop" } });
    const input = runTaskInput(obj, { cluster: "main", taskDefinition: "arn:td:3" }, 2);
    expect(input).toMatchObject({ cluster: "main", taskDefinition: "arn:td:3", count: 2, launchType: "EC2", startedBy: uid, clientToken: runClientToken(obj, 2), overrides: { containerOverrides: [{ name: "app", command: ["migrate", "up"] }] } });
    expect(input.clientToken).toHaveLength(64);
    expect(runClientToken(obj, 1)).not.toBe(runClientToken(obj, 2));
    expect(Object.fromEntries((input.tags ?? []).map((t) => [t.key, t.value]))).toEqual({ team: "shop", "ecs-operator.dev/owner": "shop/migrate", "ecs-operator.dev/uid": uid, "ecs-operator.dev/kind": "EcsTask", "ecs-operator.dev/attempt": "2" });
  });

  it("overrides naming a container the task definition lacks are found before RunTask", () => {
    expect(unknownOverrideContainers({ containerOverrides: [{ name: "app" }, { name: "ap" }] }, ["app", "log"])).toEqual(["ap"]);
  });

  it("volume configurations must match the revision's volumes configured at launch, found before RunTask", () => {
    expect(launchVolumeMismatches([{ name: "data" }], ["data"])).toEqual([]);
    expect(launchVolumeMismatches(undefined, ["data"])).toEqual([]);
    expect(launchVolumeMismatches([{ name: "scratch" }], ["data"])).toEqual([
      "spec.volumeConfigurations names scratch, which is not a volume with configuredAtLaunch: true (the revision has data)",
      "the revision's volume data is configured at launch but spec.volumeConfigurations does not configure it",
    ]);
    expect(launchVolumeMismatches([{ name: "data" }], [])).toEqual(["spec.volumeConfigurations names data, which is not a volume with configuredAtLaunch: true (the revision has none)"]);
  });

  it("sends volume configurations with their tags as AWS's pairs", () => {
    const input = runTaskInput(object({ volumeConfigurations: [{ name: "data", managedEBSVolume: { roleArn: "arn:aws:iam::1:role/r", sizeInGiB: 5, tagSpecifications: [{ resourceType: "volume", tags: { b: "2", a: "1" } }] } }] }), { cluster: "c", taskDefinition: "t:1" }, 1);
    expect(input.volumeConfigurations?.[0]?.managedEBSVolume?.tagSpecifications?.[0]?.tags).toEqual([{ key: "a", value: "1" }, { key: "b", value: "2" }]);
  });

  it("deletion finds the tasks' cluster in status first; a run that never started has nothing to stop", () => {
    expect(locateTask(object({}, { clusterArn: "arn:c" }), { cluster: [undefined], taskDefinition: [undefined] })).toMatchObject({ cluster: "arn:c" });
    expect(locateTask(object({ cluster: undefined, clusterRef: { name: "x" } }), { cluster: [undefined], taskDefinition: [undefined] })).toEqual({ cluster: "", taskDefinition: "" });
    expect(locateTask(object({ cluster: undefined, clusterRef: { name: "x" } }, { attempts: 1, tasks: [] }), { cluster: [undefined], taskDefinition: [undefined] })).toHaveProperty("unlocated");
  });

  it("durations read as kubectl's", () => {
    expect([humanDuration(45_000), humanDuration(134_000), humanDuration(3_780_000), humanDuration(90_000_000)]).toEqual(["45s", "2m14s", "1h3m", "1d1h"]);
  });
});
