import type { Static } from "@sinclair/typebox";
import { REVISION_PATTERN } from "../aws/task-definition-revisions.js";
import { autoScalingSpec, autoScalingStatus } from "./ecsservice-autoscaling.js";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { AnyObject, Bool, Int, List, Num, Obj, Optional, Str, StringEnum } from "./schema.js";
import { logConfiguration } from "./taskdefinition.js";
import { serviceVolumeConfigurations } from "./volume-configuration.js";

const immutable = (field: string) => [{ rule: "self == oldSelf", message: `${field} cannot be changed in place; delete and recreate the service` }];

const nameRef = (what: string) => Obj({ name: Str(`The name of the ${what} in the same namespace.`, { minLength: 1 }) }, `A ${what} in the same namespace, by name.`);

const capacityProviderStrategy = List(
  Obj(
    {
      capacityProvider: Optional(Str("The capacity provider by its AWS name, e.g. FARGATE or FARGATE_SPOT, or an EC2 one not managed here; exclusive with capacityProviderRef.", { minLength: 1, maxLength: 255 })),
      capacityProviderRef: Optional(
        Obj({ name: Str("The name of the CapacityProvider in the same namespace.", { minLength: 1, maxLength: 253 }) }, "A CapacityProvider in the same namespace, by name; exclusive with capacityProvider. The service waits for it to be Ready."),
      ),
      weight: Optional(Int("Relative share of tasks placed with this provider.", { minimum: 0, maximum: 1000 })),
      base: Optional(Int("Minimum number of tasks on this provider.", { minimum: 0, maximum: 100000 })),
    },
    "One entry of a capacity provider strategy.",
    { validations: [{ rule: "has(self.capacityProvider) != has(self.capacityProviderRef)", message: "set exactly one of capacityProvider and capacityProviderRef" }] },
  ),
  "Where tasks run, by capacity provider; exclusive with launchType. Every provider must be one of the cluster's. Changing it starts a new deployment (ECS moves tasks only on one).",
  {
    maxItems: 6,
    validations: [
      { rule: "self.filter(s, has(s.base) && s.base > 0).size() <= 1", message: "only one capacity provider in a strategy can have a base" },
      {
        // ECS: a strategy holds Fargate providers or Auto Scaling group providers, never both.
        rule: "self.all(s, has(s.capacityProvider) && s.capacityProvider in ['FARGATE', 'FARGATE_SPOT']) || !self.exists(s, has(s.capacityProvider) && s.capacityProvider in ['FARGATE', 'FARGATE_SPOT'])",
        message: "a capacity provider strategy holds Fargate providers (FARGATE, FARGATE_SPOT) or EC2 ones (capacityProviderRef or another name), not both",
      },
    ],
  },
);

/** ECS's placement strategy fields: binpack packs on cpu or memory; spread spreads over instances or an attribute; random takes none. */
const placementStrategyRules = [
  {
    rule: "self.type != 'binpack' || (has(self.field) && self.field in ['cpu', 'memory'])",
    messageExpression: "'binpack packs on cpu or memory, got ' + (has(self.field) ? self.field : 'no field')",
    fieldPath: ".field",
  },
  {
    rule: "self.type != 'spread' || (has(self.field) && (self.field in ['instanceId', 'host'] || self.field.startsWith('attribute:')))",
    messageExpression: "'spread spreads over instanceId (or host) or an attribute such as attribute:ecs.availability-zone, got ' + (has(self.field) ? self.field : 'no field')",
    fieldPath: ".field",
  },
  { rule: "self.type != 'random' || !has(self.field)", messageExpression: "'random takes no field, got ' + self.field", fieldPath: ".field" },
];

/**
 * Deployment strategies and what goes with them, as the ECS API reference states them
 * (DeploymentConfiguration, CanaryConfiguration, LinearConfiguration, DeploymentLifecycleHook,
 * DeploymentLifecycleHookTimeoutConfiguration; docs/deployments.md).
 */
