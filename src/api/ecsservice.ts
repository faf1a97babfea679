import type { Static } from "@sinclair/typebox";
import { REVISION_PATTERN } from "../aws/task-definition-revisions.js";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, Int, List, Obj, Optional, Str, StringEnum } from "./schema.js";

const immutable = (field: string) => [{ rule: "self == oldSelf", message: `${field} cannot be changed in place; delete and recreate the service` }];

const nameRef = (what: string) => Obj({ name: Str(`The name of the ${what} in the same namespace.`, { minLength: 1 }) }, `A ${what} in the same namespace, by name.`);

const capacityProviderStrategy = List(
  Obj(
    {
      capacityProvider: Str("The capacity provider, e.g. FARGATE or FARGATE_SPOT."),
      weight: Optional(Int("Relative share of tasks placed with this provider.", { minimum: 0, maximum: 1000 })),
      base: Optional(Int("Minimum number of tasks on this provider.", { minimum: 0, maximum: 100000 })),
    },
    "One entry of a capacity provider strategy.",
  ),
  "Where tasks run, by capacity provider; exclusive with launchType.",
  { maxItems: 20 },
);

const spec = specSchema(
  {
    serviceName: Optional(
      Str("The ECS service's name. Defaults to <namespace>_<name>. Immutable.", { minLength: 1, maxLength: 255, pattern: "^[a-zA-Z0-9_-]+$", validations: immutable("serviceName") }),
    ),
    clusterRef: Optional(Obj({ name: Str("The EcsCluster's name in the same namespace.", { minLength: 1 }) }, "The EcsCluster to run in, by name. Immutable.", { validations: immutable("clusterRef") })),
    cluster: Optional(Str("The cluster's name or ARN, for a cluster not managed here. Immutable.", { minLength: 1, validations: immutable("cluster") })),
    taskDefinitionRef: Optional(nameRef("TaskDefinition (the service runs the revision in its status)")),
    taskDefinition: Optional(
      Str("One task definition revision, for one not managed here: family:revision or its ARN (a bare family, ECS's latest revision, is not one revision and is refused).", {
        minLength: 1,
        maxLength: 1600,
        validations: [{ rule: `self.matches('${REVISION_PATTERN}')`, messageExpression: `'taskDefinition must name one revision as family:revision or a task definition ARN, got ' + self` }],
      }),
    ),
    desiredCount: Optional(
      Int("How many tasks to keep running. Omitted: the service is created with 1 and the operator never changes the count again (Application Auto Scaling owns it).", { minimum: 0, maximum: 100000 }),
    ),
    launchType: Optional(StringEnum(["FARGATE", "EC2", "EXTERNAL"] as const, "Where tasks run; exclusive with capacityProviderStrategy. Immutable.", { validations: immutable("launchType") })),
    capacityProviderStrategy: Optional(capacityProviderStrategy),
    platformVersion: Optional(Str("The Fargate platform version, e.g. LATEST or 1.4.0.")),
    schedulingStrategy: Optional(StringEnum(["REPLICA", "DAEMON"] as const, "REPLICA (default) keeps desiredCount tasks; DAEMON one per instance. Immutable.", { validations: immutable("schedulingStrategy") })),
    networkConfiguration: Optional(
      Obj(
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
      ),
    ),
    deploymentConfiguration: Optional(
      Obj(
        {
          minimumHealthyPercent: Optional(Int("Lower limit of running tasks during a rollout, as a percent of desiredCount.", { minimum: 0, maximum: 100 })),
          maximumPercent: Optional(Int("Upper limit of running plus pending tasks during a rollout, as a percent of desiredCount.", { minimum: 100, maximum: 400 })),
          deploymentCircuitBreaker: Optional(
            Obj(
              {
                enable: Bool("Stop a rollout whose tasks keep failing to start."),
                rollback: Bool("Roll back to the last completed deployment when the breaker trips."),
              },
              "The deployment circuit breaker.",
            ),
          ),
          alarms: Optional(
            Obj(
              {
                alarmNames: List(Str("A CloudWatch alarm name."), "Alarms that fail the rollout when they fire."),
                enable: Bool("Watch the alarms during rollouts."),
                rollback: Bool("Roll back when an alarm fires."),
              },
              "CloudWatch alarms watched during rollouts.",
            ),
          ),
        },
        "Rolling update limits, circuit breaker and alarms.",
        { validations: [{ rule: "!has(self.minimumHealthyPercent) || !has(self.maximumPercent) || self.maximumPercent > self.minimumHealthyPercent", message: "maximumPercent must be above minimumHealthyPercent" }] },
      ),
    ),
    deploymentController: Optional(
      Obj({ type: StringEnum(["ECS", "CODE_DEPLOY", "EXTERNAL"] as const, "Who runs deployments; ECS (default) does rolling updates.") }, "The deployment controller. Immutable.", { validations: immutable("deploymentController") }),
    ),
    loadBalancers: Optional(
      List(
        Obj(
          {
            targetGroupRef: Optional(nameRef("TargetGroup")),
            targetGroupArn: Optional(Str("A target group ARN, for one not managed here.")),
            containerName: Str("The container that receives traffic."),
            containerPort: Int("The container port that receives traffic.", { minimum: 1, maximum: 65535 }),
          },
          "A target group the service's tasks are registered in (by ECS).",
          { validations: [{ rule: "has(self.targetGroupRef) != has(self.targetGroupArn)", message: "set exactly one of targetGroupRef and targetGroupArn" }] },
        ),
        "Target groups that route traffic to the tasks.",
        { maxItems: 5 },
      ),
    ),
    serviceRegistries: Optional(
      List(
        Obj(
          {
            cloudMapServiceRef: Optional(nameRef("CloudMapService")),
            registryArn: Optional(Str("A Cloud Map service ARN, for one not managed here.")),
            containerName: Optional(Str("The container whose address is registered (bridge/host mode with SRV records).")),
            containerPort: Optional(Int("The container port registered in SRV records.", { minimum: 1, maximum: 65535 })),
            port: Optional(Int("The port registered in SRV records (awsvpc mode).", { minimum: 1, maximum: 65535 })),
          },
          "A Cloud Map service the tasks are registered in.",
          { validations: [{ rule: "has(self.cloudMapServiceRef) != has(self.registryArn)", message: "set exactly one of cloudMapServiceRef and registryArn" }] },
        ),
        "Service discovery registrations.",
        { maxItems: 1 },
      ),
    ),
    placementStrategy: Optional(
      List(
        Obj(
          {
            type: StringEnum(["random", "spread", "binpack"] as const, "The placement strategy."),
            field: Optional(Str("What to spread or binpack on, e.g. attribute:ecs.availability-zone, instanceId, memory, cpu.")),
          },
          "A placement strategy (EC2 launch type).",
        ),
        "How tasks are placed on instances.",
        { maxItems: 5 },
      ),
    ),
    placementConstraints: Optional(
      List(
        Obj(
          {
            type: StringEnum(["distinctInstance", "memberOf"] as const, "The constraint."),
            expression: Optional(Str("A cluster query language expression, for memberOf.")),
          },
          "A placement constraint (EC2 launch type).",
          { validations: [{ rule: "self.type != 'memberOf' || has(self.expression)", message: "memberOf needs an expression" }] },
        ),
        "Rules for where tasks may be placed.",
        { maxItems: 10 },
      ),
    ),
    healthCheckGracePeriodSeconds: Optional(Int("Seconds to ignore failing load balancer health checks after a task starts.", { minimum: 0, maximum: 2147483647 })),
    enableExecuteCommand: Optional(Bool("Allow ECS Exec into the tasks.")),
    enableECSManagedTags: Optional(Bool("Let ECS tag the tasks with the cluster and service names.")),
    propagateTags: Optional(StringEnum(["TASK_DEFINITION", "SERVICE", "NONE"] as const, "Copy tags to tasks from the task definition or the service.")),
    forceNewDeployment: Optional(Str("Change this value (any string, e.g. a timestamp) to start a new deployment with the same task definition.")),
  },
  "The desired ECS service: the CreateService/UpdateService input, in AWS's field names.",
  {
    validations: [
      { rule: "has(self.clusterRef) != has(self.cluster)", message: "set exactly one of clusterRef and cluster" },
      { rule: "has(self.taskDefinitionRef) != has(self.taskDefinition)", message: "set exactly one of taskDefinitionRef and taskDefinition" },
      { rule: "!(has(self.launchType) && has(self.capacityProviderStrategy))", message: "launchType and capacityProviderStrategy are exclusive" },
      {
        // On the FARGATE or FARGATE_SPOT capacity providers as much as with launchType FARGATE.
        rule: "has(self.networkConfiguration) || !((has(self.launchType) && self.launchType == 'FARGATE') || (has(self.capacityProviderStrategy) && self.capacityProviderStrategy.exists(s, s.capacityProvider in ['FARGATE', 'FARGATE_SPOT'])))",
        message: "Fargate tasks use awsvpc networking: networkConfiguration.awsvpcConfiguration is required",
      },
      { rule: "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.desiredCount)", message: "a DAEMON service has no desiredCount" },
      { rule: "!has(self.launchType) || self.launchType != 'FARGATE' || (!has(self.placementStrategy) && !has(self.placementConstraints))", message: "placement strategies and constraints apply to the EC2 launch type only" },
    ],
  },
);

