import type { CloudMapNamespaceSpec } from "../api/cloudmapnamespace.js";
import type { CloudMapServiceSpec } from "../api/cloudmapservice.js";
import type { API_VERSION } from "../api/common.js";
import type { EcsClusterSpec } from "../api/ecscluster.js";
import type { EcsServiceSpec } from "../api/ecsservice.js";
import type { ListenerRuleSpec } from "../api/listenerrule.js";
import type { TargetGroupSpec } from "../api/targetgroup.js";
import type { TaskDefinitionSpec } from "../api/taskdefinition.js";

/** Kubernetes object names: a DNS label (lowercase letters, digits, "-"), at most 63 characters. */
export function objectName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 63)
    .replace(/-$/, "");
  return name === "" ? "compose" : name;
}

/** ECS container and volume names allow letters, digits, "_" and "-". */
export function ecsName(text: string): string {
  return text.replace(/[^a-zA-Z0-9_-]/g, "-");
}

/** An environment variable name for a secret or key: upper case, "_" for anything else. */
export function envName(text: string): string {
  const name = text.toUpperCase().replace(/[^A-Z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

export interface ManifestMetadata {
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
}

/** Each kind's spec type, from its schema in src/api: what the compiler checks the output against. */
export interface SpecOf {
  EcsCluster: EcsClusterSpec;
  TaskDefinition: TaskDefinitionSpec;
  EcsService: EcsServiceSpec;
  TargetGroup: TargetGroupSpec;
  ListenerRule: ListenerRuleSpec;
  CloudMapNamespace: CloudMapNamespaceSpec;
  CloudMapService: CloudMapServiceSpec;
}

/** An object of one of this project's kinds. */
export type Manifest<K extends keyof SpecOf = keyof SpecOf> = {
  [Kind in K]: { apiVersion: typeof API_VERSION; kind: Kind; metadata: ManifestMetadata; spec: SpecOf[Kind] };
}[K];

export const PART_OF_LABEL = "app.kubernetes.io/part-of";
export const COMPONENT_LABEL = "app.kubernetes.io/component";
/** Cross-service start-up order, which ECS does not enforce, recorded for the reader of the manifests. */
export const DEPENDS_ON_ANNOTATION = "ecs.operator.dev/compose-depends-on";
