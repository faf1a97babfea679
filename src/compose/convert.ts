import { API_VERSION } from "../api/common.js";
import { cloudMapService, namespacePlan, type NamespacePlan } from "./cloudmap.js";
import type { CloudMapNamespaceSpec } from "../api/cloudmapnamespace.js";
import type { EcsServiceSpec } from "../api/ecsservice.js";
import type { MappingContext } from "./context.js";
import { ComposeError, problemAt, type Warning } from "./diagnostics.js";
import { loadCompose, type LoadInput } from "./load.js";
import { forWeb, listenerRule, targetGroups, type TargetGroupPlan } from "./load-balancing.js";
import { COMPONENT_LABEL, DEPENDS_ON_ANNOTATION, objectName, PART_OF_LABEL, type Manifest, type ManifestMetadata, type SpecOf } from "./names.js";
import { ecsService } from "./service.js";
import { resolveSettings, type ConvertOptions } from "./settings.js";
import { taskDefinition, type TaskResult } from "./task-definition.js";

export interface ConvertInput extends LoadInput {
  options: ConvertOptions;
  /** Reads a file the Compose file names (env_file), relative to its directory; undefined when missing. */
  readFile(path: string): string | undefined;
}

export interface ConvertResult {
  /** The project's object name: the EcsCluster's and the CloudMapNamespace's. */
  project: string;
  manifests: Manifest[];
  warnings: Warning[];
}

interface PlannedTask {
  service: string;
  objectName: string;
  sidecars: string[];
  task: TaskResult;
  groups: TargetGroupPlan[];
}

/** Listener rule priorities are spaced so that rules can be slotted in between by hand. */
const PRIORITY_STEP = 10;

/**
 * A Compose project (with ecs-cli's ecs-params.yml) as this operator's objects: per Compose service
 * a TaskDefinition and an EcsService, a TargetGroup per published port (and a ListenerRule when a
 * listener is given), a CloudMapService in one CloudMapNamespace for the project, and the
 * EcsCluster they run in. Throws ComposeError for input that cannot be converted.
 */
