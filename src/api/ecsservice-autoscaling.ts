import type { Static } from "@sinclair/typebox";
import { Bool, Int, List, NameRef, Num, Obj, Optional, Str, StringEnum } from "./schema.js";

/**
 * EcsService.spec.autoScaling: Application Auto Scaling of the service's desiredCount, in the
 * field names of RegisterScalableTarget, PutScalingPolicy and PutScheduledAction (docs/design.md,
 * section 9). Its own file so that the service's schema stays readable.
 */

const capacity = (what: string) => Int(what, { minimum: 0, maximum: 100000 });

const cooldown = (what: string) => Optional(Int(`${what} Application Auto Scaling's default for ECS services is 300.`, { minimum: 0, maximum: 86400 }));

export const SCALING_METRIC_TYPES = ["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization", "ALBRequestCountPerTarget"] as const;

const predefinedMetricSpecification = Obj(
  {
    predefinedMetricType: StringEnum(SCALING_METRIC_TYPES, "The metric: the service's average CPU or memory utilisation (percent), or the requests per target of one of its target groups."),
    targetGroupRef: Optional(NameRef("TargetGroup (whose requests per target are counted; ALBRequestCountPerTarget only)")),
    resourceLabel: Optional(
      Str("The ResourceLabel as AWS takes it, app/<load-balancer-name>/<id>/targetgroup/<target-group-name>/<id>, for a target group not managed here (ALBRequestCountPerTarget only).", {
        minLength: 1,
        maxLength: 1023,
      }),
    ),
  },
  "A metric Application Auto Scaling knows for ECS services.",
  {
    validations: [
      {
        rule: "self.predefinedMetricType != 'ALBRequestCountPerTarget' || has(self.targetGroupRef) || has(self.resourceLabel)",
        messageExpression: "'predefinedMetricType ' + self.predefinedMetricType + ' counts the requests of one target group: set targetGroupRef (or resourceLabel)'",
        fieldPath: ".targetGroupRef",
        reason: "FieldValueRequired",
      },
      { rule: "!(has(self.targetGroupRef) && has(self.resourceLabel))", message: "set one of targetGroupRef and resourceLabel, not both", fieldPath: ".resourceLabel" },
      {
        rule: "self.predefinedMetricType == 'ALBRequestCountPerTarget' || (!has(self.targetGroupRef) && !has(self.resourceLabel))",
        messageExpression: "'predefinedMetricType ' + self.predefinedMetricType + ' is measured on the service itself: only ALBRequestCountPerTarget takes targetGroupRef or resourceLabel'",
        fieldPath: ".predefinedMetricType",
      },
    ],
  },
);

const customizedMetricSpecification = Obj(
  {
    metricName: Str("The CloudWatch metric's name.", { minLength: 1, maxLength: 255 }),
    namespace: Str("The CloudWatch metric's namespace.", { minLength: 1, maxLength: 255 }),
    dimensions: Optional(
      List(Obj({ name: Str("The dimension's name.", { minLength: 1, maxLength: 255 }), value: Str("The dimension's value.", { minLength: 1, maxLength: 1024 }) }, "A dimension of the metric."), "The metric's dimensions, as it is published.", {
        maxItems: 30,
      }),
    ),
    statistic: Optional(StringEnum(["Average", "Minimum", "Maximum", "SampleCount", "Sum"] as const, "How the metric's data points are combined (required).")),
    unit: Optional(Str("The metric's unit, e.g. Percent or Count.", { maxLength: 32 })),
  },
  "A CloudWatch metric of your own, which should fall as tasks are added.",
  {
    validations: [
      {
        rule: "has(self.statistic)",
        // Not self.namespace: `namespace` is a CEL keyword, which Kubernetes escapes.
        messageExpression: "'customizedMetricSpecification of metric ' + self.metricName + ' needs a statistic: Average, Minimum, Maximum, SampleCount or Sum'",
        fieldPath: ".statistic",
        reason: "FieldValueRequired",
      },
    ],
  },
);

const policyName = Str("The policy's name, unique among the service's policies.", { minLength: 1, maxLength: 256 });

