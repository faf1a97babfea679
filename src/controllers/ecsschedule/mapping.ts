import type { Task } from "@aws-sdk/client-ecs";
import type { CreateScheduleCommandInput, GetScheduleCommandOutput } from "@aws-sdk/client-scheduler";
import { createHash } from "node:crypto";
import type { EcsSchedule, EcsScheduleSpec, EcsScheduleStatus, ScheduleRun } from "../../api/ecsschedule.js";
import { derivedAwsName } from "../../aws/names.js";
import { OWNER_TAG, ownerTags, UID_TAG, type Ownership } from "../../aws/tags.js";
import type { Unlocated } from "../../runtime/driver.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";

export const KIND = "EcsSchedule";

/** Schedules and groups alike: 1 to 64 of these. */
const NAME_RULES = { maxLength: 64, invalid: /[^0-9a-zA-Z._-]/g, separator: "." };
/** How many of the schedule's newest tasks status keeps. */
export const RUNS_KEPT = 5;

export interface ScheduleDeps {
  /** The cluster's ARN (the schedule's target). */
  clusterArn: string;
  /** A pinned revision ARN. */
  taskDefinitionArn: string;
}

export type ObservedSchedule = GetScheduleCommandOutput & {
  nextRunTime?: string;
  lastRuns?: ScheduleRun[];
  lastRunsCheckedAt?: string;
};

export const scheduleReferences = {
  cluster: { kind: "EcsCluster", statusField: "arn", path: "spec.clusterRef", names: (s: EcsScheduleSpec) => [s.clusterRef?.name] },
  taskDefinition: { kind: "TaskDefinition", statusField: "taskDefinitionArn", path: "spec.taskDefinitionRef", names: (s: EcsScheduleSpec) => [s.taskDefinitionRef?.name] },
} satisfies ReferenceFields<EcsScheduleSpec>;

export type ScheduleRefs = ReferenceValues<typeof scheduleReferences>;

export function resolveSchedule(obj: EcsSchedule, refs: ScheduleRefs): ScheduleDeps {
  return { clusterArn: obj.spec.cluster ?? refs.cluster[0] ?? "", taskDefinitionArn: obj.spec.taskDefinition ?? refs.taskDefinition[0] ?? "" };
}

/** A schedule is found by its group and name alone, which the object says itself. */
export function locateSchedule(): ScheduleDeps | Unlocated {
  return { clusterArn: "", taskDefinitionArn: "" };
}

export function scheduleName(obj: EcsSchedule): string {
  if (obj.spec.scheduleName) return obj.spec.scheduleName;
  const name = obj.metadata.name;
  if (/^[0-9a-zA-Z._-]{1,64}$/.test(name)) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 8);
  return `${name.replace(NAME_RULES.invalid, "-").slice(0, 55)}-${hash}`;
}

/** The namespace's own group unless the spec names one: schedules of two namespaces never share a name space. */
export function groupName(obj: EcsSchedule): string {
  return obj.spec.groupName ?? defaultGroupName(obj.metadata.namespace);
}

export function defaultGroupName(namespace: string): string {
  return derivedAwsName("ecs-operator", namespace, NAME_RULES);
}

/** The tags of a namespace's default group: schedules have no tags, their groups do. */
export function groupTags(namespace: string): Record<string, string> {
  return { [OWNER_TAG]: namespace, "ecs-operator.dev/kind": "ScheduleGroup" };
}

/** The task group each run's tasks carry, by which the schedule's runs are told apart from others. */
export function runGroup(obj: EcsSchedule): string {
  return `schedule:${groupName(obj)}/${scheduleName(obj)}`;
}

/**
 * Schedules cannot carry tags, so ownership is written where a schedule can carry text: its
 * description ends with the ownership marker, the object's uid and namespace/name.
 */
export function ownershipMarker(obj: EcsSchedule): string {
  return `[${UID_TAG}=${obj.metadata.uid} ${OWNER_TAG}=${obj.metadata.namespace}/${obj.metadata.name}]`;
}

export function scheduleDescription(obj: EcsSchedule): string {
  return obj.spec.description ? `${obj.spec.description} ${ownershipMarker(obj)}` : ownershipMarker(obj);
}

export function scheduleOwnership(description: string | undefined, uid: string): Ownership {
  const match = new RegExp(`\\[${UID_TAG.replace(/[./]/g, "\\$&")}=([0-9a-zA-Z-]+) `).exec(description ?? "");
  if (!match) return "unowned";
  return match[1] === uid ? "ours" : "foreign";
}

/** A description with the marker put in place of any other: what adoption writes. */
export function markedDescription(current: string | undefined, obj: EcsSchedule): string {
  const plain = (current ?? "").replace(/\s*\[ecs-operator\.dev\/uid=[^\]]*\]/, "").trim();
  return plain ? `${plain} ${ownershipMarker(obj)}` : ownershipMarker(obj);
}

