import type { Static } from "@sinclair/typebox";
import { REVISION_PATTERN } from "../aws/task-definition-revisions.js";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { capacityProviderStrategy, networkConfiguration, RUN_TASK_RULES, taskOverrides } from "./ecstask.js";
import { kindName } from "./names.js";
import { Bool, Int, List, NameRef, Obj, Optional, Str, StringEnum } from "./schema.js";

/** EventBridge Scheduler's names: schedules and schedule groups alike. */
export const SCHEDULER_NAME_PATTERN = "^[0-9a-zA-Z._-]+$";

/** The three forms of EventBridge Scheduler's scheduleExpression, checked as far as CEL can. */
const AT = "^at\\\\([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\\\)$";
const RATE = "^rate\\\\([1-9][0-9]* (minute|minutes|hour|hours|day|days)\\\\)$";
/** Six fields; day-of-month or day-of-week is '?', not both (EventBridge's rule). */
const CRON = "^cron\\\\(\\\\S+ \\\\S+ \\\\S+ \\\\S+ \\\\S+ \\\\S+\\\\)$";
const CRON_FIELD = (i: number) => `self.substring(5, size(self) - 1).split(' ')[${String(i)}]`;

const expressionRules = [
  {
    rule: `self.matches('${AT}') || self.matches('${RATE}') || self.matches('${CRON}')`,
    messageExpression:
      "'scheduleExpression must be at(yyyy-mm-ddThh:mm:ss), rate(<n> minutes|hours|days) or cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>), got ' + self",
  },
  {
    rule: `!self.matches('${CRON}') || ((${CRON_FIELD(2)} == '?') != (${CRON_FIELD(4)} == '?'))`,
    messageExpression: "'a cron expression sets one of day-of-month and day-of-week and puts ? in the other, got ' + self",
  },
  {
    rule: `!self.matches('${CRON}') || (${CRON_FIELD(0)}.matches('^[0-9,*/-]+$') && ${CRON_FIELD(1)}.matches('^[0-9,*/-]+$') && ${CRON_FIELD(3)}.matches('^[0-9A-Za-z,*/-]+$') && ${CRON_FIELD(5)}.matches('^[0-9,*/-]+$'))`,
    messageExpression: "'cron minutes, hours and year take digits and , - * /, month also JAN-DEC, got ' + self",
  },
  {
    rule: `!self.matches('${CRON}') || (${CRON_FIELD(2)}.matches('^([0-9,*/?LW-]+)$') && ${CRON_FIELD(4)}.matches('^([0-9A-Za-z,*?L#-]+)$'))`,
    messageExpression: "'cron day-of-month takes digits and , - * ? / L W, day-of-week digits, SUN-SAT and , - * ? L #, got ' + self",
  },
];

