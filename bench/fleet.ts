// The benchmark's fleet: N TaskDefinition + EcsService pairs in one cluster, and a smaller mix of
// the other kinds wired the way an application would wire them (a service behind a target group
// that a listener rule forwards to, registered in Cloud Map).
import { GROUP, VERSION } from "../src/api/common.js";
import { pluralOf } from "../src/api/index.js";

export const API_VERSION = `${GROUP}/${VERSION}`;

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string };
  spec: Record<string, unknown>;
}

/** Collection names, for the watches that track readiness. */
export const PLURALS: Record<string, string> = pluralOf;

export interface FleetSize {
  /** TaskDefinition + EcsService pairs. */
  n: number;
  /** Of each of TargetGroup, ListenerRule and CloudMapService; the first `mix` services use them. */
  mix: number;
}

export interface FleetPlace {
  namespace: string;
  /** The account's default VPC, which CreateTargetGroup checks. */
  vpcId: string;
  /** An ALB listener for the ListenerRules. */
  listenerArn: string;
}

export const CLUSTER = "bench";
export const CLOUD_MAP_NAMESPACE = "apps";

export const appName = (i: number): string => `app-${String(i).padStart(5, "0")}`;
const tgName = (i: number): string => `tg-${String(i).padStart(4, "0")}`;
const discoveryName = (i: number): string => `disc-${String(i).padStart(4, "0")}`;

const manifest = (kind: string, name: string, namespace: string, spec: Record<string, unknown>): Manifest => ({ apiVersion: API_VERSION, kind, metadata: { name, namespace }, spec });

/** An EC2 task definition of one small web container; `variant` changes its content. */
export function taskDefinition(namespace: string, name: string, variant: string): Manifest {
  return manifest("TaskDefinition", name, namespace, {
    requiresCompatibilities: ["EC2"],
    containerDefinitions: [
      {
        name: "app",
        image: "public.ecr.aws/nginx/nginx:1.27",
        memory: 128,
        essential: true,
        portMappings: [{ containerPort: 80 }],
        environment: [{ name: "VARIANT", value: variant }],
      },
    ],
  });
}

export function service(namespace: string, i: number, mix: number): Manifest {
  const name = appName(i);
  return manifest("EcsService", name, namespace, {
    clusterRef: { name: CLUSTER },
    taskDefinitionRef: { name },
    desiredCount: 1,
    launchType: "EC2",
    ...(i < mix
      ? {
          loadBalancers: [{ targetGroupRef: { name: tgName(i) }, containerName: "app", containerPort: 80 }],
          serviceRegistries: [{ cloudMapServiceRef: { name: discoveryName(i) } }],
        }
      : {}),
  });
}

/** Everything, dependencies first; within the pairs, each task definition just before its service. */
export function fleetManifests(size: FleetSize, place: FleetPlace): Manifest[] {
  const { namespace } = place;
  const out: Manifest[] = [manifest("EcsCluster", CLUSTER, namespace, {})];
  if (size.mix > 0) out.push(manifest("CloudMapNamespace", CLOUD_MAP_NAMESPACE, namespace, { type: "Http", name: `${namespace}-${CLOUD_MAP_NAMESPACE}` }));
  for (let i = 0; i < size.mix; i++) {
    out.push(manifest("TargetGroup", tgName(i), namespace, { protocol: "HTTP", port: 80, vpcId: place.vpcId, targetType: "instance" }));
    out.push(manifest("CloudMapService", discoveryName(i), namespace, { namespaceRef: { name: CLOUD_MAP_NAMESPACE }, type: "HTTP" }));
    out.push(
      manifest("ListenerRule", `rule-${String(i).padStart(4, "0")}`, namespace, {
        listenerArn: place.listenerArn,
        priority: i + 1,
        conditions: [{ field: "path-pattern", pathPatternConfig: { values: [`/${appName(i)}/*`] } }],
        actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: tgName(i) } }] } }],
      }),
    );
  }
  for (let i = 0; i < size.n; i++) {
    out.push(taskDefinition(namespace, appName(i), "1"));
    out.push(service(namespace, i, size.mix));
  }
  return out;
}

export function countByKind(manifests: readonly Manifest[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of manifests) out[m.kind] = (out[m.kind] ?? 0) + 1;
  return out;
}