function ecsParameters(obj: EcsSchedule, deps: ScheduleDeps) {
  const s = obj.spec;
  return {
    TaskDefinitionArn: deps.taskDefinitionArn,
    TaskCount: s.taskCount ?? 1,
    Group: runGroup(obj),
    // The tasks say which object's schedule started them.
    Tags: [ownerTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid })],
    ...(s.launchType ? { LaunchType: s.launchType } : {}),
    ...(s.capacityProviderStrategy ? { CapacityProviderStrategy: s.capacityProviderStrategy.map((c) => ({ capacityProvider: c.capacityProvider, weight: c.weight ?? 0, base: c.base ?? 0 })) } : {}),
    ...(s.platformVersion ? { PlatformVersion: s.platformVersion } : {}),
    ...(s.networkConfiguration
      ? {
          NetworkConfiguration: {
            awsvpcConfiguration: {
              Subnets: s.networkConfiguration.awsvpcConfiguration.subnets,
              ...(s.networkConfiguration.awsvpcConfiguration.securityGroups ? { SecurityGroups: s.networkConfiguration.awsvpcConfiguration.securityGroups } : {}),
              ...(s.networkConfiguration.awsvpcConfiguration.assignPublicIp ? { AssignPublicIp: s.networkConfiguration.awsvpcConfiguration.assignPublicIp } : {}),
            },
          },
        }
      : {}),
    ...(s.enableExecuteCommand !== undefined ? { EnableExecuteCommand: s.enableExecuteCommand } : {}),
    ...(s.enableECSManagedTags !== undefined ? { EnableECSManagedTags: s.enableECSManagedTags } : {}),
    ...(s.propagateTags ? { PropagateTags: s.propagateTags } : {}),
  };
}

/** The whole schedule as the spec wants it: UpdateSchedule replaces every field, so create and update send the same. */
export function scheduleInput(obj: EcsSchedule, deps: ScheduleDeps): CreateScheduleCommandInput {
  const s = obj.spec;
  return {
    Name: scheduleName(obj),
    GroupName: groupName(obj),
    Description: scheduleDescription(obj),
    ScheduleExpression: s.scheduleExpression,
    ScheduleExpressionTimezone: s.scheduleExpressionTimezone ?? "UTC",
    FlexibleTimeWindow: { Mode: s.flexibleTimeWindow?.mode ?? "OFF", ...(s.flexibleTimeWindow?.maximumWindowInMinutes ? { MaximumWindowInMinutes: s.flexibleTimeWindow.maximumWindowInMinutes } : {}) },
    State: s.state ?? "ENABLED",
    ...(s.startDate ? { StartDate: new Date(s.startDate) } : {}),
    ...(s.endDate ? { EndDate: new Date(s.endDate) } : {}),
    Target: {
      Arn: deps.clusterArn,
      RoleArn: s.roleArn,
      EcsParameters: ecsParameters(obj, deps),
      // The ECS RunTask target reads its input as RunTask's overrides.
      ...(s.overrides ? { Input: JSON.stringify(s.overrides) } : {}),
      ...(s.retryPolicy
        ? {
            RetryPolicy: {
              ...(s.retryPolicy.maximumEventAgeInSeconds !== undefined ? { MaximumEventAgeInSeconds: s.retryPolicy.maximumEventAgeInSeconds } : {}),
              ...(s.retryPolicy.maximumRetryAttempts !== undefined ? { MaximumRetryAttempts: s.retryPolicy.maximumRetryAttempts } : {}),
            },
          }
        : {}),
      ...(s.deadLetterConfig ? { DeadLetterConfig: { Arn: s.deadLetterConfig.arn } } : {}),
    },
  };
}

const time = (d: Date | string | undefined): number | undefined => (d === undefined ? undefined : new Date(d).getTime());

/** Only what the spec sets is compared where AWS fills defaults (retry policy, ECS parameters' defaults). */
function sameParameters(want: Record<string, unknown>, have: Record<string, unknown> | undefined): boolean {
  const normal = (p: Record<string, unknown> | undefined): string =>
    JSON.stringify(
      Object.entries(p ?? {})
        .filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))
        .sort(([a], [b]) => a.localeCompare(b)),
    );
  return normal(want) === normal(have);
}

