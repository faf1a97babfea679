import type { AwsClients } from "../aws/clients.js";
import { ecsClusterKind } from "../api/ecscluster.js";
import type { KindDefinition } from "../api/common.js";
import type { Driver, ManagedObject } from "../runtime/driver.js";
import { ecsClusterDriver } from "./ecscluster/driver.js";

/** Reads another kind's cached object, for drivers that resolve references. */
export type Lookup = (kind: string, namespace: string, name: string) => ManagedObject | undefined;

export interface KindRegistration {
  definition: KindDefinition;
  driver(clients: AwsClients, lookup: Lookup): Driver<ManagedObject, unknown, unknown>;
}

/**
 * Every kind the operator reconciles, in dependency order. Drivers are typed for their own kind;
 * the runtime hands each one only objects of that kind (one controller per kind).
 */
export const registrations: KindRegistration[] = [{ definition: ecsClusterKind, driver: (clients) => ecsClusterDriver(clients.ecs) }];
