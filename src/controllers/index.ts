import type { Static, TObject } from "@sinclair/typebox";
import type { AwsClients } from "../aws/clients.js";
import type { CustomObject, KindDefinition } from "../api/common.js";
import { capacityProviderKind } from "../api/capacityprovider.js";
import { cloudMapNamespaceKind } from "../api/cloudmapnamespace.js";
import { cloudMapServiceKind } from "../api/cloudmapservice.js";
import { ecsClusterKind } from "../api/ecscluster.js";
import { ecsServiceKind } from "../api/ecsservice.js";
import { ecsScheduleKind } from "../api/ecsschedule.js";
import { ecsTaskKind } from "../api/ecstask.js";
import { kinds } from "../api/index.js";
import { listenerRuleKind } from "../api/listenerrule.js";
import { targetGroupKind } from "../api/targetgroup.js";
import { taskDefinitionKind } from "../api/taskdefinition.js";
import { UNREFERENCED, type AnyDriver, type Driver } from "../runtime/driver.js";
import type { Lookup, ReferenceFields } from "../runtime/references.js";
import { cloudMapNamespaceDriver } from "./cloudmapnamespace/driver.js";
import { cloudMapServiceDriver } from "./cloudmapservice/driver.js";
import { ecsClusterDriver } from "./ecscluster/driver.js";
import { ecsServiceDriver } from "./ecsservice/driver.js";
import { serviceReferences } from "./ecsservice/mapping.js";
import { cloudMapServiceReferences } from "./cloudmapservice/mapping.js";
import { ruleReferences } from "./listenerrule/mapping.js";
import { listenerRuleDriver } from "./listenerrule/driver.js";
import { targetGroupDriver } from "./targetgroup/driver.js";
import { taskDefinitionDriver } from "./taskdefinition/driver.js";
import { ecsTaskDriver } from "./ecstask/driver.js";
import { taskReferences } from "./ecstask/mapping.js";
import { ecsScheduleDriver } from "./ecsschedule/driver.js";
import { scheduleReferences } from "./ecsschedule/mapping.js";
import { capacityProviderDriver } from "./capacityprovider/driver.js";
import { capacityProviderReferences } from "./capacityprovider/mapping.js";
import { clusterReferences } from "./ecscluster/mapping.js";

/** Operator settings a driver may tune itself by. */
export interface DriverSettings {
  /** The periodic re-check interval. */
  resyncMs: number;
}

/** What a kind's driver is built from. */
export interface DriverContext {
  clients: AwsClients;
  /** Every kind's cache (never AWS). */
  lookup: Lookup;
  settings: DriverSettings;
}

export interface KindRegistration {
  definition: KindDefinition;
  /** The kind's reference declaration (the same object its drivers carry): the reference index reads it. */
  references: ReferenceFields<never>;
  /** A driver for one account and region (DriverContext.clients); made on first use there. */
  driver(context: DriverContext): AnyDriver;
  /**
   * This kind's status summarises objects that refer to it (a cluster's service and task counts):
   * it is read again shortly after one of these status fields of a referrer changes, instead of
   * showing stale numbers until its next periodic re-check.
   */
  summarisesReferrers?: { statusFields: readonly string[] };
}

/** The custom object type a kind definition's schemas describe. */
type ObjectOf<D> = D extends KindDefinition<infer Spec extends TObject, infer Status extends TObject> ? CustomObject<Static<Spec>, Static<Status>> : never;

/**
 * Pairs a kind's definition with its driver. The driver's object type must be the one the
 * definition's schemas describe, so a driver cannot be registered for the wrong kind.
 */
function register<D extends KindDefinition, Deps, Observed, R extends ReferenceFields<ObjectOf<D>["spec"]>>(
  definition: D,
  references: R,
  driver: (context: DriverContext) => Driver<ObjectOf<D>, Deps, Observed, R>,
  options: Pick<KindRegistration, "summarisesReferrers"> = {},
): KindRegistration {
  return { definition, references: references, driver, ...options };
}

const byKind: Record<string, KindRegistration> = {
  EcsCluster: register(ecsClusterKind, clusterReferences, ({ clients, lookup }) => ecsClusterDriver(clients.ecs, lookup), {
    summarisesReferrers: { statusFields: ["arn", "runningCount", "pendingCount"] },
  }),
  TaskDefinition: register(taskDefinitionKind, UNREFERENCED.references, ({ clients, lookup, settings }) => taskDefinitionDriver(clients.ecs, lookup, settings)),
  TargetGroup: register(targetGroupKind, UNREFERENCED.references, ({ clients }) => targetGroupDriver(clients.elbv2)),
  ListenerRule: register(listenerRuleKind, ruleReferences, ({ clients, lookup }) => listenerRuleDriver(clients.elbv2, lookup)),
  CloudMapNamespace: register(cloudMapNamespaceKind, UNREFERENCED.references, ({ clients }) => cloudMapNamespaceDriver(clients.serviceDiscovery)),
  CloudMapService: register(cloudMapServiceKind, cloudMapServiceReferences, ({ clients }) => cloudMapServiceDriver(clients.serviceDiscovery)),
  EcsService: register(ecsServiceKind, serviceReferences, ({ clients, lookup, settings }) => ecsServiceDriver(clients.ecs, { aas: clients.applicationAutoScaling, elbv2: clients.elbv2 }, lookup, settings)),
  EcsTask: register(ecsTaskKind, taskReferences, ({ clients, settings }) => ecsTaskDriver(clients.ecs, settings)),
  EcsSchedule: register(ecsScheduleKind, scheduleReferences, ({ clients, settings }) => ecsScheduleDriver(clients.scheduler, clients.ecs, settings)),
  CapacityProvider: register(capacityProviderKind, capacityProviderReferences, ({ clients }) => capacityProviderDriver(clients.ecs)),
};

/**
 * Every kind the operator reconciles, in the order of the one list of kinds (src/api/index.ts),
 * which is dependency order. A kind without a registration, or one registered twice, fails here.
 */
export const registrations: KindRegistration[] = kinds.map((definition) => {
  const registration = byKind[definition.kind];
  if (registration?.definition !== definition) throw new Error(`kind ${definition.kind} has no registration in src/controllers/index.ts`);
  return registration;
});
if (registrations.length !== Object.keys(byKind).length) throw new Error("src/controllers/index.ts registers a kind that src/api/index.ts does not list");