/** Human-readable differences between the schedule in AWS and the spec; empty when up to date. */
export function scheduleDifferences(obj: EcsSchedule, deps: ScheduleDeps, observed: GetScheduleCommandOutput): string[] {
  const want = scheduleInput(obj, deps);
  const out: string[] = [];
  if ((observed.Description ?? "") !== want.Description) out.push("description");
  if (observed.ScheduleExpression !== want.ScheduleExpression) out.push("scheduleExpression");
  if ((observed.ScheduleExpressionTimezone ?? "UTC") !== want.ScheduleExpressionTimezone) out.push("scheduleExpressionTimezone");
  const window = observed.FlexibleTimeWindow;
  if ((window?.Mode ?? "OFF") !== want.FlexibleTimeWindow?.Mode || (window?.MaximumWindowInMinutes ?? undefined) !== want.FlexibleTimeWindow.MaximumWindowInMinutes) out.push("flexibleTimeWindow");
  if ((observed.State ?? "ENABLED") !== want.State) out.push("state");
  if (time(observed.StartDate) !== time(want.StartDate)) out.push("startDate");
  if (time(observed.EndDate) !== time(want.EndDate)) out.push("endDate");
  const target = observed.Target;
  if (target?.Arn !== want.Target?.Arn) out.push("cluster");
  if (target?.RoleArn !== want.Target?.RoleArn) out.push("roleArn");
  const params = target?.EcsParameters as Record<string, unknown> | undefined;
  if (params?.TaskDefinitionArn !== want.Target?.EcsParameters?.TaskDefinitionArn) out.push("taskDefinition");
  const { TaskDefinitionArn: _w, ...wantRest } = (want.Target?.EcsParameters ?? {}) as Record<string, unknown>;
  const { TaskDefinitionArn: _h, ...haveRest } = params ?? {};
  if (!sameParameters(wantRest, haveRest)) out.push("ECS parameters");
  const parsed = (text: string | undefined): string => (text === undefined || text === "" ? "" : JSON.stringify(JSON.parse(text)));
  try {
    if (parsed(target?.Input) !== parsed(want.Target?.Input)) out.push("overrides");
  } catch {
    out.push("overrides");
  }
  const retry = want.Target?.RetryPolicy;
  if (retry && ((retry.MaximumEventAgeInSeconds !== undefined && retry.MaximumEventAgeInSeconds !== target?.RetryPolicy?.MaximumEventAgeInSeconds) || (retry.MaximumRetryAttempts !== undefined && retry.MaximumRetryAttempts !== target?.RetryPolicy?.MaximumRetryAttempts))) {
    out.push("retryPolicy");
  }
  if ((target?.DeadLetterConfig?.Arn ?? undefined) !== want.Target?.DeadLetterConfig?.Arn) out.push("deadLetterConfig");
  return out;
}

/** A task this schedule started, as status keeps it. */
export function runRecord(task: Task): ScheduleRun {
  const containers = task.containers ?? [];
  const exit = (containers.find((c) => c.exitCode !== undefined && c.exitCode !== 0) ?? containers.find((c) => c.exitCode !== undefined))?.exitCode;
  return {
    taskArn: task.taskArn ?? "",
    ...(task.lastStatus ? { lastStatus: task.lastStatus } : {}),
    ...(task.createdAt ? { createdAt: new Date(task.createdAt).toISOString() } : {}),
    ...(task.stoppedAt ? { stoppedAt: new Date(task.stoppedAt).toISOString() } : {}),
    ...(exit !== undefined && task.lastStatus === "STOPPED" ? { exitCode: exit } : {}),
    ...(task.stoppedReason && task.lastStatus === "STOPPED" ? { stoppedReason: task.stoppedReason } : {}),
  };
}

/** The newest runs of this schedule among a cluster's tasks of its family, newest first. */
export function lastRuns(tasks: readonly Task[], group: string): ScheduleRun[] {
  return tasks
    .filter((t) => t.group === group)
    .map(runRecord)
    .sort((a, b) => (b.createdAt ?? "").localeCompare(a.createdAt ?? "") || a.taskArn.localeCompare(b.taskArn))
    .slice(0, RUNS_KEPT);
}

export function scheduleStatus(observed: ObservedSchedule): EcsScheduleStatus {
  const params = observed.Target?.EcsParameters;
  return {
    ...(observed.Arn ? { arn: observed.Arn } : {}),
    ...(observed.Name ? { scheduleName: observed.Name } : {}),
    ...(observed.GroupName ? { groupName: observed.GroupName } : {}),
    ...(observed.State ? { state: observed.State } : {}),
    ...(observed.Target?.Arn ? { clusterArn: observed.Target.Arn } : {}),
    ...(params?.TaskDefinitionArn ? { taskDefinitionArn: params.TaskDefinitionArn } : {}),
    ...(observed.nextRunTime ? { nextRunTime: observed.nextRunTime } : {}),
    ...(observed.lastRuns ? { lastRuns: observed.lastRuns } : {}),
    ...(observed.lastRunsCheckedAt ? { lastRunsCheckedAt: observed.lastRunsCheckedAt } : {}),
  };
}
