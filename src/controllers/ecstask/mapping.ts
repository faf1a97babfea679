import type { RunTaskCommandInput, Task } from "@aws-sdk/client-ecs";
import { createHash } from "node:crypto";
import type { EcsTask, EcsTaskRecord, EcsTaskSpec, EcsTaskStatus } from "../../api/ecstask.js";
import { RESERVED_TAG_PREFIX } from "../../api/names.js";
import { ecsVolumeConfigurations } from "../../aws/ecs-volumes.js";
import { desiredTags, fromLowerTagList, toLowerTagList, UID_TAG } from "../../aws/tags.js";
import { revisionName } from "../../aws/task-definition-revisions.js";
import type { Readiness, Unlocated } from "../../runtime/driver.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";

export const KIND = "EcsTask";

/** The tag that says which attempt started a task (1, then one more per re-run). */
export const ATTEMPT_TAG = `${RESERVED_TAG_PREFIX}attempt`;

/** The Ready reasons of a run (docs/design.md, section 2). TaskFailed is terminal: only a new object runs again. */
export const TASK_REASONS = ["TaskRunning", "TaskSucceeded", "TaskFailed"] as const;

export interface TaskDeps {
  /** Cluster name or ARN. */
  cluster: string;
  /** The revision to run (pinned). */
  taskDefinition: string;
}

/** What is known of the run: every task of every attempt, from status and ECS. */
export interface ObservedRun {
  records: EcsTaskRecord[];
  clusterArn?: string;
  taskDefinitionArn?: string;
  /** Read from status alone: the run had finished, so ECS was not asked (it forgets stopped tasks after about an hour). */
  fromStatus?: boolean;
}

export const taskReferences = {
  cluster: { kind: "EcsCluster", statusField: "clusterName", path: "spec.clusterRef", names: (s: EcsTaskSpec) => [s.clusterRef?.name] },
  taskDefinition: { kind: "TaskDefinition", statusField: "taskDefinitionArn", path: "spec.taskDefinitionRef", names: (s: EcsTaskSpec) => [s.taskDefinitionRef?.name] },
} satisfies ReferenceFields<EcsTaskSpec>;

export type TaskRefs = ReferenceValues<typeof taskReferences>;

/** The revision of a run that has started is the one it started with: a new TaskDefinition revision does not change it. */
export function resolveTask(obj: EcsTask, refs: TaskRefs): TaskDeps {
  return {
    cluster: obj.status?.clusterArn ?? obj.spec.cluster ?? refs.cluster[0] ?? "",
    taskDefinition: obj.status?.taskDefinitionArn ?? obj.spec.taskDefinition ?? refs.taskDefinition[0] ?? "",
  };
}

/** Where the tasks of an object being deleted are: their cluster, from status, the literal or the EcsCluster object. */
export function locateTask(obj: EcsTask, refs: TaskRefs): TaskDeps | Unlocated {
  const cluster = obj.status?.clusterArn ?? obj.spec.cluster ?? refs.cluster[0];
  if (cluster !== undefined) return { cluster, taskDefinition: obj.status?.taskDefinitionArn ?? "" };
  // Nothing was ever started without a cluster in status: no task to stop.
  if ((obj.status?.tasks ?? []).length === 0 && obj.status?.attempts === undefined) return { cluster: "", taskDefinition: "" };
  return { unlocated: `the cluster of this run is unknown: status has no clusterArn and EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef?.name ?? ""} shows no clusterName` };
}

/** The startedBy the tasks carry: the user's, else the object's uid (36 characters, as ECS allows). */
export function startedByOf(obj: EcsTask): string {
  return obj.spec.startedBy ?? obj.metadata.uid;
}

/**
 * RunTask's idempotency token for one attempt: ECS answers a repeat of the same request within
 * 24 hours with the tasks it started the first time, so a crash between RunTask and the status
 * write never starts a second run (promise 4).
 */
export function runClientToken(obj: EcsTask, attempt: number): string {
  return createHash("sha256").update(`${obj.metadata.uid}:${String(attempt)}`).digest("hex");
}

export function taskTags(obj: EcsTask, attempt: number): Record<string, string> {
  return { ...desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags), [ATTEMPT_TAG]: String(attempt) };
}