export const STRATEGIES = ["ROLLING", "BLUE_GREEN", "CANARY", "LINEAR"] as const;
/** The strategies that shift traffic between two target groups on listener rules. */
export const TRAFFIC_SHIFTING = ["BLUE_GREEN", "CANARY", "LINEAR"] as const;
export const HOOK_STAGES = [
  "RECONCILE_SERVICE",
  "PRE_SCALE_UP",
  "POST_SCALE_UP",
  "TEST_TRAFFIC_SHIFT",
  "POST_TEST_TRAFFIC_SHIFT",
  "PRE_PRODUCTION_TRAFFIC_SHIFT",
  "PRODUCTION_TRAFFIC_SHIFT",
  "POST_PRODUCTION_TRAFFIC_SHIFT",
] as const;

const minutes = (what: string) => Int(`${what}, in minutes (0 to 1440).`, { minimum: 0, maximum: 1440 });

/** "Valid values are multiples of 0.1": compared with a tolerance, since 0.3 * 10 is not 3 in floating point. */
const tenths = (field: string, low: string) => ({
  rule: "self * 10.0 - double(int(self * 10.0 + 0.5)) < 0.0001 && double(int(self * 10.0 + 0.5)) - self * 10.0 < 0.0001",
  message: `${field} must be a multiple of 0.1 from ${low} to 100.0`,
});

const lifecycleHook = Obj(
  {
    targetType: Optional(StringEnum(["AWS_LAMBDA", "PAUSE"] as const, "AWS_LAMBDA (default) invokes hookTargetArn; PAUSE stops the release at the stage until it is continued (the ecs.operator.dev/continue annotation) or times out.")),
    hookTargetArn: Optional(Str("The Lambda function to invoke (AWS_LAMBDA hooks; required for them).", { minLength: 1, maxLength: 2048 })),
    roleArn: Optional(Str("The IAM role ECS assumes to invoke the Lambda function.", { minLength: 1, maxLength: 2048 })),
    lifecycleStages: List(StringEnum(HOOK_STAGES, "A lifecycle stage at which the hook runs."), "The stages at which the hook runs.", { minItems: 1, maxItems: HOOK_STAGES.length }),
    hookDetails: Optional(AnyObject("Custom parameters ECS passes to the Lambda function on each invocation (not for PAUSE hooks).")),
    timeoutConfiguration: Optional(
      Obj(
        {
          timeoutInMinutes: Optional(Int("How long ECS waits for the hook (default 1440).", { minimum: 1, maximum: 1440 })),
          action: Optional(StringEnum(["CONTINUE", "ROLLBACK"] as const, "What ECS does when the hook times out (default ROLLBACK).")),
        },
        "How long ECS waits for the hook, and what it does then.",
      ),
    ),
  },
  "A lifecycle hook: custom logic, or a pause, at stages of a blue/green, canary or linear release.",
  {
    validations: [
      { rule: "(has(self.targetType) && self.targetType == 'PAUSE') || has(self.hookTargetArn)", message: "an AWS_LAMBDA hook (the default targetType) needs hookTargetArn" },
      {
        rule: "!has(self.targetType) || self.targetType != 'PAUSE' || !self.lifecycleStages.exists(s, s in ['TEST_TRAFFIC_SHIFT', 'PRODUCTION_TRAFFIC_SHIFT'])",
        message: "PAUSE hooks cannot be configured at TEST_TRAFFIC_SHIFT or PRODUCTION_TRAFFIC_SHIFT (only AWS_LAMBDA hooks can)",
      },
      { rule: "!has(self.targetType) || self.targetType != 'PAUSE' || !has(self.hookDetails)", message: "hookDetails is for AWS_LAMBDA hooks, not PAUSE ones" },
    ],
  },
);

const portRange = (what: string) => Int(what, { minimum: 1, maximum: 65535 });

