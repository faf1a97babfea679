import type { ContainerDefinitionSpec, TaskDefinitionSpec } from "../api/taskdefinition.js";
import type { FieldPath, Problem, WarningSink } from "./diagnostics.js";
import type { Environment } from "./interpolate.js";
import type { ComposeProjectModel } from "./load.js";
import type { NetworkMode, Settings } from "./settings.js";

export type PortMapping = NonNullable<ContainerDefinitionSpec["portMappings"]>[number];
export type TaskVolume = NonNullable<TaskDefinitionSpec["volumes"]>[number];

/** Everything a mapping step reads, and where it reports. */
export interface MappingContext {
  project: ComposeProjectModel;
  settings: Settings;
  warnings: WarningSink;
  /** Values that are well-formed YAML but unusable (e.g. an unreadable env_file); the conversion fails with them. */
  problems: Problem[];
  env: Environment;
  /** Reads a file named in the Compose file, relative to its directory; undefined when it does not exist. */
  readFile(path: string): string | undefined;
  /** True the first time a key is passed: for warnings about a shared thing (a volume, a secret) given once. */
  once(key: string): boolean;
}

/** One ECS task: a Compose service and the sidecars that join it (x-ecs.sidecar_of). */
export interface TaskScope {
  /** The Compose service the task is named after. */
  service: string;
  /** Compose service names of its containers, the main one first. */
  members: string[];
  networkMode: NetworkMode;
  fargate: boolean;
  /** Task volumes the containers mount, by name. */
  volumes: Map<string, TaskVolume>;
}

export const servicePath = (name: string, ...rest: (string | number)[]): FieldPath => ["services", name, ...rest];
