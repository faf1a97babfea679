import type { Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { immutable, Int, List, Obj, Optional, Str, StringEnum } from "./schema.js";

const capacityProvider = StringEnum(["FARGATE", "FARGATE_SPOT"] as const, "A Fargate capacity provider.");

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
      List(capacityProvider, "Capacity providers to associate with the cluster.", { maxItems: 2, "x-kubernetes-list-type": "set" }),
    ),
    defaultCapacityProviderStrategy: Optional(
      List(
        Obj(
          {
            capacityProvider: Str("The capacity provider (one of capacityProviders)."),
            weight: Optional(Int("Relative share of tasks placed with this provider.", { minimum: 0, maximum: 1000 })),
            base: Optional(Int("Minimum number of tasks on this provider.", { minimum: 0, maximum: 100000 })),
          },
          "One entry of the default capacity provider strategy.",
        ),
        "The strategy used by services and tasks that name neither a launch type nor a strategy.",
        {
          maxItems: 2,
          validations: [
            { rule: "self.filter(s, has(s.base) && s.base > 0).size() <= 1", message: "only one capacity provider in a strategy can have a base" },
          ],
        },
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
        rule: "!has(self.defaultCapacityProviderStrategy) || self.defaultCapacityProviderStrategy.all(s, has(self.capacityProviders) && s.capacityProvider in self.capacityProviders)",
        message: "every defaultCapacityProviderStrategy entry must name one of capacityProviders",
        fieldPath: ".defaultCapacityProviderStrategy",
      },
    ],
  },
);

const status = statusSchema(
  {
    clusterName: Optional(Str("The cluster's name in AWS.")),
    status: Optional(Str("The cluster's status in AWS (ACTIVE, PROVISIONING, ...).")),
    runningTasksCount: Optional(Int("Tasks in the RUNNING state.")),
    pendingTasksCount: Optional(Int("Tasks in the PENDING state.")),
    activeServicesCount: Optional(Int("Services in the ACTIVE state.")),
    registeredContainerInstancesCount: Optional(Int("Registered EC2 or external container instances.")),
  },
  "What the operator observed in AWS.",
);

export const ecsClusterKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("EcsCluster"),
  singular: "ecscluster",
  shortNames: ["ecscluster"],
  description: "An Amazon ECS cluster, with Fargate capacity providers and Container Insights.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Cluster", type: "string", jsonPath: ".status.clusterName", description: "The cluster's name in AWS." },
      { name: "Services", type: "integer", jsonPath: ".status.activeServicesCount", description: "Active services." },
      { name: "Running", type: "integer", jsonPath: ".status.runningTasksCount", description: "Running tasks." },
    ],
  ),

};

export type EcsClusterSpec = Static<typeof spec>;
export type EcsClusterStatus = Static<typeof status>;
export type EcsCluster = CustomObject<EcsClusterSpec, EcsClusterStatus>;