const deployment = Obj(
  {
    id: Str("The deployment's id."),
    status: Str("PRIMARY (the newest), ACTIVE (being replaced) or INACTIVE."),
    taskDefinition: Str("The task definition revision ARN it deploys."),
    rolloutState: Optional(Str("IN_PROGRESS, COMPLETED or FAILED.")),
    rolloutStateReason: Optional(Str("Why, as ECS words it.")),
    runningCount: Int("Running tasks of this deployment."),
    desiredCount: Int("Tasks this deployment wants."),
    pendingCount: Optional(Int("Pending tasks of this deployment.")),
    failedTasks: Optional(Int("Tasks of this deployment that failed to start.")),
    updatedAt: Optional(Str("When ECS last updated it.")),
  },
  "A deployment of the service.",
);

const status = statusSchema(
  {
    serviceName: Optional(Str("The service's name in AWS.")),
    clusterArn: Optional(Str("The cluster it runs in.")),
    taskDefinitionArn: Optional(Str("The task definition revision of the PRIMARY deployment.")),
    taskDefinitionRevision: Optional(Int("The revision number of taskDefinitionArn.")),
    desiredCount: Optional(Int("Tasks the service wants.")),
    runningCount: Optional(Int("Tasks running.")),
    pendingCount: Optional(Int("Tasks pending.")),
    rolloutState: Optional(Str("The PRIMARY deployment's rollout state.")),
    deployments: Optional(List(deployment, "The service's deployments, newest first.")),
    events: Optional(List(Obj({ createdAt: Str("When."), message: Str("What ECS said.") }, "A service event."), "The last few service events from ECS.")),
    failedTaskDefinitionArn: Optional(Str("A revision whose rollout failed (circuit breaker); not retried until the spec or the revision changes.")),
    forceNewDeployment: Optional(Str("The forceNewDeployment value last acted upon.")),
  },
  "What the operator observed in AWS.",
);

export const ecsServiceKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("EcsService"),
  singular: "ecsservice",
  shortNames: ["ecssvc"],
  description: "An Amazon ECS service: keeps tasks of a task definition running, behind target groups and in Cloud Map, with watched rollouts.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Running", type: "integer", jsonPath: ".status.runningCount", description: "Running tasks." },
      { name: "Desired", type: "integer", jsonPath: ".status.desiredCount", description: "Desired tasks." },
      { name: "TaskDef-Rev", type: "integer", jsonPath: ".status.taskDefinitionRevision", description: "Revision of the task definition in use." },
      { name: "Rollout", type: "string", jsonPath: ".status.rolloutState", description: "The PRIMARY deployment's rollout state." },
    ], "Exists, matches the spec, and its rollout completed.",
  ),

};

export type EcsServiceSpec = Static<typeof spec>;
export type EcsServiceStatus = Static<typeof status>;
export type EcsService = CustomObject<EcsServiceSpec, EcsServiceStatus>;
export type ServiceDeploymentStatus = Static<typeof deployment>;
