import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, type ECSClient } from "@aws-sdk/client-ecs";
import {
  CreateScheduleCommand,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  GetScheduleCommand,
  GetScheduleGroupCommand,
  UpdateScheduleCommand,
  type GetScheduleCommandOutput,
  type SchedulerClient,
} from "@aws-sdk/client-scheduler";
import type { EcsSchedule } from "../../api/ecsschedule.js";
import { chunks } from "../../aws/chunks.js";
import { awsCall, unlessAbsent } from "../../aws/errors.js";
import { toUpperTagList } from "../../aws/tags.js";
import { revisionName, revisionParts } from "../../aws/task-definition-revisions.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { DriverSettings } from "../index.js";
import { unknownOverrideContainers } from "../ecstask/mapping.js";
import {
  defaultGroupName,
  groupName,
  groupTags,
  lastRuns,
  locateSchedule,
  markedDescription,
  resolveSchedule,
  runGroup,
  scheduleDifferences,
  scheduleInput,
  scheduleName,
  scheduleOwnership,
  scheduleReferences,
  scheduleStatus,
  type ObservedSchedule,
  type ScheduleDeps,
} from "./mapping.js";
import { ExpressionError, isTimeZone, nextRunTime } from "./next-run.js";

/** Scheduler's "no such schedule or group". */
const ABSENT = "ResourceNotFoundException";
/** The schedule's runs are read at most this often (ListTasks and DescribeTasks), whatever the re-checks. */
const RUNS_READ_EVERY_MS = 60_000;

function invalid(message: string): ReconcileError {
  return new ReconcileError(message, "terminal", "InvalidSpec");
}

/**
 * The thin I/O half of EcsSchedule. Ownership lives in the schedule's description (schedules
 * have no tags; mapping.ts); the namespace's default group is created on demand and kept.
 */
