import type { CloudMapNamespaceSpec } from "../api/cloudmapnamespace.js";
import type { CloudMapServiceSpec } from "../api/cloudmapservice.js";
import type { EcsServiceSpec } from "../api/ecsservice.js";
import { servicePath, type MappingContext, type TaskScope } from "./context.js";
import { ecsName } from "./names.js";
import { PLACEHOLDER } from "./settings.js";

/** Where the project's Cloud Map services live: a namespace created here, or an existing one by id. */
export interface NamespacePlan {
  /** The CloudMapNamespace to create, unless ecs-params.yml names an existing namespace by id. */
  create?: CloudMapNamespaceSpec;
  reference: Pick<CloudMapServiceSpec, "namespaceRef" | "namespaceId">;
  /** The domain services are found under, e.g. shop.local, when known. */
  domain?: string;
}

/** How an EcsService registers its tasks, but for the reference to the CloudMapService. */
type Registry = Omit<NonNullable<EcsServiceSpec["serviceRegistries"]>[number], "cloudMapServiceRef">;

/** TTL for the DNS records of a task, as Docker's ECS integration had it. */
const DEFAULT_TTL = 60;

/** Cloud Map's service name pattern (see src/api/cloudmapservice.ts). */
const SERVICE_NAME = /^[a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?([.][a-zA-Z0-9_]([a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_])?)*$/;

/**
 * One private DNS namespace for the project (<project>.local), as Docker's ECS integration made,
 * so that services find each other by name; ecs-params.yml's run_params.service_discovery may
 * name another or an existing one, as ecs-cli's did.
 */
export function namespacePlan(ctx: MappingContext, objectName: string): NamespacePlan {
  const discovery = ctx.project.ecsParams.run_params?.service_discovery;
  const existing = discovery?.private_dns_namespace?.id ?? discovery?.public_dns_namespace?.id;
  if (existing !== undefined) {
    const domain = discovery?.private_dns_namespace?.name ?? discovery?.public_dns_namespace?.name;
    return { reference: { namespaceId: existing }, ...(domain !== undefined ? { domain } : {}) };
  }
  const publicName = discovery?.public_dns_namespace?.name;
  if (publicName !== undefined) return { create: { type: "DnsPublic", name: publicName }, reference: { namespaceRef: { name: objectName } }, domain: publicName };
  const name = discovery?.private_dns_namespace?.name ?? `${ctx.settings.project}.local`;
  const description = discovery?.private_dns_namespace?.description ?? `Service discovery for the Compose project ${ctx.settings.project}`;
  if (ctx.settings.vpcIsPlaceholder) {
    ctx.warnings.output(`CloudMapNamespace ${objectName}: spec.vpc`, `a private DNS namespace belongs to a VPC; placeholder ${PLACEHOLDER.vpcId} (pass --vpc-id)`);
  }
  return { create: { type: "DnsPrivate", name, vpc: ctx.settings.vpcId, description }, reference: { namespaceRef: { name: objectName } }, domain: name };
}

/**
 * The Cloud Map service of a task and the registration that puts the task in it. awsvpc tasks
 * have their own address (A records); bridge and host tasks share the instance's, so they need
 * SRV records that carry the port, which ECS takes from a container port mapping.
 */
export function cloudMapService(
  ctx: MappingContext,
  scope: TaskScope,
  plan: NamespacePlan,
  firstPort: { container: string; port: number } | undefined,
  taskCount: number,
): { spec: CloudMapServiceSpec; registry: Registry } | undefined {
  const discovery = ctx.project.ecsParams.run_params?.service_discovery;
  const dnsParams = discovery?.service_discovery_service;
  const awsvpc = scope.networkMode === "awsvpc";
  let type: "A" | "SRV" = dnsParams?.dns_config?.type ?? (awsvpc ? "A" : "SRV");
  if (type === "A" && !awsvpc) {
    if (ctx.once("dns-a-bridge")) ctx.warnings.param(["run_params", "service_discovery", "service_discovery_service", "dns_config", "type"], `A records need awsvpc networking; ${scope.networkMode} tasks get SRV records`);
    type = "SRV";
  }
  // ecs-cli's settings name one service's container and port: they fit only a project of one.
  const single = taskCount === 1;
  const container = (single ? discovery?.container_name : undefined) ?? firstPort?.container;
  const port = (single ? discovery?.container_port : undefined) ?? firstPort?.port;
  let registry: Registry = {};
  if (type === "SRV") {
    if (container === undefined || port === undefined) {
      ctx.warnings.field(servicePath(scope.service), `in ${scope.networkMode} networking Cloud Map needs a container port for SRV records, and ${scope.service} has none; no service discovery for it (add a port under expose)`);
      return undefined;
    }
    registry = { containerName: ecsName(container), containerPort: port };
  }
  if (!single && (dnsParams?.name !== undefined || discovery?.container_name !== undefined || discovery?.container_port !== undefined) && ctx.once("discovery-single")) {
    ctx.warnings.param(["run_params", "service_discovery"], "name, container_name and container_port describe one service; with several, each is registered under its own Compose name and first port");
  }
  let name = single && dnsParams?.name !== undefined ? dnsParams.name : scope.service;
  if (!SERVICE_NAME.test(name)) {
    const fixed = ecsName(name).replace(/^-+|-+$/g, "");
    ctx.warnings.field(servicePath(scope.service), `${name} is not a valid Cloud Map name; registered as ${fixed}`);
    name = fixed;
  }
  const domain = plan.domain ?? "the namespace";
  if (awsvpc && ctx.once("awsvpc-search-domain")) {
    ctx.warnings.output(
      `Cloud Map ${domain}`,
      `services are registered as <service>.${domain}; awsvpc tasks cannot add a DNS search domain, so a bare Compose service name resolves only if ${domain} is in the VPC's DHCP options: otherwise use the full name`,
    );
  }
  if (type === "SRV" && ctx.once("srv-records")) {
    ctx.warnings.output(
      `Cloud Map ${domain}`,
      `${scope.networkMode} tasks share their instance's address, so they are registered with SRV records (host and port); clients that look up a plain host name (most database and HTTP clients) need A records, which only awsvpc networking gives (ecs_network_mode: awsvpc in ecs-params.yml)`,
    );
  }
  const spec: CloudMapServiceSpec = {
    name,
    ...plan.reference,
    ...(single && dnsParams?.description !== undefined ? { description: dnsParams.description } : {}),
    dnsConfig: { routingPolicy: "MULTIVALUE", dnsRecords: [{ type, ttl: dnsParams?.dns_config?.ttl ?? DEFAULT_TTL }] },
    healthCheckCustomConfig: { failureThreshold: dnsParams?.healthcheck_custom_config?.failure_threshold ?? 1 },
  };
  return { spec, registry };
}