const targetTracking = Obj(
  {
    policyName,
    targetValue: Num("The value the metric is kept at, e.g. 60 (percent CPU) or 1000 (requests per target).", { minimum: 0 }),
    predefinedMetricSpecification: Optional(predefinedMetricSpecification),
    customizedMetricSpecification: Optional(customizedMetricSpecification),
    scaleInCooldown: cooldown("Seconds after a scale-in before another scale-in may start."),
    scaleOutCooldown: cooldown("Seconds after a scale-out during which its tasks count towards the next one."),
    disableScaleIn: Optional(Bool("Never remove tasks for this policy (another policy, or a person, scales in).")),
  },
  "A target tracking policy: Application Auto Scaling adds and removes tasks to keep a metric at a value.",
  {
    validations: [
      {
        rule: "has(self.predefinedMetricSpecification) != has(self.customizedMetricSpecification)",
        messageExpression: "'policy ' + self.policyName + ': set exactly one of predefinedMetricSpecification and customizedMetricSpecification'",
      },
    ],
  },
);

const stepScaling = Obj(
  {
    policyName,
    adjustmentType: StringEnum(["ChangeInCapacity", "PercentChangeInCapacity", "ExactCapacity"] as const, "How scalingAdjustment is read: tasks to add, a percent of the count, or the count itself."),
    stepAdjustments: List(
      Obj(
        {
          metricIntervalLowerBound: Optional(Num("Lower bound of the step, relative to the alarm's threshold (inclusive); none: minus infinity.")),
          metricIntervalUpperBound: Optional(Num("Upper bound of the step, relative to the alarm's threshold (exclusive); none: infinity.")),
          scalingAdjustment: Int("The change for this step (negative removes tasks)."),
        },
        "One step: the change made while the alarm's metric is in this interval.",
      ),
      "The steps, by the distance of the alarm's metric from its threshold.",
      { minItems: 1, maxItems: 20 },
    ),
    minAdjustmentMagnitude: Optional(Int("The least number of tasks a PercentChangeInCapacity step changes.", { minimum: 0 })),
    cooldown: cooldown("Seconds during which a previous scaling activity is taken into account."),
    metricAggregationType: Optional(StringEnum(["Average", "Minimum", "Maximum"] as const, "How the alarm's data points are combined (default Average).")),
  },
  "A step scaling policy. A CloudWatch alarm triggers it: point the alarm's action at the policyARN in status.autoScaling.policies (the alarm is not managed here).",
  {
    validations: [
      {
        rule: "!has(self.minAdjustmentMagnitude) || self.adjustmentType == 'PercentChangeInCapacity'",
        messageExpression: "'minAdjustmentMagnitude applies to PercentChangeInCapacity only, not ' + self.adjustmentType",
        fieldPath: ".minAdjustmentMagnitude",
      },
    ],
  },
);

const scheduledAction = Obj(
  {
    scheduledActionName: Str("The action's name, unique among the service's scheduled actions.", { minLength: 1, maxLength: 256, pattern: "^[^:/|]+$" }),
    schedule: Str("When: at(yyyy-mm-ddThh:mm:ss), rate(value unit) or cron(minutes hours day-of-month month day-of-week year).", {
      minLength: 1,
      maxLength: 1600,
      validations: [{ rule: "self.matches('^(at|rate|cron)\\\\(.+\\\\)$')", messageExpression: "'schedule must be at(...), rate(...) or cron(...), got ' + self" }],
    }),
    timezone: Optional(Str("The IANA time zone of an at or cron schedule, e.g. Europe/Paris (default UTC).", { minLength: 1, maxLength: 64 })),
    startTime: Optional(Str("Not before this time (RFC 3339).", { format: "date-time" })),
    endTime: Optional(Str("Not after this time (RFC 3339).", { format: "date-time" })),
    scalableTargetAction: Obj(
      {
        minCapacity: Optional(capacity("The minCapacity from then on.")),
        maxCapacity: Optional(capacity("The maxCapacity from then on.")),
      },
      "The capacity limits the action sets.",
      {
        validations: [
          { rule: "has(self.minCapacity) || has(self.maxCapacity)", message: "set minCapacity, maxCapacity or both" },
          {
            rule: "!has(self.minCapacity) || !has(self.maxCapacity) || self.minCapacity <= self.maxCapacity",
            messageExpression: "'minCapacity (%d) must not be above maxCapacity (%d)'.format([self.minCapacity, self.maxCapacity])",
            fieldPath: ".minCapacity",
          },
        ],
      },
    ),
  },
  "A scheduled change of the capacity limits.",
);