export function ecsScheduleDriver(scheduler: SchedulerClient, ecs: ECSClient, settings: DriverSettings): Driver<EcsSchedule, ScheduleDeps, ObservedSchedule, typeof scheduleReferences> {
  const containersByRevision = new Map<string, string[] | undefined>();
  const groupsKnown = new Set<string>();

  const containersOf = async (taskDefinition: string): Promise<string[] | undefined> => {
    if (containersByRevision.has(taskDefinition)) return containersByRevision.get(taskDefinition);
    const out = await unlessAbsent("DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })), "ClientException");
    const names = out?.taskDefinition?.containerDefinitions?.map((c) => c.name ?? "");
    containersByRevision.set(taskDefinition, names);
    return names;
  };

  /** What EventBridge would refuse, or accept and then never run as meant, said before any write. */
  const validate = async (obj: EcsSchedule, deps: ScheduleDeps): Promise<void> => {
    const zone = obj.spec.scheduleExpressionTimezone;
    if (zone !== undefined && !isTimeZone(zone)) throw invalid(`spec.scheduleExpressionTimezone: ${zone} is not a time zone (an IANA name such as Europe/Paris or America/New_York)`);
    try {
      nextRunTime({ expression: obj.spec.scheduleExpression, ...(zone ? { timezone: zone } : {}) }, new Date());
    } catch (err) {
      if (err instanceof ExpressionError) throw invalid(`spec.scheduleExpression ${obj.spec.scheduleExpression}: ${err.message}`);
      throw err;
    }
    const containers = await containersOf(deps.taskDefinitionArn);
    const unknown = unknownOverrideContainers(obj.spec.overrides, containers ?? []);
    if (containers && unknown.length > 0) {
      throw invalid(`spec.overrides.containerOverrides names ${unknown.join(", ")}, not ${unknown.length === 1 ? "a container" : "containers"} of ${revisionName(deps.taskDefinitionArn)} (its containers: ${containers.join(", ")})`);
    }
  };

  const ensureGroup = async (obj: EcsSchedule): Promise<void> => {
    const group = groupName(obj);
    if (groupsKnown.has(group)) return;
    const found = await unlessAbsent("GetScheduleGroup", () => scheduler.send(new GetScheduleGroupCommand({ Name: group })), ABSENT);
    if (!found) {
      if (obj.spec.groupName !== undefined && obj.spec.groupName !== defaultGroupName(obj.metadata.namespace)) {
        throw new ReconcileError(`schedule group ${group} (spec.groupName) does not exist in AWS`, "retryable", "WaitingForDependency");
      }
      // ConflictException (another object of the namespace created it at the same moment) is retried.
      await awsCall("CreateScheduleGroup", () => scheduler.send(new CreateScheduleGroupCommand({ Name: group, Tags: toUpperTagList(groupTags(obj.metadata.namespace)) })));
    }
    groupsKnown.add(group);
  };

  const get = (obj: EcsSchedule): Promise<GetScheduleCommandOutput | undefined> =>
    unlessAbsent("GetSchedule", () => scheduler.send(new GetScheduleCommand({ Name: scheduleName(obj), GroupName: groupName(obj) })), ABSENT);

  /** The schedule's newest tasks, read at most once a minute: the tasks of its family in its cluster, told apart by their group. */
  const runs = async (obj: EcsSchedule, schedule: GetScheduleCommandOutput, now: Date): Promise<Pick<ObservedSchedule, "lastRuns" | "lastRunsCheckedAt">> => {
    const checked = obj.status?.lastRunsCheckedAt;
    const kept = { ...(obj.status?.lastRuns ? { lastRuns: obj.status.lastRuns } : {}), ...(checked ? { lastRunsCheckedAt: checked } : {}) };
    if (checked !== undefined && now.getTime() - Date.parse(checked) < RUNS_READ_EVERY_MS) return kept;
    const cluster = schedule.Target?.Arn;
    const family = revisionParts(schedule.Target?.EcsParameters?.TaskDefinitionArn ?? "")?.family;
    if (!cluster || !family) return kept;
    const arns: string[] = [];
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      const listed = await unlessAbsent("ListTasks", () => ecs.send(new ListTasksCommand({ cluster, family, desiredStatus })), "ClusterNotFoundException");
      arns.push(...(listed?.taskArns ?? []));
    }
    const tasks = [];
    for (const batch of chunks(arns, 100)) tasks.push(...((await awsCall("DescribeTasks", () => ecs.send(new DescribeTasksCommand({ cluster, tasks: batch })))).tasks ?? []));
    return { lastRuns: lastRuns(tasks, runGroup(obj)), lastRunsCheckedAt: now.toISOString() };
  };

  const observed = async (obj: EcsSchedule, schedule: GetScheduleCommandOutput, withRuns: boolean): Promise<ObservedSchedule> => {
    const now = new Date();
    let next: Date | undefined;
    try {
      next =
        schedule.State === "DISABLED" || !schedule.ScheduleExpression
          ? undefined
          : nextRunTime(
              {
                expression: schedule.ScheduleExpression,
                ...(schedule.ScheduleExpressionTimezone ? { timezone: schedule.ScheduleExpressionTimezone } : {}),
                ...(schedule.StartDate ? { startDate: new Date(schedule.StartDate) } : {}),
                ...(schedule.EndDate ? { endDate: new Date(schedule.EndDate) } : {}),
                ...(schedule.CreationDate ? { createdAt: new Date(schedule.CreationDate) } : {}),
              },
              now,
            );
    } catch (err) {
      if (!(err instanceof ExpressionError)) throw err;
      next = undefined;
    }
    return { ...schedule, ...(next ? { nextRunTime: next.toISOString() } : {}), ...(withRuns ? await runs(obj, schedule, now) : {}) };
  };

  const reread = async (obj: EcsSchedule): Promise<ObservedSchedule> => {
    const schedule = await get(obj);
    if (!schedule) throw new ReconcileError(`schedule ${groupName(obj)}/${scheduleName(obj)} not found right after writing it`, "retryable", "AwsError");
    return observed(obj, schedule, true);
  };

  return {
    kind: "EcsSchedule",
    references: scheduleReferences,
    resolve: resolveSchedule,
    locate: locateSchedule,

    async observe(obj, deps) {
      const schedule = await get(obj);
      if (!schedule) return { exists: false };
      const ownership = scheduleOwnership(schedule.Description, obj.metadata.uid);
      const deleting = obj.metadata.deletionTimestamp !== undefined;
      return {
        exists: true,
        ownership,
        differences: deleting || ownership !== "ours" ? [] : scheduleDifferences(obj, deps, schedule),
        observed: await observed(obj, schedule, ownership === "ours" && !deleting),
      };
    },

    async create(obj, deps) {
      await validate(obj, deps);
      await ensureGroup(obj);
      await awsCall("CreateSchedule", () => scheduler.send(new CreateScheduleCommand({ ...scheduleInput(obj, deps), ClientToken: `${obj.metadata.uid}-${String(obj.metadata.generation ?? 0)}` })));
      return reread(obj);
    },

    async update(obj, deps) {
      await validate(obj, deps);
      await awsCall("UpdateSchedule", () => scheduler.send(new UpdateScheduleCommand(scheduleInput(obj, deps))));
      return reread(obj);
    },

    async adopt(obj, _deps, current) {
      // Only the marker changes: the next converge brings the rest to the spec.
      const { Arn: _a, CreationDate: _c, LastModificationDate: _l, $metadata: _m, nextRunTime: _n, lastRuns: _r, lastRunsCheckedAt: _t, ...fields } = current;
      await awsCall("UpdateSchedule", () =>
        scheduler.send(
          new UpdateScheduleCommand({
            ...fields,
            Name: scheduleName(obj),
            GroupName: groupName(obj),
            ScheduleExpression: current.ScheduleExpression ?? "",
            FlexibleTimeWindow: current.FlexibleTimeWindow ?? { Mode: "OFF" },
            Target: current.Target ?? { Arn: "", RoleArn: "" },
            Description: markedDescription(current.Description, obj),
          }),
        ),
      );
      return reread(obj);
    },

    async delete(obj) {
      await unlessAbsent("DeleteSchedule", () => scheduler.send(new DeleteScheduleCommand({ Name: scheduleName(obj), GroupName: groupName(obj) })), ABSENT);
      return true;
    },

    status: (_obj, current) => scheduleStatus(current),

    readiness(obj, current) {
      const next = current.nextRunTime;
      const where = `schedule ${current.GroupName ?? groupName(obj)}/${current.Name ?? scheduleName(obj)}`;
      const message = current.State === "DISABLED" ? `${where} exists and is DISABLED` : next ? `${where} runs ${revisionName(current.Target?.EcsParameters?.TaskDefinitionArn ?? "")} next at ${next}` : `${where} will not run again`;
      // Look again after the next run, to move nextRunTime on and see the run; at most once a minute.
      const untilNext = next ? Date.parse(next) - Date.now() + 30_000 : undefined;
      return { ready: true, reason: "Available", message, ...(untilNext !== undefined && untilNext < settings.resyncMs ? { recheckAfterMs: Math.max(RUNS_READ_EVERY_MS, untilNext) } : {}) };
    },
  };
}