export function runTaskInput(obj: EcsTask, deps: TaskDeps, attempt: number): RunTaskCommandInput {
  const s = obj.spec;
  return {
    cluster: deps.cluster,
    taskDefinition: deps.taskDefinition,
    count: s.count ?? 1,
    startedBy: startedByOf(obj),
    clientToken: runClientToken(obj, attempt),
    tags: toLowerTagList(taskTags(obj, attempt)),
    ...(s.launchType ? { launchType: s.launchType } : {}),
    ...(s.capacityProviderStrategy ? { capacityProviderStrategy: s.capacityProviderStrategy } : {}),
    ...(s.platformVersion ? { platformVersion: s.platformVersion } : {}),
    ...(s.networkConfiguration ? { networkConfiguration: s.networkConfiguration } : {}),
    ...(s.overrides ? { overrides: s.overrides } : {}),
    ...(s.group ? { group: s.group } : {}),
    ...(s.propagateTags ? { propagateTags: s.propagateTags } : {}),
    ...(s.enableExecuteCommand !== undefined ? { enableExecuteCommand: s.enableExecuteCommand } : {}),
    ...(s.enableECSManagedTags !== undefined ? { enableECSManagedTags: s.enableECSManagedTags } : {}),
    ...(s.volumeConfigurations ? { volumeConfigurations: ecsVolumeConfigurations(s.volumeConfigurations) } : {}),
  };
}

/**
 * What volumeConfigurations gets wrong against the revision's volumes configured at launch: a
 * name that is not one of them, or one of them left unconfigured. Empty when they match or the
 * spec configures no volume.
 */
export function launchVolumeMismatches(volumes: readonly { name: string }[] | undefined, atLaunch: readonly string[]): string[] {
  if (volumes === undefined) return [];
  const configured = volumes.map((v) => v.name);
  return [
    ...configured.filter((name) => !atLaunch.includes(name)).map((name) => `spec.volumeConfigurations names ${name}, which is not a volume with configuredAtLaunch: true (${atLaunch.length > 0 ? `the revision has ${atLaunch.join(", ")}` : "the revision has none"})`),
    ...atLaunch.filter((name) => !configured.includes(name)).map((name) => `the revision's volume ${name} is configured at launch but spec.volumeConfigurations does not configure it`),
  ];
}

/** Override names that are not containers of the task definition (AWS refuses RunTask for them). */
export function unknownOverrideContainers(overrides: { containerOverrides?: { name: string }[] } | undefined, containers: readonly string[]): string[] {
  return (overrides?.containerOverrides ?? []).map((c) => c.name).filter((name) => !containers.includes(name));
}

const iso = (d: Date | undefined): string | undefined => (d ? new Date(d).toISOString() : undefined);

/** One task as status keeps it, from DescribeTasks. */
export function taskRecord(task: Task, attempt: number): EcsTaskRecord {
  const startedAt = iso(task.startedAt);
  const stoppedAt = iso(task.stoppedAt);
  return {
    taskArn: task.taskArn ?? "",
    attempt,
    ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
    ...(task.desiredStatus ? { desiredStatus: task.desiredStatus } : {}),
    ...(task.stopCode ? { stopCode: task.stopCode } : {}),
    ...(task.stoppedReason ? { stoppedReason: task.stoppedReason } : {}),
    ...(startedAt ? { startedAt } : {}),
    ...(stoppedAt ? { stoppedAt } : {}),
    containers: (task.containers ?? []).map((c) => ({
      name: c.name ?? "",
      ...(c.lastStatus ? { lastStatus: c.lastStatus } : {}),
      ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}),
      ...(c.reason ? { reason: c.reason } : {}),
    })),
  };
}

/** The attempt a task belongs to, from its tag; undefined for a task that is not this object's. */
export function attemptOf(task: Task, uid: string): number | undefined {
  const tags = fromLowerTagList(task.tags);
  if (tags[UID_TAG] !== uid) return undefined;
  const attempt = Number(tags[ATTEMPT_TAG] ?? "1");
  return Number.isInteger(attempt) && attempt > 0 ? attempt : 1;
}

/** A record for a task ECS no longer reports (it forgets stopped tasks after a while): stopped, outcome unknown. */
export function lostRecord(record: EcsTaskRecord): EcsTaskRecord {
  if (record.lastStatus === "STOPPED") return record;
  return { ...record, lastStatus: "STOPPED", desiredStatus: "STOPPED", stoppedReason: record.stoppedReason ?? "ECS no longer reports this task" };
}

/** Older attempts first, then by ARN: the same records always give the same status. */
export function mergeRecords(known: readonly EcsTaskRecord[], fresh: readonly EcsTaskRecord[]): EcsTaskRecord[] {
  const byArn = new Map(known.map((r) => [r.taskArn, r]));
  for (const r of fresh) byArn.set(r.taskArn, r);
  return [...byArn.values()].sort((a, b) => a.attempt - b.attempt || a.taskArn.localeCompare(b.taskArn));
}

