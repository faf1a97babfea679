import type { Static } from "@sinclair/typebox";
import { REVISION_PATTERN } from "../aws/task-definition-revisions.js";
import { taskVolumeConfigurations } from "./volume-configuration.js";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, Int, List, NameRef, Obj, Optional, Str, StringEnum, type CelRule } from "./schema.js";

/** ECS allows at most ten containers in a task definition, so at most ten overrides. */
const MAX_CONTAINER_OVERRIDES = 10;

const keyValue = (what: string) => Obj({ name: Str(`The ${what}'s name.`, { minLength: 1 }), value: Str(`The ${what}'s value.`) }, `A ${what} as a name/value pair.`);

const resourceRequirement = Obj(
  {
    type: StringEnum(["GPU", "InferenceAccelerator"] as const, "The resource."),
    value: Str("How much (GPUs: a number of GPUs)."),
  },
  "A GPU or accelerator requirement.",
);

/** RunTask's containerOverrides entry, shared with EcsSchedule. */
export const containerOverride = Obj(
  {
    name: Str("The container, by its name in the task definition.", { minLength: 1, maxLength: 255 }),
    command: Optional(List(Str("A word of the command."), "Replaces the container's command.")),
    environment: Optional(List(keyValue("environment variable"), "Added to (or replacing) the container's environment.")),
    environmentFiles: Optional(
      List(Obj({ type: StringEnum(["s3"] as const, "Where the file is."), value: Str("The file's S3 object ARN.") }, "An environment file."), "Environment files to add."),
    ),
    cpu: Optional(Int("CPU units for the container.", { minimum: 0 })),
    memory: Optional(Int("Hard memory limit in MiB.", { minimum: 0 })),
    memoryReservation: Optional(Int("Soft memory limit in MiB.", { minimum: 0 })),
    resourceRequirements: Optional(List(resourceRequirement, "GPU or accelerator requirements.")),
  },
  "Changes to one container of the task definition for this run.",
);

/** RunTask's overrides, shared with EcsSchedule (there, passed to the target as its input). */
export const taskOverrides = Obj(
  {
    containerOverrides: Optional(
      List(containerOverride, "Per-container changes; each name must be a container of the task definition.", {
        maxItems: MAX_CONTAINER_OVERRIDES,
        validations: [{ rule: "self.all(c, self.exists_one(d, d.name == c.name))", message: "each container may be overridden once" }],
      }),
    ),
    cpu: Optional(Str("Task-level CPU units for this run (as in the task definition, e.g. 512).")),
    memory: Optional(Str("Task-level memory in MiB for this run (e.g. 1024).")),
    taskRoleArn: Optional(Str("The IAM role the task's containers assume, for this run.")),
    executionRoleArn: Optional(Str("The IAM role ECS uses to pull images and write logs, for this run.")),
    ephemeralStorage: Optional(Obj({ sizeInGiB: Int("Size in GiB (Fargate: 21 to 200).", { minimum: 21, maximum: 200 }) }, "Fargate ephemeral storage for this run.")),
  },
  "What this run changes in the task definition: RunTask's overrides.",
);

export const capacityProviderStrategy = List(
  Obj(
    {
      capacityProvider: Str("The capacity provider, e.g. FARGATE or FARGATE_SPOT.", { minLength: 1 }),
      weight: Optional(Int("Relative share of tasks placed with this provider.", { minimum: 0, maximum: 1000 })),
      base: Optional(Int("Minimum number of tasks on this provider.", { minimum: 0, maximum: 100000 })),
    },
    "One entry of a capacity provider strategy.",
  ),
  "Where the tasks run, by capacity provider; exclusive with launchType.",
  { maxItems: 20 },
);

export const networkConfiguration = Obj(
  {
    awsvpcConfiguration: Obj(
      {
        subnets: List(Str("A subnet id."), "Subnets for the tasks' network interfaces.", { minItems: 1, maxItems: 16 }),
        securityGroups: Optional(List(Str("A security group id."), "Security groups for the tasks.", { maxItems: 5 })),
        assignPublicIp: Optional(StringEnum(["ENABLED", "DISABLED"] as const, "Whether tasks get a public IP (default DISABLED).")),
      },
      "Subnets and security groups for awsvpc tasks.",
    ),
  },
  "Networking for tasks in awsvpc mode (required for Fargate).",
);

