import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { immutable, Int, List, Obj, Optional, Str, StringEnum } from "./schema.js";

const capacityProvider = StringEnum(["FARGATE", "FARGATE_SPOT"] as const, "A Fargate capacity provider.");

/** ECS's limits: 20 capacity providers on a cluster, 6 in a strategy. */
const MAX_CLUSTER_PROVIDERS = 20;
const MAX_STRATEGY_PROVIDERS = 6;

/** A CapacityProvider by name, bounded so that the API server can bound the CEL rules over the lists. */
const providerRef = (description: string) => Obj({ name: Str("The name of the CapacityProvider in the same namespace.", { minLength: 1, maxLength: 253 }) }, description);

const spec = specSchema(
  {
    clusterName: Optional(
      Str("The ECS cluster's name. Defaults to <namespace>_<name>, which cannot collide across namespaces. Immutable.", {
        minLength: 1,
        maxLength: 255,
        pattern: "^[a-zA-Z0-9_-]+$",
        validations: [immutable("clusterName")],
      }),
    ),
    capacityProviders: Optional(
      List(
        capacityProvider,
        "The Fargate capacity providers to associate with the cluster. With capacityProviderRefs, this is the cluster's whole list: the operator keeps it exact (PutClusterCapacityProviders); with neither set, the list is left as it is.",
        { maxItems: 2, "x-kubernetes-list-type": "set" },
      ),
    ),
    capacityProviderRefs: Optional(
      List(
        providerRef("A CapacityProvider in the same namespace, by name (an Auto Scaling group provider; a Managed Instances one names this cluster instead)."),
        "EC2 capacity providers to associate with the cluster, as CapacityProvider objects (import one made elsewhere with managementPolicy: Observe). The cluster waits for each to be Ready, and each waits to be deleted until the cluster no longer lists it.",
        { maxItems: MAX_CLUSTER_PROVIDERS },
      ),
    ),
    defaultCapacityProviderStrategy: Optional(
      List(
        Obj(
          {
            capacityProvider: Optional(StringEnum(["FARGATE", "FARGATE_SPOT"] as const, "A Fargate capacity provider (one of capacityProviders); exclusive with capacityProviderRef.")),
            capacityProviderRef: Optional(providerRef("A CapacityProvider of capacityProviderRefs, by name; exclusive with capacityProvider.")),
            weight: Optional(Int("Relative share of tasks placed with this provider.", { minimum: 0, maximum: 1000 })),
            base: Optional(Int("Minimum number of tasks on this provider.", { minimum: 0, maximum: 100000 })),
          },
          "One entry of the default capacity provider strategy.",
          { validations: [{ rule: "has(self.capacityProvider) != has(self.capacityProviderRef)", message: "set exactly one of capacityProvider and capacityProviderRef" }] },
        ),
        "The strategy used by services and tasks that name neither a launch type nor a strategy.",
        {
          maxItems: MAX_STRATEGY_PROVIDERS,
          validations: [
            { rule: "self.filter(s, has(s.base) && s.base > 0).size() <= 1", message: "only one capacity provider in a strategy can have a base" },
            {
              // ECS: a strategy holds Fargate providers or Auto Scaling group providers, never both.
              rule: "!self.exists(s, has(s.capacityProvider)) || !self.exists(s, has(s.capacityProviderRef))",
              message: "a capacity provider strategy holds Fargate providers (capacityProvider) or EC2 ones (capacityProviderRef), not both",
            },
          ],
        },
      ),
    ),
    serviceConnectDefaults: Optional(
      Obj(
        {
          namespaceRef: Optional(
            Obj({ name: Str("The name of the CloudMapNamespace in the same namespace.", { minLength: 1 }) }, "A CloudMapNamespace in the same namespace, by name."),
          ),
          namespace: Optional(
            Str("The Cloud Map namespace's ARN, for one not managed here.", { maxLength: 1600, pattern: "^arn:[a-z-]+:servicediscovery:" }),
          ),
        },
        "The Service Connect namespace of services that turn Service Connect on without naming one. Omitted: left as it is in AWS.",
        { validations: [{ rule: "has(self.namespaceRef) != has(self.namespace)", message: "set exactly one of namespaceRef and namespace" }] },
      ),
    ),
    settings: Optional(
      List(
        Obj(
          {
            name: StringEnum(["containerInsights"] as const, "The setting's name."),
            value: StringEnum(["enabled", "disabled", "enhanced"] as const, "Container Insights: enabled, enhanced or disabled."),
          },
          "A cluster setting.",
        ),
        "Cluster settings; today only containerInsights.",
        { maxItems: 1 },
      ),
    ),
  },
  "The desired ECS cluster: the CreateCluster input, in AWS's field names.",
  {
    validations: [
      {
        rule: "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, !has(s.capacityProvider) || (has(self.capacityProviders) && s.capacityProvider in self.capacityProviders))",
        message: "every defaultCapacityProviderStrategy entry must name one of capacityProviders or capacityProviderRefs: a capacityProvider is missing from capacityProviders",
        fieldPath: ".defaultCapacityProviderStrategy",
      },
      {
        rule: "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, !has(s.capacityProviderRef) || (has(self.capacityProviderRefs) && self.capacityProviderRefs.exists(r, r.name == s.capacityProviderRef.name)))",
        message: "every defaultCapacityProviderStrategy entry must name one of capacityProviders or capacityProviderRefs: a capacityProviderRef is missing from capacityProviderRefs",
        fieldPath: ".defaultCapacityProviderStrategy",
      },
      {
        rule: "!has(self.defaultCapacityProviderStrategy) || has(self.capacityProviders) || has(self.capacityProviderRefs)",
        message: "a defaultCapacityProviderStrategy needs the cluster's capacity providers: set capacityProviders or capacityProviderRefs",
        fieldPath: ".defaultCapacityProviderStrategy",
        reason: "FieldValueRequired",
      },
    ],
  },
);