export function convertCompose(input: ConvertInput): ConvertResult {
  const { project, warnings } = loadCompose(input);
  const settings = resolveSettings(project, input.options, warnings);
  const seen = new Set<string>();
  const ctx: MappingContext = {
    project,
    settings,
    warnings,
    problems: [],
    env: input.env,
    readFile: (path) => input.readFile(path),
    once: (key) => !seen.has(key) && Boolean(seen.add(key)),
  };

  const sidecars = new Map<string, string[]>();
  const mains: string[] = [];
  for (const [name] of project.services) {
    const of = project.serviceExtension(name).sidecar_of;
    if (of === undefined) mains.push(name);
    else sidecars.set(of, [...(sidecars.get(of) ?? []), name]);
  }
  const owners = new Map<string, string>();
  for (const service of mains) {
    const name = objectName(service);
    const other = owners.get(name);
    if (other !== undefined) ctx.problems.push(problemAt(project.compose, ["services", service], `${service} and ${other} both become the object name ${name}; rename one`));
    owners.set(name, service);
  }
  for (const network of Object.keys(project.file.networks ?? {})) {
    ctx.warnings.field(["networks", network], "Compose networks are not mapped: all services of the project share the VPC and the Cloud Map namespace; isolate them with security groups (run_params.network_configuration.awsvpc_configuration.security_groups in ecs-params.yml)");
  }
  if (project.file.models !== undefined) ctx.warnings.field(["models"], "AI models have no ECS counterpart; ignored");
  for (const config of Object.keys(project.file.configs ?? {})) {
    ctx.warnings.field(["configs", config], "ECS has no configs; build the files into the image or read them from S3 or SSM Parameter Store");
  }

  const metadata = (name: string, component?: string, annotations?: Record<string, string>): ManifestMetadata => ({
    name,
    ...(settings.namespace !== undefined ? { namespace: settings.namespace } : {}),
    labels: { [PART_OF_LABEL]: settings.project, ...(component !== undefined ? { [COMPONENT_LABEL]: component } : {}) },
    ...(annotations !== undefined ? { annotations } : {}),
  });
  const manifest = <K extends keyof SpecOf>(kind: K, meta: ManifestMetadata, spec: SpecOf[K]): Manifest<K> => ({ apiVersion: API_VERSION, kind, metadata: meta, spec });

  const manifests: Manifest[] = [];
  if ("ref" in settings.cluster && settings.cluster.create) manifests.push(manifest("EcsCluster", metadata(settings.cluster.ref), {}));
  const connect = settings.serviceDiscovery === "connect";
  const plan = connect ? connectNamespacePlan(ctx, settings.project) : namespacePlan(ctx, settings.project);
  if (plan.create) manifests.push(manifest("CloudMapNamespace", metadata(settings.project), plan.create));

  const tasks: PlannedTask[] = mains.map((service) => {
    const name = objectName(service);
    const members = [service, ...(sidecars.get(service) ?? [])];
    const task = taskDefinition(ctx, members, name, mains.length);
    return { service, objectName: name, sidecars: members.slice(1), task, groups: targetGroups(ctx, task.scope, name, task.published) };
  });
  const priorities = rulePriorities(ctx, tasks);

  for (const t of tasks) {
    const component = objectName(t.service);
    manifests.push(manifest("TaskDefinition", metadata(t.objectName, component), t.task.spec));
    for (const g of t.groups) manifests.push(manifest("TargetGroup", metadata(g.objectName, component), g.spec));
    const priority = priorities.get(t.service);
    const chosen = project.serviceExtension(t.service).listener_rule;
    if (settings.listenerArn !== undefined && priority !== undefined) {
      const paths = priorities.size === 1 ? ["/*"] : [`/${t.service}`, `/${t.service}/*`];
      if (priorities.size > 1 && chosen?.path_patterns === undefined && chosen?.host_headers === undefined) {
        ctx.warnings.field(["services", t.service], `routed from the listener by the path ${paths.join(" and ")} (the application sees that prefix); set x-ecs.listener_rule to choose`);
      }
      manifests.push(manifest("ListenerRule", metadata(t.objectName, component), listenerRule(ctx, t.service, t.groups, settings.listenerArn, priority, paths)));
    } else if (settings.listenerArn !== undefined && t.groups.length > 0) {
      ctx.warnings.field(["services", t.service, "ports"], "no HTTP port, so no rule on the ALB listener (its target groups are TCP or UDP, for a Network Load Balancer); set x-aws-protocol: http on a port to route it");
    } else if (chosen !== undefined) {
      ctx.warnings.field(["services", t.service, "x-ecs", "listener_rule"], settings.listenerArn === undefined ? "no listener to put the rule on: pass --listener-arn (or x-ecs.listener_arn); ignored" : "no published port to route to; ignored");
    }
    const firstPort = t.task.containers.flatMap((c) => (c.definition.portMappings ?? []).flatMap((p) => (typeof p.containerPort === "number" ? [{ container: c.definition.name, port: p.containerPort }] : [])))[0];
    const discovery = connect ? undefined : cloudMapService(ctx, t.task.scope, plan, firstPort, mains.length);
    if (discovery) manifests.push(manifest("CloudMapService", metadata(t.objectName, component), discovery.spec));
    const svc = project.file.services[t.service];
    if (svc === undefined) continue;
    const spec = ecsService(ctx, t.service, svc, t.sidecars, {
      objectName: t.objectName,
      awsvpc: t.task.scope.networkMode === "awsvpc",
      loadBalancers: t.groups.map((g) => ({ targetGroupRef: { name: g.objectName }, ...g.loadBalancer })),
      serviceRegistries: discovery ? [{ cloudMapServiceRef: { name: t.objectName }, ...discovery.registry }] : [],
    });
    if (connect) spec.serviceConnectConfiguration = serviceConnect(t.service, t.task, firstPort, settings.project);
    const deps = t.task.otherTaskDependencies;
    manifests.push(manifest("EcsService", metadata(t.objectName, component, deps.length > 0 ? { [DEPENDS_ON_ANNOTATION]: deps.join(",") } : undefined), spec));
  }

  if (ctx.problems.length > 0) throw new ComposeError(ctx.problems);
  return { project: settings.project, manifests, warnings: inReadingOrder(warnings.warnings, [project.compose.file, project.params?.file]) };
}

