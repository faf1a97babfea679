import type { AwsClients } from "../aws/clients.js";
import { cloudMapNamespaceKind } from "../api/cloudmapnamespace.js";
import { cloudMapServiceKind, type CloudMapService } from "../api/cloudmapservice.js";
import { ecsClusterKind } from "../api/ecscluster.js";
import { ecsServiceKind, type EcsService } from "../api/ecsservice.js";
import { listenerRuleKind, type ListenerRule } from "../api/listenerrule.js";
import { targetGroupKind } from "../api/targetgroup.js";
import { taskDefinitionKind } from "../api/taskdefinition.js";
import type { KindDefinition } from "../api/common.js";
import type { Driver, ManagedObject } from "../runtime/driver.js";
import type { ObjectRef } from "../runtime/references.js";
import { cloudMapNamespaceDriver } from "./cloudmapnamespace/driver.js";
import { cloudMapServiceDriver } from "./cloudmapservice/driver.js";
import { cloudMapServiceReferences } from "./cloudmapservice/mapping.js";
import { ecsClusterDriver } from "./ecscluster/driver.js";
import { ecsServiceDriver } from "./ecsservice/driver.js";
import { listenerRuleDriver } from "./listenerrule/driver.js";
import { ruleReferences } from "./listenerrule/mapping.js";
import { targetGroupDriver } from "./targetgroup/driver.js";
import { taskDefinitionDriver } from "./taskdefinition/driver.js";
import { serviceReferences } from "./ecsservice/mapping.js";

/** Read access to the other kinds' caches, for drivers that resolve references (never AWS). */
export interface Lookup {
  get(kind: string, namespace: string, name: string): ManagedObject | undefined;
  list(kind: string): ManagedObject[];
}

/** Operator settings a driver may tune itself by. */
export interface DriverSettings {
  /** The periodic re-check interval. */
  resyncMs: number;
}

export interface KindRegistration {
  definition: KindDefinition;
  driver(clients: AwsClients, lookup: Lookup, settings: DriverSettings): Driver<ManagedObject, unknown, unknown>;
  /**
   * The objects this one names in its spec (same namespace). A change in any of them wakes it at
   * once, and none of them is deleted in AWS while it still exists (docs/design.md, promise 6).
   */
  references?(obj: ManagedObject): ObjectRef[];
  /**
   * The status fields other kinds read from this one through their references (its identities,
   * read with readyStatusField). Objects that refer to it are woken only when one of these, or
   * its readiness, changes: a cluster's task counts or a target group's health move all day and
   * must not wake a thousand services. Absent: every change wakes them.
   */
  referencedStatusFields?: readonly string[];
}

/**
 * Every kind the operator reconciles, in dependency order. Drivers are typed for their own kind;
 * the runtime hands each one only objects of that kind (one controller per kind).
 */
export const registrations: KindRegistration[] = [
  { definition: ecsClusterKind, driver: (clients) => ecsClusterDriver(clients.ecs), referencedStatusFields: ["clusterName"] },
  { definition: taskDefinitionKind, driver: (clients, lookup, settings) => taskDefinitionDriver(clients.ecs, lookup, settings), referencedStatusFields: ["taskDefinitionArn"] },
  { definition: targetGroupKind, driver: (clients) => targetGroupDriver(clients.elbv2), referencedStatusFields: ["arn"] },
  {
    definition: listenerRuleKind,
    driver: (clients, lookup) => listenerRuleDriver(clients.elbv2, lookup),
    references: (obj) => ruleReferences(obj as ListenerRule),
  },
  { definition: cloudMapNamespaceKind, driver: (clients) => cloudMapNamespaceDriver(clients.serviceDiscovery), referencedStatusFields: ["id"] },
  {
    definition: cloudMapServiceKind,
    driver: (clients, lookup) => cloudMapServiceDriver(clients.serviceDiscovery, lookup),
    references: (obj) => cloudMapServiceReferences(obj as CloudMapService),
    referencedStatusFields: ["arn"],
  },
  {
    definition: ecsServiceKind,
    driver: (clients, lookup, settings) => ecsServiceDriver(clients.ecs, lookup, settings),
    references: (obj) => serviceReferences(obj as EcsService),
  },
];