const spec = specSchema(
  {
    scheduleName: Optional(
      Str("The schedule's name in its group. Defaults to the object's name (shortened with a hash beyond 64 characters). Immutable.", {
        minLength: 1,
        maxLength: 64,
        pattern: SCHEDULER_NAME_PATTERN,
        validations: [{ rule: "self == oldSelf", message: "scheduleName is immutable: delete and recreate the schedule" }],
      }),
    ),
    groupName: Optional(
      Str("The schedule group, which must exist. Default: the namespace's group, ecs-operator.<namespace>, which the operator creates (tagged) and never deletes. Immutable.", {
        minLength: 1,
        maxLength: 64,
        pattern: SCHEDULER_NAME_PATTERN,
        validations: [{ rule: "self == oldSelf", message: "groupName is immutable: delete and recreate the schedule" }],
      }),
    ),
    description: Optional(Str("A description of the schedule; the operator appends its ownership marker.", { maxLength: 300 })),
    scheduleExpression: Str("When to run: cron(minutes hours day-of-month month day-of-week year), rate(n minutes|hours|days), or at(yyyy-mm-ddThh:mm:ss) for once.", {
      minLength: 1,
      maxLength: 256,
      validations: expressionRules,
    }),
    scheduleExpressionTimezone: Optional(Str("The IANA time zone cron and at expressions are read in, e.g. Europe/Paris (default UTC).", { minLength: 1, maxLength: 50, pattern: "^[A-Za-z0-9_+/-]+$" })),
    flexibleTimeWindow: Optional(
      Obj(
        {
          mode: StringEnum(["OFF", "FLEXIBLE"] as const, "OFF runs at the time; FLEXIBLE within maximumWindowInMinutes after it."),
          maximumWindowInMinutes: Optional(Int("The window, with FLEXIBLE.", { minimum: 1, maximum: 1440 })),
        },
        "How precisely the schedule runs (default OFF).",
        { validations: [{ rule: "(self.mode == 'FLEXIBLE') == has(self.maximumWindowInMinutes)", message: "maximumWindowInMinutes is set with mode FLEXIBLE, and only then" }] },
      ),
    ),
    state: Optional(StringEnum(["ENABLED", "DISABLED"] as const, "ENABLED (default) runs the schedule; DISABLED keeps it without running it.")),
    startDate: Optional(Str("Not before this time (RFC 3339, e.g. 2026-01-01T00:00:00Z), for cron and rate schedules.", { format: "date-time" })),
    endDate: Optional(Str("Not after this time (RFC 3339), for cron and rate schedules.", { format: "date-time" })),
    clusterRef: Optional(NameRef("EcsCluster", "The EcsCluster the tasks run in, by name.")),
    cluster: Optional(Str("The cluster's ARN, for a cluster not managed here.", { minLength: 1, pattern: "^arn:aws[a-zA-Z-]*:ecs:" })),
    taskDefinitionRef: Optional(NameRef("TaskDefinition", "The TaskDefinition to run, by name: the schedule follows its current revision.")),
    taskDefinition: Optional(
      Str("One task definition revision ARN, for one not managed here.", {
        minLength: 1,
        maxLength: 1600,
        validations: [
          {
            rule: `self.matches('${REVISION_PATTERN}') && self.startsWith('arn:')`,
            messageExpression: "'taskDefinition must be a task definition revision ARN, got ' + self",
          },
        ],
      }),
    ),
    launchType: Optional(StringEnum(["FARGATE", "EC2", "EXTERNAL"] as const, "Where the tasks run; exclusive with capacityProviderStrategy.")),
    capacityProviderStrategy: Optional(capacityProviderStrategy),
    platformVersion: Optional(Str("The Fargate platform version, e.g. LATEST or 1.4.0.")),
    networkConfiguration: Optional(networkConfiguration),
    taskCount: Optional(Int("How many tasks each run starts (default 1).", { minimum: 1, maximum: 10 })),
    overrides: Optional(taskOverrides),
    enableExecuteCommand: Optional(Bool("Allow ECS Exec into the tasks.")),
    enableECSManagedTags: Optional(Bool("Let ECS tag the tasks with the cluster name.")),
    propagateTags: Optional(StringEnum(["TASK_DEFINITION"] as const, "Copy the task definition's tags to the tasks.")),
    roleArn: Str("The IAM role EventBridge Scheduler assumes to call RunTask (it needs ecs:RunTask and iam:PassRole for the task's roles).", {
      minLength: 1,
      maxLength: 1600,
      pattern: "^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/.+$",
    }),
    retryPolicy: Optional(
      Obj(
        {
          maximumEventAgeInSeconds: Optional(Int("How long to keep retrying a run that RunTask refused (default 86400).", { minimum: 60, maximum: 86400 })),
          maximumRetryAttempts: Optional(Int("How many times (default 185).", { minimum: 0, maximum: 185 })),
        },
        "How EventBridge Scheduler retries a run whose RunTask failed.",
      ),
    ),
    deadLetterConfig: Optional(Obj({ arn: Str("The SQS queue's ARN.", { pattern: "^arn:aws[a-zA-Z-]*:sqs:" }) }, "An SQS queue for runs that could not be started.")),
  },
  "A recurring or one-time run of an ECS task definition, like a CronJob: an EventBridge Scheduler schedule whose target is ECS RunTask.",
  {
    validations: [
      ...RUN_TASK_RULES,
      { rule: "!has(self.startDate) || !has(self.endDate) || timestamp(self.startDate) < timestamp(self.endDate)", message: "startDate must be before endDate" },
    ],
  },
);

const run = Obj(
  {
    taskArn: Str("The task's ARN."),
    lastStatus: Optional(Str("ECS's lastStatus.")),
    createdAt: Optional(Str("When the task was created.")),
    stoppedAt: Optional(Str("When it stopped.")),
    exitCode: Optional(Int("The exit code of its first container that exited non-zero, else of its first container, once stopped.")),
    stoppedReason: Optional(Str("Why it stopped.")),
  },
  "A task the schedule started.",
);

const status = statusSchema(
  {
    scheduleName: Optional(Str("The schedule's name.")),
    groupName: Optional(Str("Its schedule group.")),
    state: Optional(Str("ENABLED or DISABLED, as EventBridge Scheduler reports it.")),
    clusterArn: Optional(Str("The cluster its target runs tasks in.")),
    taskDefinitionArn: Optional(Str("The task definition revision its target runs.")),
    nextRunTime: Optional(Str("The next time it runs, computed from the expression, time zone and dates (flexible windows may add up to their width); absent when it will not run again or is disabled.")),
    lastRuns: Optional(List(run, "The newest tasks it started, read at most once a minute.")),
    lastRunsCheckedAt: Optional(Str("When lastRuns was read.")),
  },
  "The schedule as EventBridge Scheduler reports it.",
);

export const ecsScheduleKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("EcsSchedule"),
  singular: "ecsschedule",
  shortNames: ["ecssched"],
  description: "A recurring or one-time run of an ECS task definition, like a Kubernetes CronJob: an EventBridge Scheduler schedule whose target is ECS RunTask.",
  spec,
  status,
  printerColumns: printerColumns([
    { name: "Schedule", type: "string", jsonPath: ".spec.scheduleExpression", description: "When it runs." },
    { name: "State", type: "string", jsonPath: ".status.state", description: "ENABLED or DISABLED." },
    { name: "Next-Run", type: "string", jsonPath: ".status.nextRunTime", description: "The next run, computed from the expression." },
    { name: "TaskDef", type: "string", jsonPath: ".status.taskDefinitionArn", description: "The revision its target runs.", priority: 1 },
  ]),
};

export type EcsScheduleSpec = Static<typeof spec>;
export type EcsScheduleStatus = Static<typeof status>;
export type EcsSchedule = CustomObject<EcsScheduleSpec, EcsScheduleStatus>;
export type ScheduleRun = Static<typeof run>;