/** RunTask's fields: fixed from creation on, since a run that has started cannot change (a new run is a new object). */
export const RUN_FIELDS = [
  "clusterRef",
  "cluster",
  "taskDefinitionRef",
  "taskDefinition",
  "launchType",
  "capacityProviderStrategy",
  "platformVersion",
  "networkConfiguration",
  "overrides",
  "count",
  "group",
  "startedBy",
  "propagateTags",
  "enableExecuteCommand",
  "enableECSManagedTags",
  "volumeConfigurations",
  "backoffLimit",
  "tags",
] as const;

const unchanged = (field: string) => ({
  rule: `has(self.${field}) == has(oldSelf.${field}) && (!has(self.${field}) || self.${field} == oldSelf.${field})`,
  message: `${field} cannot change once the task has started: a new run is a new EcsTask`,
  fieldPath: `.${field}`,
});

/** The rules of a RunTask input, which an EcsTask and an EcsSchedule's target share. */
export const RUN_TASK_RULES: CelRule[] = [
  { rule: "has(self.clusterRef) != has(self.cluster)", message: "set exactly one of clusterRef and cluster" },
  { rule: "has(self.taskDefinitionRef) != has(self.taskDefinition)", message: "set exactly one of taskDefinitionRef and taskDefinition" },
  { rule: "!(has(self.launchType) && has(self.capacityProviderStrategy))", message: "launchType and capacityProviderStrategy are exclusive" },
  {
    rule: "has(self.networkConfiguration) || !((has(self.launchType) && self.launchType == 'FARGATE') || (has(self.capacityProviderStrategy) && self.capacityProviderStrategy.exists(s, s.capacityProvider in ['FARGATE', 'FARGATE_SPOT'])))",
    message: "Fargate tasks use awsvpc networking: networkConfiguration.awsvpcConfiguration is required",
  },
];

const spec = specSchema(
  {
    clusterRef: Optional(NameRef("EcsCluster", "The EcsCluster to run in, by name.")),
    cluster: Optional(Str("The cluster's name or ARN, for a cluster not managed here.", { minLength: 1 })),
    taskDefinitionRef: Optional(NameRef("TaskDefinition", "The TaskDefinition to run, by name: its revision current when the run starts.")),
    taskDefinition: Optional(
      Str("One task definition revision, for one not managed here: family:revision or its ARN.", {
        minLength: 1,
        maxLength: 1600,
        validations: [{ rule: `self.matches('${REVISION_PATTERN}')`, messageExpression: `'taskDefinition must name one revision as family:revision or a task definition ARN, got ' + self` }],
      }),
    ),
    launchType: Optional(StringEnum(["FARGATE", "EC2", "EXTERNAL"] as const, "Where the tasks run; exclusive with capacityProviderStrategy.")),
    capacityProviderStrategy: Optional(capacityProviderStrategy),
    platformVersion: Optional(Str("The Fargate platform version, e.g. LATEST or 1.4.0.")),
    networkConfiguration: Optional(networkConfiguration),
    overrides: Optional(taskOverrides),
    count: Optional(Int("How many tasks this run starts (default 1); the run completes when all of them have succeeded.", { minimum: 1, maximum: 10 })),
    group: Optional(Str("The task group (default family:<family>).", { maxLength: 255 })),
    startedBy: Optional(
      Str("The startedBy of the tasks (default: an id derived from this object, which the operator finds its tasks by).", {
        maxLength: 36,
        pattern: "^[a-zA-Z0-9/_-]+$",
      }),
    ),
    propagateTags: Optional(StringEnum(["TASK_DEFINITION", "NONE"] as const, "Copy the task definition's tags to the tasks.")),
    enableExecuteCommand: Optional(Bool("Allow ECS Exec into the tasks.")),
    enableECSManagedTags: Optional(Bool("Let ECS tag the tasks with the cluster name.")),
    volumeConfigurations: Optional(taskVolumeConfigurations),
    backoffLimit: Optional(Int("How many times to run again after a failed attempt (default 0: run once). Like a Job's backoffLimit.", { minimum: 0, maximum: 10 })),
    ttlSecondsAfterFinished: Optional(
      Int("Delete this object that many seconds after the run finished (Complete or Failed); the only case in which the operator deletes an object. Unset: kept.", { minimum: 0, maximum: 31536000 }),
    ),
  },
  "One run of an ECS task definition, like a Job: the RunTask input in AWS's field names, plus backoffLimit and ttlSecondsAfterFinished. Fixed once created: a new run is a new object.",
  {
    validations: [
      ...RUN_TASK_RULES,
      ...RUN_FIELDS.map(unchanged),
    ],
  },
);

