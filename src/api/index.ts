import { awsAccountKind } from "./awsaccount.js";
import { capacityProviderKind } from "./capacityprovider.js";
import { cloudMapNamespaceKind } from "./cloudmapnamespace.js";
import { cloudMapServiceKind } from "./cloudmapservice.js";
import type { KindDefinition } from "./common.js";
import { ecsClusterKind } from "./ecscluster.js";
import { ecsServiceKind } from "./ecsservice.js";
import { ecsScheduleKind } from "./ecsschedule.js";
import { ecsTaskKind } from "./ecstask.js";
import { listenerRuleKind } from "./listenerrule.js";
import { targetGroupKind } from "./targetgroup.js";
import { taskDefinitionKind } from "./taskdefinition.js";

/** Every kind the operator serves; the CRD generator and the controller registry read this list. */
export const kinds: KindDefinition[] = [
  cloudMapNamespaceKind,
  // Before EcsCluster, which lists it (a Managed Instances provider names its cluster in turn).
  capacityProviderKind,
  ecsClusterKind,
  taskDefinitionKind,
  targetGroupKind,
  listenerRuleKind,
  cloudMapServiceKind,
  ecsServiceKind,
  ecsTaskKind,
  ecsScheduleKind,
];

/**
 * The kinds an administrator writes to configure the operator itself (cluster-scoped): they have
 * CRDs but no AWS resource of their own.
 */
export const adminKinds: KindDefinition[] = [awsAccountKind];

/** Every CRD the operator ships: the managed kinds and the administrators' kinds. */
export const crdKinds: KindDefinition[] = [...kinds, ...adminKinds];

/** Collection (plural) names by kind, for tools that list or watch every kind. */
export const pluralOf: Record<string, string> = Object.fromEntries(kinds.map((k) => [k.kind, k.plural]));