export type TaskOutcome = { state: "running" } | { state: "succeeded" } | { state: "failed"; why: string; exitCode?: number };

/**
 * How one stopped task ended. It succeeded when every essential container exited 0 and ECS
 * stopped it because they exited (EssentialContainerExited); any other stop (failed to start,
 * stopped by a user, a Spot interruption) is a failure, as is an essential container that
 * exited non-zero or never reported an exit code.
 */
export function taskOutcome(record: EcsTaskRecord, essential: ReadonlySet<string> | undefined): TaskOutcome {
  if (record.lastStatus !== "STOPPED") return { state: "running" };
  const containers = record.containers ?? [];
  const judged = essential ? containers.filter((c) => essential.has(c.name)) : containers;
  const nonZero = judged.find((c) => c.exitCode !== undefined && c.exitCode !== 0);
  if (nonZero) {
    return { state: "failed", why: `essential container ${nonZero.name} exited with code ${String(nonZero.exitCode)}${nonZero.reason ? ` (${nonZero.reason})` : ""}`, exitCode: nonZero.exitCode ?? 0 };
  }
  const stopCode = record.stopCode ?? "EssentialContainerExited";
  if (stopCode !== "EssentialContainerExited") return { state: "failed", why: `stopped (${stopCode}): ${record.stoppedReason ?? "no reason given"}` };
  const noExit = judged.find((c) => c.exitCode === undefined);
  if (noExit) return { state: "failed", why: `essential container ${noExit.name} stopped without an exit code: ${record.stoppedReason ?? noExit.reason ?? "no reason given"}` };
  return { state: "succeeded" };
}

export type RunVerdict =
  | { state: "none" }
  | { state: "running"; attempt: number }
  | { state: "retry"; attempt: number; why: string }
  | { state: "succeeded"; attempt: number }
  | { state: "failed"; attempt: number; why: string; exitCode?: number };

/**
 * Where the run stands: the newest attempt decides. A failed attempt is followed by another while
 * fewer than 1 + backoffLimit have started (`retry`: start attempt + 1), else the run failed.
 */
export function runVerdict(records: readonly EcsTaskRecord[], backoffLimit: number, essential: ReadonlySet<string> | undefined): RunVerdict {
  if (records.length === 0) return { state: "none" };
  const attempt = Math.max(...records.map((r) => r.attempt));
  const outcomes = records.filter((r) => r.attempt === attempt).map((r) => taskOutcome(r, essential));
  if (outcomes.some((o) => o.state === "running")) return { state: "running", attempt };
  const failed = outcomes.find((o): o is Extract<TaskOutcome, { state: "failed" }> => o.state === "failed");
  if (!failed) return { state: "succeeded", attempt };
  if (attempt < 1 + backoffLimit) return { state: "retry", attempt, why: failed.why };
  return { state: "failed", attempt, why: failed.why, ...(failed.exitCode !== undefined ? { exitCode: failed.exitCode } : {}) };
}

/** The run's verdict as status records it (the containers' essential flags were applied when it was written). */
export function finishedPhase(status: EcsTaskStatus | undefined): "Succeeded" | "Failed" | undefined {
  return status?.phase === "Succeeded" || status?.phase === "Failed" ? status.phase : undefined;
}

/** 2m14s, 45s, 1h3m: kubectl's way of saying a duration. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${String(s)}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${String(m)}m${s % 60 ? `${String(s % 60)}s` : ""}`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${String(h)}h${m % 60 ? `${String(m % 60)}m` : ""}`;
  return `${String(Math.floor(h / 24))}d${h % 24 ? `${String(h % 24)}h` : ""}`;
}

function latest(dates: (string | undefined)[]): string | undefined {
  const known = dates.filter((d): d is string => d !== undefined).sort();
  return known.at(-1);
}

function earliest(dates: (string | undefined)[]): string | undefined {
  return dates.filter((d): d is string => d !== undefined).sort()[0];
}

/** The exit code people look for: the first non-zero one of the newest attempt, else its first container's. */
function exitCodeOf(records: readonly EcsTaskRecord[], attempt: number): number | undefined {
  const containers = records.filter((r) => r.attempt === attempt).flatMap((r) => r.containers ?? []);
  return (containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ?? containers.find((c) => c.exitCode !== undefined))?.exitCode;
}