const suspendedState = Obj(
  {
    dynamicScalingInSuspended: Optional(Bool("Policies do not remove tasks.")),
    dynamicScalingOutSuspended: Optional(Bool("Policies do not add tasks.")),
    scheduledScalingSuspended: Optional(Bool("Scheduled actions do not run.")),
  },
  "Scaling activities to suspend (all resume when omitted).",
);

export const autoScalingSpec = Obj(
  {
    minCapacity: capacity("The fewest tasks Application Auto Scaling keeps."),
    maxCapacity: capacity("The most tasks Application Auto Scaling starts."),
    targetTracking: Optional(List(targetTracking, "Target tracking policies.", { maxItems: 10, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["policyName"] })),
    stepScaling: Optional(List(stepScaling, "Step scaling policies.", { maxItems: 10, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["policyName"] })),
    scheduledActions: Optional(List(scheduledAction, "Scheduled changes of minCapacity and maxCapacity.", { maxItems: 50, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["scheduledActionName"] })),
    suspendedState: Optional(suspendedState),
  },
  "Application Auto Scaling of the service's desiredCount: the operator registers the scalable target (service/<cluster>/<service>, ecs:service:DesiredCount), puts these policies and scheduled actions, keeps them exact, and never changes desiredCount itself. Removing it deregisters the target.",
  {
    validations: [
      {
        rule: "self.minCapacity <= self.maxCapacity",
        messageExpression: "'minCapacity (%d) must not be above maxCapacity (%d)'.format([self.minCapacity, self.maxCapacity])",
        fieldPath: ".minCapacity",
      },
      {
        rule: "!has(self.targetTracking) || !has(self.stepScaling) || !self.targetTracking.exists(t, self.stepScaling.exists(s, s.policyName == t.policyName))",
        message: "a policyName is used by both a targetTracking and a stepScaling policy: policy names are unique per service",
        fieldPath: ".stepScaling",
      },
    ],
  },
);

export const autoScalingStatus = Obj(
  {
    resourceId: Str("The scalable target's ResourceId: service/<cluster>/<service>."),
    scalableTargetARN: Optional(Str("The scalable target's ARN.")),
    minCapacity: Int("The minCapacity in force."),
    maxCapacity: Int("The maxCapacity in force."),
    range: Str("minCapacity-maxCapacity, for kubectl get."),
    suspendedState: Optional(suspendedState),
    policies: Optional(
      List(
        Obj({ policyName: Str("The policy's name."), policyType: Str("TargetTrackingScaling or StepScaling."), policyARN: Str("Its ARN: the action a CloudWatch alarm names to trigger a step policy.") }, "A scaling policy in force."),
        "The scaling policies in force.",
      ),
    ),
    scheduledActions: Optional(List(Obj({ scheduledActionName: Str("The action's name."), schedule: Str("Its schedule.") }, "A scheduled action in force."), "The scheduled actions in force.")),
    scalingActivities: Optional(
      List(
        Obj(
          {
            startTime: Str("When it started."),
            endTime: Optional(Str("When it ended.")),
            statusCode: Str("Pending, InProgress, Successful, Overridden, Unfulfilled or Failed."),
            description: Str("What it did, e.g. Setting desired count to 4."),
            cause: Optional(Str("Why, e.g. the alarm that triggered a policy.")),
            statusMessage: Optional(Str("More about its status, e.g. why it failed.")),
          },
          "A scaling activity, as DescribeScalingActivities reports it.",
        ),
        "The last few scaling activities, newest first (read when the count or the limits move, and at most every few minutes otherwise).",
      ),
    ),
  },
  "The Application Auto Scaling of the service, as observed.",
);

export type AutoScalingSpec = Static<typeof autoScalingSpec>;
export type AutoScalingStatus = Static<typeof autoScalingStatus>;