const container = Obj(
  {
    name: Str("The container's name."),
    lastStatus: Optional(Str("PENDING, RUNNING or STOPPED.")),
    exitCode: Optional(Int("The exit code, once the container has stopped.")),
    reason: Optional(Str("Why the container stopped, as ECS says it.")),
  },
  "A container of a task.",
);

const task = Obj(
  {
    taskArn: Str("The task's ARN."),
    attempt: Int("The attempt (1 for the first run, more after failures) that started it."),
    lastStatus: Optional(Str("ECS's lastStatus: PROVISIONING, PENDING, RUNNING, ..., STOPPED.")),
    desiredStatus: Optional(Str("RUNNING, or STOPPED once ECS was told to stop it.")),
    stopCode: Optional(Str("ECS's stop code, e.g. EssentialContainerExited, UserInitiated, TaskFailedToStart.")),
    stoppedReason: Optional(Str("Why the task stopped, as ECS says it.")),
    startedAt: Optional(Str("When the task started running.")),
    stoppedAt: Optional(Str("When the task stopped.")),
    containers: Optional(List(container, "Each container, with its exit code once stopped.")),
  },
  "One task of the run.",
);

const status = statusSchema(
  {
    clusterArn: Optional(Str("The cluster the tasks run in.")),
    taskDefinitionArn: Optional(Str("The task definition revision the run uses (resolved when it started).")),
    startedBy: Optional(Str("The startedBy the tasks carry.")),
    phase: Optional(StringEnum(["Running", "Succeeded", "Failed"] as const, "Running until the run finished, then Succeeded or Failed.")),
    attempts: Optional(Int("How many attempts started (1 + re-runs after failures).")),
    tasks: Optional(List(task, "Every task of every attempt, oldest first.")),
    exitCode: Optional(Int("The exit code of the last attempt's first essential container that exited non-zero, else of its first container.")),
    stoppedReason: Optional(Str("Why the last attempt stopped, when it did not succeed.")),
    startTime: Optional(Str("When the first task started running.")),
    completionTime: Optional(Str("When the run finished (Complete or Failed).")),
    duration: Optional(Str("From the first task's start to the finish, e.g. 2m14s; empty while running (see AGE).")),
  },
  "The run as ECS reports it.",
);

export const ecsTaskKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("EcsTask"),
  singular: "ecstask",
  shortNames: ["ecstask"],
  description: "One run of an ECS task definition to completion (RunTask), like a Kubernetes Job: re-run after failures up to backoffLimit, stopped when deleted.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Status", type: "string", jsonPath: ".status.phase", description: "Running, Succeeded or Failed." },
      { name: "Exit", type: "integer", jsonPath: ".status.exitCode", description: "The exit code of the last attempt." },
      { name: "Duration", type: "string", jsonPath: ".status.duration", description: "How long the run took, once finished." },
    ],
    "True once the run completed successfully (Complete); False while it runs (Running) or after it failed (RunFailed).",
  ),
};

export type EcsTaskSpec = Static<typeof spec>;
export type EcsTaskStatus = Static<typeof status>;
export type EcsTaskRecord = Static<typeof task>;
export type EcsTask = CustomObject<EcsTaskSpec, EcsTaskStatus>;
