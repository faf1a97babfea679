import type { Static, TObject } from "@sinclair/typebox";
import type { AwsClients } from "../aws/clients.js";
import type { CustomObject, KindDefinition } from "../api/common.js";
// The definitions as types only: their TypeBox schemas stay out of the operator's process.
import type { capacityProviderKind } from "../api/capacityprovider.js";
import type { cloudMapNamespaceKind } from "../api/cloudmapnamespace.js";
import type { cloudMapServiceKind } from "../api/cloudmapservice.js";
import type { ecsClusterKind } from "../api/ecscluster.js";
import type { ecsServiceKind } from "../api/ecsservice.js";
import type { ecsScheduleKind } from "../api/ecsschedule.js";
import type { ecsTaskKind } from "../api/ecstask.js";
import type { listenerRuleKind } from "../api/listenerrule.js";
import type { targetGroupKind } from "../api/targetgroup.js";
import type { taskDefinitionKind } from "../api/taskdefinition.js";
import { kindName, MANAGED_KINDS, type KindName, type ManagedKind } from "../api/names.js";
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
  definition: KindName;
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

/** A kind's names, typed with its definition (a type only) so that register() can check its driver. */
interface KindRef<D extends KindDefinition> extends KindName {
  readonly definition?: D;
}

const ref = <D extends KindDefinition>(kind: ManagedKind): KindRef<D> => kindName(kind);

/** The custom object type a kind definition's schemas describe. */
type ObjectOf<D> = D extends KindDefinition<infer Spec extends TObject, infer Status extends TObject> ? CustomObject<Static<Spec>, Static<Status>> : never;

/**
 * Pairs a kind's definition with its driver. The driver's object type must be the one the
 * definition's schemas describe, so a driver cannot be registered for the wrong kind.
 */
function register<D extends KindDefinition, Deps, Observed, R extends ReferenceFields<ObjectOf<D>["spec"]>>(
  definition: KindRef<D>,
  references: R,
  driver: (context: DriverContext) => Driver<ObjectOf<D>, Deps, Observed, R>,
  options: Pick<KindRegistration, "summarisesReferrers"> = {},
): KindRegistration {
  return { definition: { kind: definition.kind, plural: definition.plural }, references: references, driver, ...options };
}

const byKind: Record<string, KindRegistration> = {
  EcsCluster: register(ref<typeof ecsClusterKind>("EcsCluster"), clusterReferences, ({ clients, lookup }) => ecsClusterDriver(clients.ecs, lookup), {
    summarisesReferrers: { statusFields: ["arn", "runningCount", "pendingCount"] },
  }),
  TaskDefinition: register(ref<typeof taskDefinitionKind>("TaskDefinition"), UNREFERENCED.references, ({ clients, lookup, settings }) => taskDefinitionDriver(clients.ecs, lookup, settings)),
  TargetGroup: register(ref<typeof targetGroupKind>("TargetGroup"), UNREFERENCED.references, ({ clients }) => targetGroupDriver(clients.elbv2)),
  ListenerRule: register(ref<typeof listenerRuleKind>("ListenerRule"), ruleReferences, ({ clients, lookup }) => listenerRuleDriver(clients.elbv2, lookup)),
  CloudMapNamespace: register(ref<typeof cloudMapNamespaceKind>("CloudMapNamespace"), UNREFERENCED.references, ({ clients }) => cloudMapNamespaceDriver(clients.serviceDiscovery)),
  CloudMapService: register(ref<typeof cloudMapServiceKind>("CloudMapService"), cloudMapServiceReferences, ({ clients }) => cloudMapServiceDriver(clients.serviceDiscovery)),
  EcsService: register(ref<typeof ecsServiceKind>("EcsService"), serviceReferences, ({ clients, lookup, settings }) => ecsServiceDriver(clients.ecs, { aas: clients.applicationAutoScaling, elbv2: clients.elbv2 }, lookup, settings)),
  EcsTask: register(ref<typeof ecsTaskKind>("EcsTask"), taskReferences, ({ clients, settings }) => ecsTaskDriver(clients.ecs, settings)),
  EcsSchedule: register(ref<typeof ecsScheduleKind>("EcsSchedule"), scheduleReferences, ({ clients, settings }) => ecsScheduleDriver(clients.scheduler, clients.ecs, settings)),
  CapacityProvider: register(ref<typeof capacityProviderKind>("CapacityProvider"), capacityProviderReferences, ({ clients }) => capacityProviderDriver(clients.ecs)),
};

/**
 * Every kind the operator reconciles, in dependency order (src/api/names.ts, which src/api/index.ts
 * follows). A kind without a registration, or one registered twice, fails here.
 */
export const registrations: KindRegistration[] = MANAGED_KINDS.map(({ kind }) => {
  const registration = byKind[kind];
  if (registration?.definition.kind !== kind) throw new Error(`kind ${kind} has no registration in src/controllers/index.ts`);
  return registration;
});
if (registrations.length !== Object.keys(byKind).length) throw new Error("src/controllers/index.ts registers a kind that src/api/names.ts does not list");