export function taskStatus(obj: EcsTask, observed: ObservedRun, verdict: RunVerdict): EcsTaskStatus {
  const { records } = observed;
  const attempt = verdict.state === "none" ? 0 : verdict.attempt;
  const finished = verdict.state === "succeeded" || verdict.state === "failed";
  const startTime = earliest(records.map((r) => r.startedAt));
  const completionTime = finished ? (latest(records.filter((r) => r.attempt === attempt).map((r) => r.stoppedAt)) ?? obj.status?.completionTime) : undefined;
  const exitCode = exitCodeOf(records, attempt);
  const last = records.filter((r) => r.attempt === attempt);
  const stoppedReason = verdict.state === "failed" ? verdict.why : verdict.state === "retry" ? verdict.why : undefined;
  return {
    ...(observed.clusterArn ? { clusterArn: observed.clusterArn } : {}),
    ...(observed.taskDefinitionArn ? { taskDefinitionArn: observed.taskDefinitionArn } : {}),
    startedBy: startedByOf(obj),
    phase: verdict.state === "succeeded" ? "Succeeded" : verdict.state === "failed" ? "Failed" : "Running",
    attempts: attempt,
    tasks: records,
    ...(exitCode !== undefined && last.every((r) => r.lastStatus === "STOPPED") ? { exitCode } : {}),
    ...(stoppedReason ? { stoppedReason } : {}),
    ...(startTime ? { startTime } : {}),
    ...(completionTime ? { completionTime } : {}),
    ...(completionTime ? { duration: humanDuration(Date.parse(completionTime) - Date.parse(startTime ?? obj.metadata.creationTimestamp ?? completionTime)) } : {}),
  };
}

/** The run's verdict when ECS was not asked: status says it finished. */
export function verdictFromStatus(status: EcsTaskStatus | undefined): RunVerdict {
  const attempt = status?.attempts ?? 1;
  if (status?.phase === "Succeeded") return { state: "succeeded", attempt };
  return { state: "failed", attempt, why: status?.stoppedReason ?? "failed", ...(status?.exitCode !== undefined ? { exitCode: status.exitCode } : {}) };
}

function taskSummary(records: readonly EcsTaskRecord[], attempt: number): string {
  const counts = new Map<string, number>();
  for (const r of records.filter((x) => x.attempt === attempt)) counts.set(r.lastStatus ?? "PROVISIONING", (counts.get(r.lastStatus ?? "PROVISIONING") ?? 0) + 1);
  return [...counts.entries()].map(([s, n]) => `${String(n)} ${s}`).join(", ");
}

/**
 * Ready for a run-to-completion kind: True once the run completed (as a finished Job is
 * Healthy in Argo CD); False with TaskRunning while it runs (Progressing), False with TaskFailed
 * once it failed for good (Degraded: only a new object runs again).
 */
export function runReadiness(obj: EcsTask, observed: ObservedRun, verdict: RunVerdict, now: Date, recheckMs: number): Readiness {
  const limit = 1 + (obj.spec.backoffLimit ?? 0);
  const revision = observed.taskDefinitionArn ? revisionName(observed.taskDefinitionArn) : "its task definition";
  const ttl = obj.spec.ttlSecondsAfterFinished;
  const completion = obj.status?.completionTime ?? taskStatus(obj, observed, verdict).completionTime;
  const expiry = ttl !== undefined && completion !== undefined ? { deleteObjectAfterMs: Date.parse(completion) + ttl * 1000 - now.getTime() } : {};
  switch (verdict.state) {
    case "succeeded":
      return {
        ready: true,
        reason: "TaskSucceeded",
        message: `${revision} ran to completion (attempt ${String(verdict.attempt)} of at most ${String(limit)})`,
        announce: true,
        conditions: [{ type: "Complete", status: "True", reason: "TaskSucceeded", message: "every task of the run exited successfully" }],
        ...expiry,
      };
    case "failed":
      return {
        ready: false,
        reason: "TaskFailed",
        message: `${revision} failed after ${String(verdict.attempt)} attempt${verdict.attempt === 1 ? "" : "s"} (backoffLimit ${String(limit - 1)}): ${verdict.why}`,
        failure: true,
        conditions: [{ type: "Failed", status: "True", reason: "TaskFailed", message: verdict.why }],
        ...expiry,
      };
    default: {
      const attempt = verdict.state === "none" ? 1 : verdict.attempt;
      return {
        ready: false,
        reason: "TaskRunning",
        message: `${revision}: attempt ${String(attempt)} of at most ${String(limit)}: ${taskSummary(observed.records, attempt) || "starting"}`,
        recheckAfterMs: recheckMs,
      };
    }
  }
}
