import type { AwsClients } from "../aws/clients.js";
import { ecsClusterKind } from "../api/ecscluster.js";
import type { KindDefinition } from "../api/common.js";
import type { Driver, ManagedObject } from "../runtime/driver.js";
import type { ObjectRef } from "../runtime/references.js";
import { ecsClusterDriver } from "./ecscluster/driver.js";

/** Read access to the other kinds' caches, for drivers that resolve references (never AWS). */
export interface Lookup {
  get(kind: string, namespace: string, name: string): ManagedObject | undefined;
  list(kind: string): ManagedObject[];
}

export interface KindRegistration {
  definition: KindDefinition;
  driver(clients: AwsClients, lookup: Lookup): Driver<ManagedObject, unknown, unknown>;
  /**
   * The objects this one names in its spec (same namespace). A change in any of them wakes it at
   * once, and none of them is deleted in AWS while it still exists (promise 6).
   */
  references?(obj: ManagedObject): ObjectRef[];
}

/**
 * Every kind the operator reconciles, in dependency order. Drivers are typed for their own kind;
 * the runtime hands each one only objects of that kind (one controller per kind).
 */
export const registrations: KindRegistration[] = [{ definition: ecsClusterKind, driver: (clients) => ecsClusterDriver(clients.ecs) }];