/**
 * Service Connect for one Compose service: it joins the project's namespace and, when it has a
 * container port, is reached there by the Compose service's name on that port (http://web:80), as
 * Compose's own network names it. The port mapping gets the name Service Connect needs.
 */
function serviceConnect(service: string, task: TaskResult, firstPort: { container: string; port: number } | undefined, namespace: string): NonNullable<EcsServiceSpec["serviceConnectConfiguration"]> {
  const base = { enabled: true, namespaceRef: { name: namespace } };
  if (firstPort === undefined) return base;
  const portName = `${firstPort.container}-${String(firstPort.port)}`.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 64);
  for (const c of task.spec.containerDefinitions) {
    if (c.name !== firstPort.container) continue;
    const mapping = (c.portMappings ?? []).find((p) => p.containerPort === firstPort.port);
    if (mapping) mapping.name = portName;
  }
  const dnsName = service.toLowerCase().replace(/[^a-z0-9_.-]/g, "-");
  return { ...base, services: [{ portName, discoveryName: dnsName.replace(/[.]/g, "-").slice(0, 64), clientAliases: [{ port: firstPort.port, dnsName }] }] };
}

/** Service Connect needs no DNS: one HTTP namespace for the project, named after it. */
function connectNamespacePlan(ctx: MappingContext, objectName: string): NamespacePlan & { create: CloudMapNamespaceSpec } {
  const discovery = ctx.project.ecsParams.run_params?.service_discovery;
  if (discovery !== undefined) ctx.warnings.param(["run_params", "service_discovery"], "Cloud Map DNS settings of ecs-params.yml do not apply with --service-discovery connect; ignored");
  return { create: { type: "Http", name: objectName, description: `Service Connect namespace of the Compose project ${ctx.settings.project}` }, reference: { namespaceRef: { name: objectName } } };
}

/**
 * Rule priorities for the services that get a listener rule: x-ecs.listener_rule.priority where
 * given (unique), otherwise the next free multiple of ten in file order.
 */
function rulePriorities(ctx: MappingContext, tasks: PlannedTask[]): Map<string, number> {
  const out = new Map<string, number>();
  if (ctx.settings.listenerArn === undefined) return out;
  const routed = tasks.filter((t) => t.groups.some(forWeb));
  const taken = new Map<number, string>();
  for (const t of routed) {
    const wanted = ctx.project.serviceExtension(t.service).listener_rule?.priority;
    if (wanted === undefined) continue;
    const other = taken.get(wanted);
    if (other !== undefined) ctx.problems.push(problemAt(ctx.project.compose, ["services", t.service, "x-ecs", "listener_rule", "priority"], `priority ${String(wanted)} is also ${other}'s; listener rule priorities are unique`));
    taken.set(wanted, t.service);
    out.set(t.service, wanted);
  }
  let next = PRIORITY_STEP;
  for (const t of routed) {
    if (out.has(t.service)) continue;
    while (taken.has(next)) next += PRIORITY_STEP;
    taken.set(next, t.service);
    out.set(t.service, next);
  }
  return out;
}

/** Warnings about input files first, file by file and line by line; then those about the output. */
function inReadingOrder(warnings: Warning[], files: (string | undefined)[]): Warning[] {
  const rank = (w: Warning) => (w.file === undefined ? files.length : files.indexOf(w.file));
  return [...warnings].sort((a, b) => rank(a) - rank(b) || (a.line ?? 0) - (b.line ?? 0));
}
