// The API's names without its schemas: all the running operator needs of src/api (the group, the
// version, each kind's collection). The TypeBox schemas, which only the CRD generator, the compose
// converter and tests read, stay out of the operator's process: loading TypeBox costs about 4 MiB.
export const GROUP = "ecs.operator.dev";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Tag keys the operator writes itself; users may not set them (CEL in src/api/common.ts). */
export const RESERVED_TAG_PREFIX = "ecs-operator.dev/";

export interface KindName {
  kind: string;
  /** The collection's name in API paths. */
  plural: string;
}

/** The managed kinds, in dependency order; src/api/index.ts lists their definitions in this order. */
export const MANAGED_KINDS = [
  // Before EcsCluster, whose serviceConnectDefaults names it.
  { kind: "CloudMapNamespace", plural: "cloudmapnamespaces" },
  // Before EcsCluster, which lists it (a Managed Instances provider names its cluster in turn).
  { kind: "CapacityProvider", plural: "capacityproviders" },
  { kind: "EcsCluster", plural: "ecsclusters" },
  { kind: "TaskDefinition", plural: "taskdefinitions" },
  { kind: "TargetGroup", plural: "targetgroups" },
  { kind: "ListenerRule", plural: "listenerrules" },
  { kind: "CloudMapService", plural: "cloudmapservices" },
  { kind: "EcsService", plural: "ecsservices" },
  { kind: "EcsTask", plural: "ecstasks" },
  { kind: "EcsSchedule", plural: "ecsschedules" },
] as const satisfies readonly KindName[];

export type ManagedKind = (typeof MANAGED_KINDS)[number]["kind"];

export function kindName(kind: ManagedKind): KindName {
  for (const name of MANAGED_KINDS) if (name.kind === kind) return name;
  throw new Error(`no managed kind ${kind}`);
}