const serviceConnectService = Obj(
  {
    portName: Str("A named port mapping of the task definition (portMappings[].name): the port this service is reached on.", { minLength: 1, maxLength: 64 }),
    discoveryName: Optional(
      Str("The Cloud Map service ECS creates for it, unique in the namespace (default: portName).", { minLength: 1, maxLength: 64, pattern: "^[a-z0-9_][a-z0-9_-]*$" }),
    ),
    clientAliases: Optional(
      List(
        Obj(
          {
            port: portRange("The port clients connect to; the proxy listens on it in every task of the namespace."),
            dnsName: Optional(
              Str("The name clients use, e.g. api: a DNS name, not necessarily fully qualified (default: discoveryName.namespace).", { minLength: 1, maxLength: 127, pattern: "^[a-z0-9_][a-z0-9_.-]*$" }),
            ),
          },
          "A name and port clients in the namespace reach this service by (e.g. http://api:8080).",
        ),
        "The endpoints clients use (ECS takes one).",
        { maxItems: 1 },
      ),
    ),
    ingressPortOverride: Optional(portRange("The port the proxy listens on for traffic into the task (default: the container port in awsvpc mode).")),
    timeout: Optional(
      Obj(
        {
          idleTimeoutSeconds: Optional(Int("Seconds an idle connection stays open (0: never closed; ECS's default 300 for HTTP, 3600 for TCP).", { minimum: 0, maximum: 2147483647 })),
          perRequestTimeoutSeconds: Optional(Int("Seconds to wait for a whole response (0: no limit); not for TCP ports.", { minimum: 0, maximum: 2147483647 })),
        },
        "The proxy's timeouts.",
      ),
    ),
    tls: Optional(
      Obj(
        {
          issuerCertificateAuthority: Obj({ awsPcaAuthorityArn: Str("The AWS Private CA's ARN.", { minLength: 1 }) }, "The private certificate authority that issues the proxy's certificates."),
          kmsKey: Optional(Str("The KMS key that protects the certificates' private keys.")),
          roleArn: Optional(Str("The ECS infrastructure role that lets ECS use the certificate authority.")),
        },
        "TLS between the proxies.",
      ),
    ),
  },
  "A port of this service that clients in the namespace reach through Service Connect.",
);

