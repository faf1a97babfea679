import { DescribeTaskDefinitionCommand, DescribeTasksCommand, ListTasksCommand, RunTaskCommand, StopTaskCommand, type ECSClient, type Task } from "@aws-sdk/client-ecs";
import type { EcsTask, EcsTaskRecord } from "../../api/ecstask.js";
import { chunks } from "../../aws/chunks.js";
import { awsCall, isAwsError, unlessAbsent } from "../../aws/errors.js";
import { revisionName } from "../../aws/task-definition-revisions.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { DriverSettings } from "../index.js";
import {
  attemptOf,
  finishedPhase,
  locateTask,
  lostRecord,
  mergeRecords,
  resolveTask,
  runReadiness,
  runTaskInput,
  runVerdict,
  startedByOf,
  taskRecord,
  taskReferences,
  taskStatus,
  launchVolumeMismatches,
  unknownOverrideContainers,
  verdictFromStatus,
  type ObservedRun,
  type RunVerdict,
  type TaskDeps,
} from "./mapping.js";

/** DescribeTasks takes at most 100 tasks per call. */
const DESCRIBE_BATCH = 100;
/** How often a running task is looked at: ECS moves a task in seconds to minutes. */
const RUNNING_RECHECK_MS = 5000;

interface Containers {
  names: string[];
  essential: Set<string>;
  /** The revision's volumes with configuredAtLaunch: true. */
  atLaunch: string[];
}

export type ObservedTask = ObservedRun & { verdict: RunVerdict };

/** ECS calls a cluster it does not know this, whichever call it was. */
function clusterMissing(err: unknown): boolean {
  return isAwsError(err, "ClusterNotFoundException");
}

/**
 * The thin I/O half of EcsTask. A run is found by what it carries: its startedBy and the
 * object's uid tag; each attempt by its tag and RunTask client token (mapping.ts). Once the run
 * has finished, status is the record and ECS is no longer asked.
 */