const status = statusSchema(
  {
    clusterName: Optional(Str("The cluster's name in AWS.")),
    serviceConnectNamespace: Optional(Str("The ARN of the cluster's default Service Connect namespace, as AWS reports it.")),
    status: Optional(Str("The cluster's status in AWS (ACTIVE, PROVISIONING, ...).")),
    runningTasksCount: Optional(Int("Tasks in the RUNNING state.")),
    pendingTasksCount: Optional(Int("Tasks in the PENDING state.")),
    activeServicesCount: Optional(Int("Services in the ACTIVE state.")),
    registeredContainerInstancesCount: Optional(Int("Registered EC2 or external container instances.")),
    capacityProviders: Optional(List(Str("A capacity provider's name."), "The capacity providers associated with the cluster, as ECS reports them.")),
    containerInstances: Optional(
      Obj(
        {
          active: Int("ACTIVE: tasks are placed on them."),
          draining: Int("DRAINING: their tasks are being moved off; no new ones are placed."),
          registering: Int("REGISTERING (Managed Instances, or an agent still joining)."),
          deregistering: Int("DEREGISTERING."),
          other: Int("Any other status (REGISTRATION_FAILED, ...)."),
          agentDisconnected: Int("Of all of them, those whose ECS agent is not connected: ECS places no task there."),
        },
        "The cluster's registered container instances by status (ListContainerInstances and DescribeContainerInstances), read only while the cluster has some.",
      ),
    ),
  },
  "What the operator observed in AWS.",
);

export const ecsClusterKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("EcsCluster"),
  singular: "ecscluster",
  shortNames: ["ecscluster"],
  description: "An Amazon ECS cluster, with Fargate and EC2 capacity providers and Container Insights.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Cluster", type: "string", jsonPath: ".status.clusterName", description: "The cluster's name in AWS." },
      { name: "Services", type: "integer", jsonPath: ".status.activeServicesCount", description: "Active services." },
      { name: "Running", type: "integer", jsonPath: ".status.runningTasksCount", description: "Running tasks." },
      { name: "Instances", type: "integer", jsonPath: ".status.containerInstances.active", description: "ACTIVE container instances (EC2 capacity)." },
      { name: "Draining", type: "integer", jsonPath: ".status.containerInstances.draining", description: "DRAINING container instances.", priority: 1 },
      { name: "Disconnected", type: "integer", jsonPath: ".status.containerInstances.agentDisconnected", description: "Container instances whose agent is not connected.", priority: 1 },
    ],
  ),

};

export type EcsClusterSpec = Static<typeof spec>;
export type EcsClusterStatus = Static<typeof status>;
export type EcsCluster = CustomObject<EcsClusterSpec, EcsClusterStatus>;