const serviceConnectConfiguration = Obj(
  {
    enabled: Bool("Use Service Connect: ECS adds a proxy to each task that finds the namespace's services by their short names (and makes this one findable through services)."),
    namespaceRef: Optional(nameRef("CloudMapNamespace (any type: HTTP is enough)")),
    namespace: Optional(
      Str("The Cloud Map namespace's ARN, for one not managed here. Neither this nor namespaceRef: the cluster's serviceConnectDefaults.", {
        maxLength: 1600,
        pattern: "^arn:[a-z-]+:servicediscovery:",
      }),
    ),
    services: Optional(
      List(serviceConnectService, "The ports other services reach this one on; omit for a client-only service.", {
        maxItems: 20,
        validations: [{ rule: "self.all(s, self.exists_one(t, t.portName == s.portName))", message: "each portName may be listed once" }],
      }),
    ),
    logConfiguration: Optional(logConfiguration),
    accessLogConfiguration: Optional(
      Obj(
        {
          format: StringEnum(["TEXT", "JSON"] as const, "The access log's format."),
          includeQueryParameters: Optional(StringEnum(["ENABLED", "DISABLED"] as const, "Log query strings too (default DISABLED).")),
        },
        "Access logs of the proxy (needs logConfiguration).",
      ),
    ),
  },
  "Service Connect: reach the namespace's services by short names through a managed proxy (retries, timeouts, TLS, metrics). A change deploys anew. Omitted: left as it is in AWS; enabled: false turns it off.",
  {
    validations: [
      { rule: "!(has(self.namespaceRef) && has(self.namespace))", message: "set at most one of namespaceRef and namespace (neither: the cluster's serviceConnectDefaults)", fieldPath: ".namespace" },
      { rule: "self.enabled || !has(self.services) || size(self.services) == 0", message: "services need enabled: true", fieldPath: ".services" },
      { rule: "!has(self.accessLogConfiguration) || has(self.logConfiguration)", message: "accessLogConfiguration needs logConfiguration (where the proxy's logs go)", fieldPath: ".accessLogConfiguration", reason: "FieldValueRequired" },
    ],
  },
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
      Int(
        "How many tasks to keep running. Omitted: the service is created with 1 and the operator never changes the count again (Application Auto Scaling owns it). With autoScaling: only the count the service is created with (default minCapacity, at least 1), within minCapacity..maxCapacity; never applied afterwards.",
        { minimum: 0, maximum: 100000 },
      ),
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
          strategy: Optional(
            StringEnum(STRATEGIES, "How ECS releases a new revision: ROLLING (default) replaces tasks within the percentages above; BLUE_GREEN, CANARY and LINEAR start the new revision beside the old one in the alternate target groups and shift traffic on the listener rules (loadBalancers[].advancedConfiguration)."),
          ),
          bakeTimeInMinutes: Optional(minutes("How long both revisions keep running after production traffic has shifted, before the old one stops (required for BLUE_GREEN)")),
          canaryConfiguration: Optional(
            Obj(
              {
                canaryPercent: Optional(Num("The share of production traffic shifted first, in percent: a multiple of 0.1 from 0.1 to 100.0 (default 5.0).", { minimum: 0.1, maximum: 100, validations: [tenths("canaryPercent", "0.1")] })),
                canaryBakeTimeInMinutes: Optional(minutes("How long the canary share runs before the rest of the traffic shifts (default 10)")),
              },
              "The CANARY strategy's two steps.",
            ),
          ),
          linearConfiguration: Optional(
            Obj(
              {
                stepPercent: Optional(Num("The share of production traffic shifted at each step, in percent: a multiple of 0.1 from 3.0 to 100.0 (default 10.0).", { minimum: 3, maximum: 100, validations: [tenths("stepPercent", "3.0")] })),
                stepBakeTimeInMinutes: Optional(minutes("How long each step runs before the next (default 6; none after the last)")),
              },
              "The LINEAR strategy's steps.",
            ),
          ),
          lifecycleHooks: Optional(List(lifecycleHook, "Hooks (Lambda functions or pauses) at stages of a BLUE_GREEN, CANARY or LINEAR release.", { maxItems: 10 })),
        },
        "Rolling update limits, circuit breaker, alarms, and the deployment strategy with its bake times and lifecycle hooks.",
        {
          validations: [
            {
              rule: "!has(self.minimumHealthyPercent) || !has(self.maximumPercent) || self.maximumPercent > self.minimumHealthyPercent",
              messageExpression: "'maximumPercent (%d) must be above minimumHealthyPercent (%d)'.format([self.maximumPercent, self.minimumHealthyPercent])",
              fieldPath: ".maximumPercent",
            },
            { rule: "!has(self.canaryConfiguration) || (has(self.strategy) && self.strategy == 'CANARY')", message: "canaryConfiguration is only valid with strategy CANARY" },
            { rule: "!has(self.linearConfiguration) || (has(self.strategy) && self.strategy == 'LINEAR')", message: "linearConfiguration is only valid with strategy LINEAR" },
            { rule: "!has(self.strategy) || self.strategy != 'BLUE_GREEN' || has(self.bakeTimeInMinutes)", message: "strategy BLUE_GREEN needs bakeTimeInMinutes (the ECS API reference requires it)" },
          ],
        },
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
            advancedConfiguration: Optional(
              Obj(
                {
                  alternateTargetGroupRef: Optional(nameRef("TargetGroup (the alternate target group: the new revision's tasks go there during a release)")),
                  alternateTargetGroupArn: Optional(Str("The alternate target group's ARN, for one not managed here.", { minLength: 1 })),
                  productionListenerRuleRef: Optional(nameRef("ListenerRule (the production rule, whose forward weights ECS shifts; the ListenerRule then leaves its forward action to ECS)")),
                  productionListenerRule: Optional(Str("The production listener rule's ARN, for one not managed here.", { minLength: 1 })),
                  testListenerRuleRef: Optional(nameRef("ListenerRule (the test rule, which ECS points at the new revision before production traffic moves)")),
                  testListenerRule: Optional(Str("The test listener rule's ARN, for one not managed here.", { minLength: 1 })),
                  roleArn: Optional(Str("The IAM role ECS assumes to change the listener rules.", { minLength: 1, maxLength: 2048 })),
                },
                "What a BLUE_GREEN, CANARY or LINEAR release shifts traffic with: the alternate target group and the listener rules. The target groups swap roles after each successful release (ECS's doing; the operator does not revert it).",
                {
                  validations: [
                    { rule: "has(self.alternateTargetGroupRef) != has(self.alternateTargetGroupArn)", message: "set exactly one of alternateTargetGroupRef and alternateTargetGroupArn" },
                    { rule: "has(self.productionListenerRuleRef) != has(self.productionListenerRule)", message: "set exactly one of productionListenerRuleRef and productionListenerRule" },
                    { rule: "!(has(self.testListenerRuleRef) && has(self.testListenerRule))", message: "set at most one of testListenerRuleRef and testListenerRule" },
                  ],
                },
              ),
            ),
          },
          "A target group the service's tasks are registered in (by ECS).",
          {
            validations: [
              { rule: "has(self.targetGroupRef) != has(self.targetGroupArn)", message: "set exactly one of targetGroupRef and targetGroupArn" },
              {
                rule: "!has(self.advancedConfiguration) || !has(self.targetGroupRef) || !has(self.advancedConfiguration.alternateTargetGroupRef) || self.targetGroupRef.name != self.advancedConfiguration.alternateTargetGroupRef.name",
                message: "the alternate target group must differ from targetGroupRef",
              },
            ],
          },
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
            field: Optional(Str("What to spread or binpack on, e.g. attribute:ecs.availability-zone, instanceId, memory, cpu.", { maxLength: 255 })),
          },
          "A placement strategy (EC2 launch type). Several are applied in order: spread on attribute:ecs.availability-zone then instanceId balances zones, then instances within each.",
          { validations: placementStrategyRules },
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
            expression: Optional(
              Str("A cluster query language expression, for memberOf, e.g. attribute:ecs.instance-type =~ t3.* or attribute:ecs.availability-zone in [us-east-1a, us-east-1b]. ECS parses it; one it refuses is a Synced=False InvalidSpec condition with its message.", {
                maxLength: 2000,
              }),
            ),
          },
          "A placement constraint (EC2 launch type).",
          {
            validations: [
              { rule: "self.type != 'memberOf' || has(self.expression)", message: "memberOf needs an expression, e.g. attribute:ecs.instance-type =~ t3.*", fieldPath: ".expression", reason: "FieldValueRequired" },
              { rule: "self.type != 'distinctInstance' || !has(self.expression)", messageExpression: "'distinctInstance takes no expression (it places each task on a different instance), got ' + self.expression", fieldPath: ".expression" },
              {
                // The cluster query language compares an attribute (or a task group) with values.
                rule: "!has(self.expression) || self.expression.matches('^[ ]*(not[ ]*[(]|[(])*[ ]*(attribute:|task:group|agentConnected|agentVersion|ec2InstanceId|registeredAt|runningTasksCount)')",
                messageExpression: "'a memberOf expression starts with what it compares (attribute:<name>, task:group, ec2InstanceId, ...), got ' + self.expression",
                fieldPath: ".expression",
              },
            ],
          },
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
    serviceConnectConfiguration: Optional(serviceConnectConfiguration),
    volumeConfigurations: Optional(serviceVolumeConfigurations),
    availabilityZoneRebalancing: Optional(
      StringEnum(["ENABLED", "DISABLED"] as const, "Move tasks between Availability Zones to keep them balanced (ECS's default for a new service: ENABLED). Does not deploy anew."),
    ),
    vpcLatticeConfigurations: Optional(
      List(
        Obj(
          {
            roleArn: Str("The ECS infrastructure role ECS uses to register the tasks in VPC Lattice.", { minLength: 1 }),
            targetGroupArn: Str("The VPC Lattice target group's ARN.", { minLength: 1 }),
            portName: Str("A named port mapping of the task definition (portMappings[].name) whose port is registered.", { minLength: 1, maxLength: 64 }),
          },
          "A VPC Lattice target group the tasks are registered in.",
        ),
        "VPC Lattice target groups for the tasks. A change deploys anew.",
        { maxItems: 5 },
      ),
    ),
    role: Optional(
      Str("The IAM role ECS uses to call the load balancer, only for load balancers with tasks that are not in awsvpc mode (otherwise ECS's service-linked role). Immutable.", {
        minLength: 1,
        validations: immutable("role"),
      }),
    ),
    autoScaling: Optional(autoScalingSpec),
  },
  "The desired ECS service: the CreateService/UpdateService input, in AWS's field names.",
  {
    validations: [
      { rule: "has(self.clusterRef) != has(self.cluster)", message: "set exactly one of clusterRef and cluster" },
      { rule: "has(self.taskDefinitionRef) != has(self.taskDefinition)", message: "set exactly one of taskDefinitionRef and taskDefinition" },
      {
        rule: "!(has(self.launchType) && has(self.capacityProviderStrategy))",
        messageExpression: "'launchType and capacityProviderStrategy are exclusive: remove launchType ' + self.launchType + ' or the strategy'",
        fieldPath: ".capacityProviderStrategy",
      },
      {
        // On the FARGATE or FARGATE_SPOT capacity providers as much as with launchType FARGATE.
        rule: "has(self.networkConfiguration) || !((has(self.launchType) && self.launchType == 'FARGATE') || (has(self.capacityProviderStrategy) && self.capacityProviderStrategy.exists(s, has(s.capacityProvider) && s.capacityProvider in ['FARGATE', 'FARGATE_SPOT'])))",
        message: "Fargate tasks use awsvpc networking: networkConfiguration.awsvpcConfiguration is required",
        fieldPath: ".networkConfiguration",
        reason: "FieldValueRequired",
      },
      {
        rule: "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.desiredCount)",
        messageExpression: "'a DAEMON service has no desiredCount (got %d): ECS runs one task on each container instance'.format([self.desiredCount])",
        fieldPath: ".desiredCount",
      },
      {
        // ECS: "Specifying a capacity provider strategy is not supported when you create a service
        // using the DAEMON scheduling strategy" (nor the cluster's default one: launchType EC2 avoids it).
        rule: "!has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON' || !has(self.capacityProviderStrategy)",
        message: "a DAEMON service takes no capacityProviderStrategy (ECS refuses one for daemons): set launchType EC2 instead",
        fieldPath: ".capacityProviderStrategy",
      },
      {
        rule: "!has(self.launchType) || self.launchType != 'FARGATE' || (!has(self.placementStrategy) && !has(self.placementConstraints))",
        message: "placement strategies and constraints apply to the EC2 launch type only, not FARGATE: remove placementStrategy and placementConstraints",
      },
      {
        rule: "!has(self.autoScaling) || !has(self.desiredCount) || (self.desiredCount >= self.autoScaling.minCapacity && self.desiredCount <= self.autoScaling.maxCapacity)",
        messageExpression:
          "'with autoScaling, desiredCount is only the count the service starts with and must lie within minCapacity..maxCapacity: got %d, not in %d..%d'.format([self.desiredCount, self.autoScaling.minCapacity, self.autoScaling.maxCapacity])",
        fieldPath: ".desiredCount",
      },
      {
        rule: "!has(self.autoScaling) || !has(self.schedulingStrategy) || self.schedulingStrategy != 'DAEMON'",
        message: "a DAEMON service runs one task on each container instance and has no count to scale: remove autoScaling or the DAEMON strategy",
        fieldPath: ".autoScaling",
      },
      {
        // Required resources for ECS blue/green deployments (developer guide): behind a load
        // balancer, traffic shifts from the primary to the alternate target group on the production rule.
        rule: "!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.strategy) || self.deploymentConfiguration.strategy == 'ROLLING' || !has(self.loadBalancers) || self.loadBalancers.all(lb, has(lb.advancedConfiguration))",
        message: "a BLUE_GREEN, CANARY or LINEAR service behind a load balancer needs loadBalancers[].advancedConfiguration: an alternate target group and a production listener rule",
      },
      {
        rule: "!has(self.deploymentConfiguration) || !has(self.deploymentConfiguration.strategy) || self.deploymentConfiguration.strategy == 'ROLLING' || !has(self.deploymentController) || self.deploymentController.type == 'ECS'",
        message: "deployment strategies other than ROLLING need the ECS deployment controller",
      },
      {
        rule: "!has(self.role) || has(self.loadBalancers)",
        message: "role is the load balancers' role: it needs loadBalancers",
        fieldPath: ".role",
      },
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

const release = Obj(
  {
    serviceDeploymentArn: Str("The service deployment (DescribeServiceDeployments)."),
    strategy: Str("ROLLING, BLUE_GREEN, CANARY or LINEAR."),
    status: Str("The service deployment's status: PENDING, IN_PROGRESS, SUCCESSFUL, STOPPED, ROLLBACK_IN_PROGRESS, ROLLBACK_SUCCESSFUL, ..."),
    stage: Optional(Str("The lifecycle stage of a BLUE_GREEN, CANARY or LINEAR release: SCALE_UP, TEST_TRAFFIC_SHIFT, PRODUCTION_TRAFFIC_SHIFT, BAKE_TIME, CLEAN_UP, ...")),
    stageSince: Optional(Str("When the operator first saw the release at this stage and traffic share (what bake time left is counted from).")),
    taskDefinition: Optional(Str("The revision being released.")),
    trafficPercent: Optional(Num("The share of production traffic ECS has asked for on the new revision, in percent.")),
    testTrafficPercent: Optional(Num("The share of test traffic on the new revision, in percent.")),
    bakeMinutesLeft: Optional(Num("Minutes left of the bake in progress (the release's bake time, or a canary or linear step's), as of the last look.")),
    awaitingAction: Optional(
      List(
        Obj({ hookId: Str("The paused hook's id."), stage: Str("The stage it pauses.") }, "A PAUSE lifecycle hook waiting for a decision."),
        "PAUSE hooks waiting for a decision: set the ecs.operator.dev/continue (or ecs.operator.dev/rollback) annotation to the revision, e.g. web:7.",
      ),
    ),
    rollbackReason: Optional(Str("Why ECS rolled the release back (an alarm, a hook, a stop).")),
    alarms: Optional(List(Str("An alarm name."), "The alarms that triggered during the release.")),
  },
  "Where the latest release stands, from the service-deployment APIs.",
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
    // Not `events`: kubectl describe prints a status field of that name as an "Events:" block of its
    // own, right above the object's real Kubernetes Events.
    serviceEvents: Optional(
      List(Obj({ createdAt: Str("When."), message: Str("What ECS said.") }, "A service event."), "The last few events ECS reported for the service, newest first (not Kubernetes Events: those are the operator's, shown by kubectl describe)."),
    ),
    failedTaskDefinitionArn: Optional(Str("A revision whose rollout failed (circuit breaker); not retried until the spec or the revision changes.")),
    rolloutDeployment: Optional(
      Obj(
        { id: Str("The deployment's id."), taskDefinition: Str("The revision it deploys.") },
        "The deployment rolling out the spec's revision, remembered so that its failure is seen even after ECS has rolled it back and stopped listing it.",
      ),
    ),
    forceNewDeployment: Optional(Str("The forceNewDeployment value last acted upon.")),
    autoScaling: Optional(autoScalingStatus),
    release: Optional(release),
    serviceConnect: Optional(
      Obj(
        {
          namespace: Optional(Str("The Cloud Map namespace the PRIMARY deployment uses (ARN).")),
          services: Optional(
            List(
              Obj({ discoveryName: Str("The name in the namespace."), discoveryArn: Optional(Str("The Cloud Map service ECS made for it.")) }, "A Cloud Map service of the deployment."),
              "The Cloud Map services ECS made for the service's Service Connect ports.",
            ),
          ),
        },
        "Service Connect as the PRIMARY deployment has it (absent when it is off).",
      ),
    ),
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
      { name: "Scaling", type: "string", jsonPath: ".status.autoScaling.range", description: "minCapacity-maxCapacity in force, where Application Auto Scaling is on." },
      { name: "Stage", type: "string", jsonPath: ".status.release.stage", description: "The lifecycle stage of a BLUE_GREEN, CANARY or LINEAR release." },
    ], "Exists, matches the spec, and its rollout completed.",
  ),

};

export type EcsServiceSpec = Static<typeof spec>;
export type EcsServiceStatus = Static<typeof status>;
export type EcsService = CustomObject<EcsServiceSpec, EcsServiceStatus>;
export type ServiceDeploymentStatus = Static<typeof deployment>;
export type ServiceReleaseStatus = Static<typeof release>;