export function ecsTaskDriver(ecs: ECSClient, settings: DriverSettings): Driver<EcsTask, TaskDeps, ObservedTask, typeof taskReferences> {
  // Task definition revisions never change: their containers are read once per revision.
  const containersByRevision = new Map<string, Containers | undefined>();
  // What observe found, for the create that follows it in the same reconcile (the next attempt's number).
  const seen = new Map<string, ObservedRun>();

  const containersOf = async (taskDefinition: string): Promise<Containers | undefined> => {
    if (taskDefinition === "") return undefined;
    if (containersByRevision.has(taskDefinition)) return containersByRevision.get(taskDefinition);
    const out = await unlessAbsent("DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })), "ClientException");
    const td = out?.taskDefinition;
    const definitions = td?.containerDefinitions;
    const containers =
      td && definitions
        ? {
            names: definitions.map((c) => c.name ?? ""),
            essential: new Set(definitions.filter((c) => c.essential !== false).map((c) => c.name ?? "")),
            atLaunch: (td.volumes ?? []).filter((v) => v.configuredAtLaunch === true).map((v) => v.name ?? ""),
          }
        : undefined;
    containersByRevision.set(taskDefinition, containers);
    return containers;
  };

  const waitForCluster = (obj: EcsTask, cluster: string, err: unknown): ReconcileError => {
    const named = obj.spec.cluster !== undefined ? "spec.cluster" : `the clusterName of EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef?.name ?? ""}`;
    return new ReconcileError(`cluster ${cluster} (${named}) does not exist in AWS`, "retryable", "WaitingForDependency", { cause: err });
  };

  const listed = async (cluster: string, startedBy: string): Promise<string[]> => {
    const arns: string[] = [];
    // ECS lists RUNNING tasks unless asked for STOPPED ones; stopped tasks stay listed for about an hour.
    for (const desiredStatus of ["RUNNING", "STOPPED"] as const) {
      let nextToken: string | undefined;
      do {
        const out = await awsCall("ListTasks", () => ecs.send(new ListTasksCommand({ cluster, startedBy, desiredStatus, ...(nextToken ? { nextToken } : {}) })));
        arns.push(...(out.taskArns ?? []));
        nextToken = out.nextToken;
      } while (nextToken);
    }
    return arns;
  };

  const described = async (cluster: string, arns: string[]): Promise<Task[]> => {
    const tasks: Task[] = [];
    for (const batch of chunks(arns, DESCRIBE_BATCH)) {
      const out = await awsCall("DescribeTasks", () => ecs.send(new DescribeTasksCommand({ cluster, tasks: batch, include: ["TAGS"] })));
      tasks.push(...(out.tasks ?? []));
    }
    return tasks;
  };

  const judge = async (obj: EcsTask, run: ObservedRun): Promise<RunVerdict> => {
    const containers = await containersOf(run.taskDefinitionArn ?? "");
    return runVerdict(run.records, obj.spec.backoffLimit ?? 0, containers?.essential);
  };

  return {
    kind: "EcsTask",
    references: taskReferences,
    resolve: resolveTask,
    locate: locateTask,
    finished: (obj) => finishedPhase(obj.status) !== undefined,

    async observe(obj, deps) {
      const status = obj.status;
      if (finishedPhase(status) !== undefined) {
        return {
          exists: true,
          ownership: "ours",
          differences: [],
          observed: {
            records: status?.tasks ?? [],
            ...(status?.clusterArn ? { clusterArn: status.clusterArn } : {}),
            ...(status?.taskDefinitionArn ? { taskDefinitionArn: status.taskDefinitionArn } : {}),
            fromStatus: true,
            verdict: verdictFromStatus(status),
          },
        };
      }
      if (deps.cluster === "") return { exists: false };
      const known = status?.tasks ?? [];
      const before: ObservedRun = { records: known, ...(status?.taskDefinitionArn ? { taskDefinitionArn: status.taskDefinitionArn } : {}) };
      const knownVerdict = await judge(obj, before);
      const arns = new Set(known.filter((r) => r.lastStatus !== "STOPPED").map((r) => r.taskArn));
      try {
        // Only where status may lack an attempt (none recorded, or one that is to follow a
        // failure): a crash between RunTask and the status write left its tasks unrecorded.
        if (known.length === 0 || knownVerdict.state === "retry") {
          for (const arn of await listed(deps.cluster, startedByOf(obj))) if (!known.some((r) => r.taskArn === arn)) arns.add(arn);
        }
        const tasks = arns.size > 0 ? await described(deps.cluster, [...arns]) : [];
        const fresh: EcsTaskRecord[] = [];
        let clusterArn = status?.clusterArn;
        let taskDefinitionArn = status?.taskDefinitionArn;
        for (const task of tasks) {
          const attempt = attemptOf(task, obj.metadata.uid);
          if (attempt === undefined) continue;
          fresh.push(taskRecord(task, attempt));
          clusterArn ??= task.clusterArn;
          taskDefinitionArn ??= task.taskDefinitionArn;
        }
        const reported = new Set(fresh.map((r) => r.taskArn));
        const lost = known.filter((r) => arns.has(r.taskArn) && !reported.has(r.taskArn)).map(lostRecord);
        const run: ObservedRun = { records: mergeRecords(known, [...fresh, ...lost]), ...(clusterArn ? { clusterArn } : {}), ...(taskDefinitionArn ? { taskDefinitionArn } : {}) };
        seen.set(obj.metadata.uid, run);
        const verdict = await judge(obj, run);
        // No run yet, or the next attempt is due: create starts it.
        if (run.records.length === 0 || verdict.state === "retry") return { exists: false };
        return { exists: true, ownership: "ours", differences: [], observed: { ...run, verdict } };
      } catch (err) {
        if (!clusterMissing(err)) throw err;
        // No task outlives its cluster: being deleted, nothing is left to stop.
        if (obj.metadata.deletionTimestamp) return { exists: false };
        throw waitForCluster(obj, deps.cluster, err);
      }
    },

    async create(obj, deps) {
      const prior = seen.get(obj.metadata.uid) ?? { records: obj.status?.tasks ?? [] };
      seen.delete(obj.metadata.uid);
      const attempt = Math.max(0, ...prior.records.map((r) => r.attempt)) + 1;
      const taskDefinition = prior.taskDefinitionArn ?? deps.taskDefinition;
      const containers = await containersOf(taskDefinition);
      const unknown = unknownOverrideContainers(obj.spec.overrides, containers?.names ?? []);
      if (containers && unknown.length > 0) {
        throw new ReconcileError(
          `spec.overrides.containerOverrides names ${unknown.join(", ")}, which ${unknown.length === 1 ? "is not a container" : "are not containers"} of ${revisionName(taskDefinition)} (its containers: ${containers.names.join(", ")})`,
          "terminal",
          "InvalidSpec",
        );
      }
      const volumes = containers ? launchVolumeMismatches(obj.spec.volumeConfigurations, containers.atLaunch) : [];
      if (volumes.length > 0) throw new ReconcileError(`${volumes.join("; ")} (${revisionName(taskDefinition)})`, "terminal", "InvalidSpec");
      let out;
      try {
        out = await awsCall("RunTask", () => ecs.send(new RunTaskCommand(runTaskInput(obj, { ...deps, taskDefinition }, attempt))));
      } catch (err) {
        if (clusterMissing(err)) throw waitForCluster(obj, deps.cluster, err);
        throw err;
      }
      const tasks = out.tasks ?? [];
      if (tasks.length === 0) {
        const failures = (out.failures ?? []).map((f) => `${f.reason ?? "failure"}${f.detail ? ` (${f.detail})` : ""}`).join("; ");
        // No capacity, an agent disconnected: ECS places nothing now, and may later.
        throw new ReconcileError(`RunTask started no task for attempt ${String(attempt)}: ${failures || "no reason given"}`, "retryable", "AwsError");
      }
      const run: ObservedRun = {
        records: mergeRecords(prior.records, tasks.map((t) => taskRecord(t, attempt))),
        ...((prior.clusterArn ?? tasks[0]?.clusterArn) ? { clusterArn: prior.clusterArn ?? tasks[0]?.clusterArn ?? "" } : {}),
        ...((tasks[0]?.taskDefinitionArn ?? taskDefinition) ? { taskDefinitionArn: tasks[0]?.taskDefinitionArn ?? taskDefinition } : {}),
      };
      return { ...run, verdict: { state: "running", attempt } };
    },

    // A run has nothing to update: its spec is fixed from creation (CEL), and re-runs are creates.
    update: (_obj, _deps, observed) => Promise.resolve(observed),
    // Only tasks carrying this object's uid tag are ever found: there is nothing else to adopt.
    adopt: (_obj, _deps, observed) => Promise.resolve(observed),

    async delete(obj, deps, observed) {
      const live = observed.records.filter((r) => r.lastStatus !== "STOPPED");
      for (const record of live.filter((r) => r.desiredStatus !== "STOPPED")) {
        await unlessAbsent(
          "StopTask",
          () => ecs.send(new StopTaskCommand({ cluster: deps.cluster, task: record.taskArn, reason: `EcsTask ${obj.metadata.namespace}/${obj.metadata.name} deleted` })),
          "InvalidParameterException",
          "ClusterNotFoundException",
        );
      }
      // The finalizer goes only once every task is proven STOPPED.
      return live.length === 0;
    },

    status: (obj, observed) => {
      if (observed.fromStatus) {
        const { conditions: _c, observedGeneration: _g, ...kept } = obj.status ?? {};
        return kept;
      }
      return taskStatus(obj, observed, observed.verdict);
    },

    readiness: (obj, observed) => runReadiness(obj, observed, observed.verdict, new Date(), Math.min(RUNNING_RECHECK_MS, settings.resyncMs)),
  };
}
