import type {
  AdvancedConfiguration,
  CreateServiceCommandInput,
  Deployment,
  DeploymentConfiguration,
  DeploymentLifecycleHook,
  LoadBalancer,
  Service,
  ServiceConnectConfiguration,
  TaskDefinition,
  UpdateServiceCommandInput,
} from "@aws-sdk/client-ecs";
import { createHash } from "node:crypto";
import type { EcsService, EcsServiceSpec, EcsServiceStatus, ServiceReleaseStatus } from "../../api/ecsservice.js";
import { ecsVolumeConfigurations } from "../../aws/ecs-volumes.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, fromLowerTagList, tagDiff, toLowerTagList } from "../../aws/tags.js";
import { revisionName, sameRevision } from "../../aws/task-definition-revisions.js";
import type { Unlocated } from "../../runtime/driver.js";
import type { ReferenceFields, ReferenceValues } from "../../runtime/references.js";
import { initialDesiredCount, scalingStatus, type ObservedScaling } from "./autoscaling.js";
import { CONTINUE_ANNOTATION, manualStep, ROLLBACK_ANNOTATION, type ManualStep } from "./release.js";

export const KIND = "EcsService";

/** References resolved to the identities AWS takes, in the order of the spec's lists. */
export interface ServiceDeps {
  /** Cluster name or ARN. */
  cluster: string;
  /** A pinned revision: ARN or family:revision, never a bare family. */
  taskDefinition: string;
  targetGroupArns: string[];
  registryArns: string[];
  /** By spec.autoScaling.targetTracking index: the ARN of its targetGroupRef, where it has one. */
  scalingTargetGroupArns?: (string | undefined)[];
  /** The capacity provider strategy's providers by AWS name, in spec order (empty without a strategy). */
  capacityProviders?: string[];
  /** Each load balancer's advancedConfiguration with its references resolved (undefined where it has none). */
  advanced: (AdvancedConfiguration | undefined)[];
  /** The Service Connect namespace (ARN) the spec names; undefined: the cluster's serviceConnectDefaults. */
  namespace?: string;
}

export interface ObservedService {
  service: Service;
  /** The revision the spec asks for, resolved: what the rollout is judged against. */
  desiredTaskDefinition: string;
  /** A revision whose rollout failed, remembered across reconciles (status). */
  failedTaskDefinition?: string;
  /** The deployment rolling out the desired revision, remembered across reconciles (status). */
  rolloutDeployment?: { id: string; taskDefinition: string };
  /** The forceNewDeployment value last acted upon (status). */
  forceNewDeployment?: string;
  /** Its Application Auto Scaling, when looked at (autoscaling.ts). */
  scaling?: ObservedScaling;
  /** The latest release from the service-deployment APIs, when read (status). */
  release?: ServiceReleaseStatus;
}

export function serviceName(obj: EcsService): string {
  return obj.spec.serviceName ?? derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 255, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" });
}

export function serviceTags(obj: EcsService): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/**
 * CreateService's idempotency token: the same for the same object and spec, so a create whose
 * answer was lost (a crash before the status write) is answered with the service it made.
 */
export function clientToken(obj: EcsService): string {
  return createHash("sha256").update(`${obj.metadata.uid}:${String(obj.metadata.generation ?? 0)}`).digest("hex").slice(0, 32);
}

/**
 * The objects a service names, declared once (docs/adding-a-kind.md): the runtime resolves them,
 * wakes the service when what it reads of them changes, and holds their deletion while it exists.
 */
export const serviceReferences = {
  cluster: { kind: "EcsCluster", statusField: "clusterName", path: "spec.clusterRef", names: (s: EcsServiceSpec) => [s.clusterRef?.name] },
  taskDefinition: { kind: "TaskDefinition", statusField: "taskDefinitionArn", path: "spec.taskDefinitionRef", names: (s: EcsServiceSpec) => [s.taskDefinitionRef?.name] },
  targetGroups: { kind: "TargetGroup", statusField: "arn", path: "spec.loadBalancers[].targetGroupRef", names: (s: EcsServiceSpec) => (s.loadBalancers ?? []).map((lb) => lb.targetGroupRef?.name) },
  registries: {
    kind: "CloudMapService",
    statusField: "arn",
    path: "spec.serviceRegistries[].cloudMapServiceRef",
    names: (s: EcsServiceSpec) => (s.serviceRegistries ?? []).map((r) => r.cloudMapServiceRef?.name),
  },
  scalingTargetGroups: {
    kind: "TargetGroup",
    statusField: "arn",
    path: "spec.autoScaling.targetTracking[].predefinedMetricSpecification.targetGroupRef",
    names: (s: EcsServiceSpec) => (s.autoScaling?.targetTracking ?? []).map((t) => t.predefinedMetricSpecification?.targetGroupRef?.name),
  },
  capacityProviders: {
    kind: "CapacityProvider",
    statusField: "capacityProviderName",
    path: "spec.capacityProviderStrategy[].capacityProviderRef",
    names: (s: EcsServiceSpec) => (s.capacityProviderStrategy ?? []).map((e) => e.capacityProviderRef?.name),
  },
  alternateTargetGroups: {
    kind: "TargetGroup",
    statusField: "arn",
    path: "spec.loadBalancers[].advancedConfiguration.alternateTargetGroupRef",
    names: (s: EcsServiceSpec) => (s.loadBalancers ?? []).map((lb) => lb.advancedConfiguration?.alternateTargetGroupRef?.name),
  },
  productionListenerRules: {
    kind: "ListenerRule",
    statusField: "arn",
    path: "spec.loadBalancers[].advancedConfiguration.productionListenerRuleRef",
    names: (s: EcsServiceSpec) => (s.loadBalancers ?? []).map((lb) => lb.advancedConfiguration?.productionListenerRuleRef?.name),
  },
  testListenerRules: {
    kind: "ListenerRule",
    statusField: "arn",
    path: "spec.loadBalancers[].advancedConfiguration.testListenerRuleRef",
    names: (s: EcsServiceSpec) => (s.loadBalancers ?? []).map((lb) => lb.advancedConfiguration?.testListenerRuleRef?.name),
  },
  serviceConnectNamespace: {
    kind: "CloudMapNamespace",
    statusField: "arn",
    path: "spec.serviceConnectConfiguration.namespaceRef",
    names: (s: EcsServiceSpec) => [s.serviceConnectConfiguration?.namespaceRef?.name],
  },
} satisfies ReferenceFields<EcsServiceSpec>;

/**
 * The ListenerRules whose forward action ECS owns because this service names them as its
 * production or test rule (by reference or by ARN): the ListenerRule kind asks this to leave
 * their weights alone (docs/deployments.md, "What ECS owns").
 */
export function listenerRulesShiftedBy(spec: EcsServiceSpec): { names: string[]; arns: string[] } {
  const names: string[] = [];
  const arns: string[] = [];
  for (const lb of spec.loadBalancers ?? []) {
    const a = lb.advancedConfiguration;
    if (!a) continue;
    for (const name of [a.productionListenerRuleRef?.name, a.testListenerRuleRef?.name]) if (name !== undefined) names.push(name);
    for (const arn of [a.productionListenerRule, a.testListenerRule]) if (arn !== undefined) arns.push(arn);
  }
  return { names, arns };
}

export type ServiceRefs = ReferenceValues<typeof serviceReferences>;

/** Each reference or its literal twin (exactly one is set, by CEL). */
export function resolveService(obj: EcsService, refs: ServiceRefs): ServiceDeps {
  const s = obj.spec;
  const namespace = s.serviceConnectConfiguration?.namespace ?? refs.serviceConnectNamespace[0];
  return {
    ...(namespace !== undefined ? { namespace } : {}),
    cluster: s.cluster ?? refs.cluster[0] ?? "",
    taskDefinition: s.taskDefinition ?? refs.taskDefinition[0] ?? "",
    targetGroupArns: (s.loadBalancers ?? []).map((lb, i) => lb.targetGroupArn ?? refs.targetGroups[i] ?? ""),
    registryArns: (s.serviceRegistries ?? []).map((r, i) => r.registryArn ?? refs.registries[i] ?? ""),
    scalingTargetGroupArns: [...refs.scalingTargetGroups],
    capacityProviders: (s.capacityProviderStrategy ?? []).map((e, i) => e.capacityProvider ?? refs.capacityProviders[i] ?? ""),
    advanced: (s.loadBalancers ?? []).map((lb, i) => {
      const a = lb.advancedConfiguration;
      if (!a) return undefined;
      const test = a.testListenerRule ?? refs.testListenerRules[i];
      return {
        alternateTargetGroupArn: a.alternateTargetGroupArn ?? refs.alternateTargetGroups[i] ?? "",
        productionListenerRule: a.productionListenerRule ?? refs.productionListenerRules[i] ?? "",
        ...(test !== undefined ? { testListenerRule: test } : {}),
        ...(a.roleArn !== undefined ? { roleArn: a.roleArn } : {}),
      };
    }),
  };
}

/** The strategy with each provider by its AWS name. */
function capacityProviderStrategy(obj: EcsService, deps: ServiceDeps) {
  return (obj.spec.capacityProviderStrategy ?? []).map((e, i) => ({
    capacityProvider: deps.capacityProviders?.[i] ?? e.capacityProvider ?? "",
    ...(e.weight !== undefined ? { weight: e.weight } : {}),
    ...(e.base !== undefined ? { base: e.base } : {}),
  }));
}

/**
 * The strategy's providers that the cluster does not have (its status lists them as ECS reports
 * them), each with where it is in the spec; empty when the cluster's list is not known.
 */
export function providersOutsideCluster(obj: EcsService, deps: ServiceDeps, clusterProviders: readonly string[] | undefined): string[] {
  if (clusterProviders === undefined) return [];
  return (obj.spec.capacityProviderStrategy ?? []).flatMap((e, i) => {
    const name = deps.capacityProviders?.[i] ?? e.capacityProvider ?? "";
    if (clusterProviders.includes(name)) return [];
    return [`${name} (spec.capacityProviderStrategy[${String(i)}]${e.capacityProviderRef ? `, CapacityProvider ${obj.metadata.namespace}/${e.capacityProviderRef.name}` : ""})`];
  });
}

/**
 * Where the service of an object being deleted is: only its cluster is needed, from the identity
 * in status, the literal, or the EcsCluster object whatever its readiness (a cluster being
 * deleted waits for its services, so it is still there to ask).
 */
export function locateService(obj: EcsService, refs: ServiceRefs): ServiceDeps | Unlocated {
  const cluster = obj.status?.clusterArn ?? obj.spec.cluster ?? refs.cluster[0];
  if (cluster === undefined) {
    return { unlocated: `the cluster of this service is unknown: status has no clusterArn and EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef?.name ?? ""} shows no clusterName` };
  }
  return { cluster, taskDefinition: "", targetGroupArns: [], registryArns: [], capacityProviders: [], advanced: [] };
}

function loadBalancers(obj: EcsService, deps: ServiceDeps): LoadBalancer[] {
  return (obj.spec.loadBalancers ?? []).map((lb, i) => {
    const advanced = deps.advanced[i];
    return { targetGroupArn: deps.targetGroupArns[i] ?? "", containerName: lb.containerName, containerPort: lb.containerPort, ...(advanced ? { advancedConfiguration: advanced } : {}) };
  });
}

/**
 * The load balancers as UpdateService must send them. After each successful blue/green, canary or
 * linear release ECS swaps the primary and alternate target groups (the next release goes the
 * other way); the spec names them once, so a load balancer whose pair ECS has swapped is sent the
 * way ECS has it, never reverted (that would start a release of its own).
 */
export function orientedLoadBalancers(want: readonly LoadBalancer[], observed: readonly LoadBalancer[] | undefined): LoadBalancer[] {
  return want.map((lb) => {
    const alternate = lb.advancedConfiguration?.alternateTargetGroupArn;
    const swapped = observed?.some((o) => o.targetGroupArn === alternate && o.advancedConfiguration?.alternateTargetGroupArn === lb.targetGroupArn);
    if (!swapped || !lb.advancedConfiguration || alternate === undefined) return lb;
    return { ...lb, targetGroupArn: alternate, advancedConfiguration: { ...lb.advancedConfiguration, alternateTargetGroupArn: lb.targetGroupArn ?? "" } };
  });
}

/** The spec's deploymentConfiguration as ECS takes it (a Lambda hook's details are a JSON document). */
function deploymentConfiguration(spec: EcsServiceSpec): DeploymentConfiguration | undefined {
  const c = spec.deploymentConfiguration;
  if (!c) return undefined;
  const { lifecycleHooks, ...rest } = c;
  return {
    ...rest,
    ...(lifecycleHooks ? { lifecycleHooks: lifecycleHooks.map(({ hookDetails, ...hook }) => ({ ...hook, ...(hookDetails !== undefined ? { hookDetails: hookDetails as NonNullable<DeploymentLifecycleHook["hookDetails"]> } : {}) })) } : {}),
  };
}

function serviceRegistries(obj: EcsService, deps: ServiceDeps) {
  return (obj.spec.serviceRegistries ?? []).map((r, i) => ({
    registryArn: deps.registryArns[i] ?? "",
    ...(r.containerName !== undefined ? { containerName: r.containerName } : {}),
    ...(r.containerPort !== undefined ? { containerPort: r.containerPort } : {}),
    ...(r.port !== undefined ? { port: r.port } : {}),
  }));
}

/**
 * Service Connect as ECS takes it: the namespace resolved (none sent: ECS uses the cluster's
 * serviceConnectDefaults), everything else in AWS's names already.
 */
export function serviceConnectConfiguration(spec: EcsServiceSpec, deps: ServiceDeps): ServiceConnectConfiguration | undefined {
  const c = spec.serviceConnectConfiguration;
  if (!c) return undefined;
  const { namespaceRef: _ref, namespace: _literal, ...rest } = c;
  return { ...rest, ...(deps.namespace !== undefined ? { namespace: deps.namespace } : {}) };
}

/** The fields UpdateService can change, as the spec wants them; absent when the spec leaves them to AWS. */
function mutableFields(obj: EcsService, deps: ServiceDeps): Omit<UpdateServiceCommandInput, "cluster" | "service"> {
  const s = obj.spec;
  return {
    taskDefinition: deps.taskDefinition,
    // With autoScaling the count is Application Auto Scaling's: desiredCount is only the initial one.
    ...(s.desiredCount !== undefined && !s.autoScaling ? { desiredCount: s.desiredCount } : {}),
    ...(s.capacityProviderStrategy ? { capacityProviderStrategy: capacityProviderStrategy(obj, deps) } : {}),
    ...(s.platformVersion !== undefined ? { platformVersion: s.platformVersion } : {}),
    ...(s.networkConfiguration ? { networkConfiguration: s.networkConfiguration } : {}),
    ...(s.deploymentConfiguration ? { deploymentConfiguration: deploymentConfiguration(s) } : {}),
    ...(s.loadBalancers ? { loadBalancers: loadBalancers(obj, deps) } : {}),
    ...(s.serviceRegistries ? { serviceRegistries: serviceRegistries(obj, deps) } : {}),
    ...(s.placementStrategy ? { placementStrategy: s.placementStrategy } : {}),
    ...(s.placementConstraints ? { placementConstraints: s.placementConstraints } : {}),
    ...(s.healthCheckGracePeriodSeconds !== undefined ? { healthCheckGracePeriodSeconds: s.healthCheckGracePeriodSeconds } : {}),
    ...(s.enableExecuteCommand !== undefined ? { enableExecuteCommand: s.enableExecuteCommand } : {}),
    ...(s.enableECSManagedTags !== undefined ? { enableECSManagedTags: s.enableECSManagedTags } : {}),
    ...(s.propagateTags !== undefined ? { propagateTags: s.propagateTags } : {}),
    ...(s.availabilityZoneRebalancing !== undefined ? { availabilityZoneRebalancing: s.availabilityZoneRebalancing } : {}),
    ...(s.serviceConnectConfiguration ? { serviceConnectConfiguration: serviceConnectConfiguration(s, deps) } : {}),
    ...(s.volumeConfigurations ? { volumeConfigurations: ecsVolumeConfigurations(s.volumeConfigurations) } : {}),
    ...(s.vpcLatticeConfigurations ? { vpcLatticeConfigurations: s.vpcLatticeConfigurations } : {}),
  };
}

/**
 * Fields DescribeServices reports only on each deployment, never at the top level: they are
 * compared with the PRIMARY deployment's (a service whose answer has no PRIMARY is not compared).
 */
export const PER_DEPLOYMENT_FIELDS = ["serviceConnectConfiguration", "volumeConfigurations", "vpcLatticeConfigurations"] as const;
type PerDeploymentField = (typeof PER_DEPLOYMENT_FIELDS)[number];

function isPerDeployment(field: string): field is PerDeploymentField {
  return (PER_DEPLOYMENT_FIELDS as readonly string[]).includes(field);
}

/**
 * What the spec names in the task definition that the revision does not have: Service Connect and
 * VPC Lattice port names (the container definitions' portMappings[].name) and the volumes
 * configured at launch (a volume with configuredAtLaunch: true). Empty when all are there. AWS
 * refuses some at CreateService and lets others fail the deployment; this says which, before.
 */
export function launchMismatches(spec: EcsServiceSpec, taskDefinition: TaskDefinition): string[] {
  const ports = (taskDefinition.containerDefinitions ?? []).flatMap((c) => (c.portMappings ?? []).map((p) => p.name)).filter((n): n is string => n !== undefined);
  const named = ports.length > 0 ? `its named port mappings: ${ports.join(", ")}` : "it names no port mapping (portMappings[].name)";
  const out: string[] = [];
  for (const [i, svc] of (spec.serviceConnectConfiguration?.services ?? []).entries()) {
    if (!ports.includes(svc.portName)) out.push(`spec.serviceConnectConfiguration.services[${String(i)}].portName ${svc.portName} is not a named port mapping of the task definition (${named})`);
  }
  for (const [i, l] of (spec.vpcLatticeConfigurations ?? []).entries()) {
    if (!ports.includes(l.portName)) out.push(`spec.vpcLatticeConfigurations[${String(i)}].portName ${l.portName} is not a named port mapping of the task definition (${named})`);
  }
  const atLaunch = (taskDefinition.volumes ?? []).filter((v) => v.configuredAtLaunch === true).map((v) => v.name ?? "");
  const configured = (spec.volumeConfigurations ?? []).map((v) => v.name);
  for (const [i, name] of configured.entries()) {
    if (!atLaunch.includes(name)) {
      out.push(`spec.volumeConfigurations[${String(i)}].name ${name} is not a volume with configuredAtLaunch: true in the task definition (${atLaunch.length > 0 ? `it has ${atLaunch.join(", ")}` : "it has none"})`);
    }
  }
  if (spec.volumeConfigurations !== undefined) {
    for (const name of atLaunch) if (!configured.includes(name)) out.push(`the task definition's volume ${name} is configured at launch but spec.volumeConfigurations does not configure it`);
  }
  return out;
}

export function createServiceInput(obj: EcsService, deps: ServiceDeps): CreateServiceCommandInput {
  const s = obj.spec;
  const daemon = s.schedulingStrategy === "DAEMON";
  return {
    cluster: deps.cluster,
    serviceName: serviceName(obj),
    clientToken: clientToken(obj),
    tags: toLowerTagList(serviceTags(obj)),
    ...mutableFields(obj, deps),
    // Without a count the service starts with one task (with autoScaling: minCapacity) and is then left to autoscaling.
    ...(daemon ? {} : { desiredCount: initialDesiredCount(s) }),
    ...(s.launchType ? { launchType: s.launchType } : {}),
    ...(s.schedulingStrategy ? { schedulingStrategy: s.schedulingStrategy } : {}),
    ...(s.deploymentController ? { deploymentController: s.deploymentController } : {}),
    ...(s.role !== undefined ? { role: s.role } : {}),
  };
}

/** The same value with every object's keys in order, so that JSON compares content alone. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, sortedKeys(v)]));
}

/** A volume configuration by its name, a VPC Lattice configuration by its target group and port. */
function entryKey(entry: unknown): string {
  const e = entry as { name?: string; targetGroupArn?: string; portName?: string };
  return e.name ?? `${e.targetGroupArn ?? ""} ${e.portName ?? ""}`;
}

/** AWS fills these when a request leaves them out; compare with the defaults filled the same way. */
function normalised(field: string, value: unknown): unknown {
  switch (field) {
    case "capacityProviderStrategy":
      return ((value ?? []) as { capacityProvider?: string; weight?: number; base?: number }[])
        .map((p) => ({ capacityProvider: p.capacityProvider, weight: p.weight ?? 0, base: p.base ?? 0 }))
        .sort((a, b) => String(a.capacityProvider).localeCompare(String(b.capacityProvider)));
    case "networkConfiguration": {
      const vpc = (value as { awsvpcConfiguration?: { subnets?: string[]; securityGroups?: string[]; assignPublicIp?: string } } | undefined)?.awsvpcConfiguration;
      return { subnets: [...(vpc?.subnets ?? [])].sort(), securityGroups: [...(vpc?.securityGroups ?? [])].sort(), assignPublicIp: vpc?.assignPublicIp ?? "DISABLED" };
    }
    case "loadBalancers":
      // The primary and alternate target groups are a pair whose roles ECS swaps after each release.
      return ((value ?? []) as LoadBalancer[])
        .map(({ targetGroupArn, advancedConfiguration, ...rest }) => {
          const { alternateTargetGroupArn, ...advanced } = advancedConfiguration ?? {};
          const pair = [targetGroupArn, alternateTargetGroupArn].filter((x) => x !== undefined).sort();
          const defined = (o: Record<string, unknown>) => Object.entries(o).filter(([, x]) => x !== undefined).sort();
          return JSON.stringify([pair, defined(rest), defined(advanced)]);
        })
        .sort();
    case "serviceConnectConfiguration": {
      // Off is off, whether ECS reports enabled: false or nothing; the ports are a set by portName,
      // and a port's discoveryName is its portName unless given.
      const c = (value ?? { enabled: false }) as ServiceConnectConfiguration;
      if (!c.enabled) return { enabled: false };
      return sortedKeys({
        ...c,
        ...(c.services
          ? { services: [...c.services].map((svc) => ({ ...svc, discoveryName: svc.discoveryName ?? svc.portName })).sort((a, b) => String(a.portName).localeCompare(String(b.portName))) }
          : {}),
      });
    }
    case "volumeConfigurations":
    case "vpcLatticeConfigurations":
      // Lists whose entries have a name; the EBS tags are a set.
      return sortedKeys(
        ((value ?? []) as Record<string, unknown>[])
          .map((v) => JSON.parse(JSON.stringify(v, (k, x: unknown) => (k === "tags" && Array.isArray(x) ? [...(x as { key?: string }[])].sort((a, b) => String(a.key).localeCompare(String(b.key))) : x))) as unknown)
          .sort((a, b) => entryKey(a).localeCompare(entryKey(b))),
      );
    case "serviceRegistries":
      return ((value ?? []) as Record<string, unknown>[]).map((v) => JSON.stringify(Object.entries(v).filter(([, x]) => x !== undefined).sort())).sort();
    case "deploymentConfiguration": {
      // ECS fills a hook's targetType and timeout; the stages of a hook are a set; key order
      // inside the hooks (a list, compared whole) is the sender's, so it is made one.
      const c = (value ?? {}) as DeploymentConfiguration;
      if (!c.lifecycleHooks) return c;
      return {
        ...c,
        lifecycleHooks: c.lifecycleHooks.map((h) =>
          sortedKeys({
            ...h,
            targetType: h.targetType ?? "AWS_LAMBDA",
            lifecycleStages: [...(h.lifecycleStages ?? [])].sort(),
            timeoutConfiguration: { timeoutInMinutes: h.timeoutConfiguration?.timeoutInMinutes ?? 1440, action: h.timeoutConfiguration?.action ?? "ROLLBACK" },
          }),
        ),
      };
    }
    default:
      return value;
  }
}

/** Only the parts of an object the spec sets: AWS reports its defaults for the rest. */
function setFieldsOnly(want: unknown, have: unknown): unknown {
  if (want === null || typeof want !== "object" || Array.isArray(want) || have === null || typeof have !== "object" || Array.isArray(have)) return have;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(want)) out[key] = setFieldsOnly((want as Record<string, unknown>)[key], (have as Record<string, unknown>)[key]);
  return out;
}

/**
 * As setFieldsOnly, into lists too (entry by entry, both in normalised order): for the fields
 * DescribeServices reports per deployment, whose entries ECS fills with defaults (a client
 * alias's dnsName, a timeout) that the spec may leave out. A list of another length stays whole.
 */
function setFieldsOnlyDeep(want: unknown, have: unknown): unknown {
  if (Array.isArray(want) && Array.isArray(have)) return want.length === have.length ? have.map((h, i) => setFieldsOnlyDeep(want[i], h)) : have;
  if (want === null || typeof want !== "object" || Array.isArray(want) || have === null || typeof have !== "object" || Array.isArray(have)) return have;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(want)) out[key] = setFieldsOnlyDeep((want as Record<string, unknown>)[key], (have as Record<string, unknown>)[key]);
  return out;
}

/** The deployment whose configuration the service has now (DescribeServices marks it PRIMARY). */
export function primaryDeployment(service: Service): Deployment | undefined {
  return service.deployments?.find((d) => d.status === "PRIMARY");
}

export interface ServiceDiff {
  /** UpdateService fields that differ; empty when nothing does. */
  update: Omit<UpdateServiceCommandInput, "cluster" | "service">;
  /** Fields that differ but that UpdateService cannot change. */
  immutable: string[];
  tags: { set: Record<string, string>; remove: string[] };
  forceNewDeployment: boolean;
  /** The revision the service runs now, when the update rolls it to another. */
  rollingFrom?: string;
  /** A manual step of the release under way that an annotation asks for and ECS has not taken yet. */
  manual?: ManualStep;
}

export function diffService(obj: EcsService, deps: ServiceDeps, observed: ObservedService): ServiceDiff {
  const { service } = observed;
  const want = mutableFields(obj, deps);
  const update: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(want)) {
    if (field === "taskDefinition") {
      // A revision whose rollout failed is not pushed again: that would loop on the breaker.
      if (!sameRevision(deps.taskDefinition, service.taskDefinition) && !sameRevision(observed.failedTaskDefinition, deps.taskDefinition)) update[field] = value;
      continue;
    }
    if (isPerDeployment(field)) {
      // Reported on the deployments only, never at the top level (absent there is no drift). A
      // revision whose rollout failed was rolled back with its configuration: not pushed again.
      const primary = primaryDeployment(service);
      if (!primary || sameRevision(observed.failedTaskDefinition, deps.taskDefinition)) continue;
      const want = normalised(field, value);
      const have = setFieldsOnlyDeep(want, normalised(field, primary[field]));
      if (JSON.stringify(want) !== JSON.stringify(have)) update[field] = value;
      continue;
    }
    const reported = (service as Record<string, unknown>)[field];
    // A field missing from the answer (not empty: missing) cannot be compared: AWS reports every
    // field it keeps, and an emulator that drops one (moto: placement) must not cause an
    // UpdateService on every re-check.
    if (reported === undefined && field !== "desiredCount") continue;
    const have = setFieldsOnly(value, reported);
    if (JSON.stringify(normalised(field, value)) !== JSON.stringify(normalised(field, have))) {
      update[field] = field === "loadBalancers" ? orientedLoadBalancers(value as LoadBalancer[], service.loadBalancers) : value;
    }
  }
  const immutable: string[] = [];
  if (obj.spec.launchType && service.launchType && obj.spec.launchType !== service.launchType) immutable.push(`launchType (${service.launchType} in AWS)`);
  if (obj.spec.schedulingStrategy && service.schedulingStrategy && obj.spec.schedulingStrategy !== service.schedulingStrategy) immutable.push(`schedulingStrategy (${service.schedulingStrategy} in AWS)`);
  const controller = obj.spec.deploymentController?.type;
  if (controller && service.deploymentController?.type && controller !== service.deploymentController.type) immutable.push(`deploymentController (${service.deploymentController.type} in AWS)`);
  // ECS reports the role as an ARN; the spec may name it (then ECS resolves it): compare ARNs only.
  const role = obj.spec.role;
  if (role?.startsWith("arn:") && service.roleArn?.startsWith("arn:") && role !== service.roleArn) immutable.push(`role (${service.roleArn} in AWS)`);
  const wantForce = obj.spec.forceNewDeployment;
  const manual = manualStep(obj, observed.release);
  return {
    update,
    ...(update.taskDefinition !== undefined && service.taskDefinition ? { rollingFrom: service.taskDefinition } : {}),
    immutable,
    tags: tagDiff(fromLowerTagList(service.tags), serviceTags(obj)),
    // ECS changes the strategy without moving a task unless the update also forces a deployment.
    forceNewDeployment: (wantForce !== undefined && wantForce !== observed.forceNewDeployment) || update.capacityProviderStrategy !== undefined,
    ...(manual ? { manual } : {}),
  };
}

/** What differs, for Events; a revision as people say it ("taskDefinition from web:3 to web:4"), not as an ARN. */
export function describeDiff(diff: ServiceDiff): string[] {
  const out = Object.keys(diff.update).map((field) => {
    if (field === "taskDefinition" && diff.update.taskDefinition) return `taskDefinition ${diff.rollingFrom ? `from ${revisionName(diff.rollingFrom)} ` : ""}to ${revisionName(diff.update.taskDefinition)}`;
    if (field === "capacityProviderStrategy") return "capacityProviderStrategy (with a new deployment, which ECS needs to move the tasks)";
    return field;
  });
  if (diff.forceNewDeployment && diff.update.capacityProviderStrategy === undefined) out.push("forceNewDeployment");
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  if (diff.manual) out.push(`release: ${diff.manual.action === "CONTINUE" ? `continue (${CONTINUE_ANNOTATION})` : `roll back (${ROLLBACK_ANNOTATION})`}`);
  return [...out, ...diff.immutable];
}

const EVENTS_KEPT = 5;

export function revisionOf(taskDefinitionArn: string | undefined): number | undefined {
  const match = /:(\d+)$/.exec(taskDefinitionArn ?? "");
  return match?.[1] ? Number(match[1]) : undefined;
}

export function serviceStatus(observed: ObservedService | undefined): EcsServiceStatus {
  if (!observed) return {};
  const { service } = observed;
  const primary = primaryDeployment(service);
  const revision = revisionOf(service.taskDefinition);
  const connect = primary?.serviceConnectConfiguration;
  return {
    ...(service.serviceArn ? { arn: service.serviceArn } : {}),
    ...(service.serviceName ? { serviceName: service.serviceName } : {}),
    ...(service.clusterArn ? { clusterArn: service.clusterArn } : {}),
    ...(service.taskDefinition ? { taskDefinitionArn: service.taskDefinition } : {}),
    ...(revision !== undefined ? { taskDefinitionRevision: revision } : {}),
    desiredCount: service.desiredCount ?? 0,
    runningCount: service.runningCount ?? 0,
    pendingCount: service.pendingCount ?? 0,
    ...(primary?.rolloutState ? { rolloutState: primary.rolloutState } : {}),
    deployments: (service.deployments ?? []).map((d) => ({
      id: d.id ?? "",
      status: d.status ?? "",
      taskDefinition: d.taskDefinition ?? "",
      ...(d.rolloutState ? { rolloutState: d.rolloutState } : {}),
      ...(d.rolloutStateReason ? { rolloutStateReason: d.rolloutStateReason } : {}),
      runningCount: d.runningCount ?? 0,
      desiredCount: d.desiredCount ?? 0,
      pendingCount: d.pendingCount ?? 0,
      failedTasks: d.failedTasks ?? 0,
      ...(d.updatedAt ? { updatedAt: new Date(d.updatedAt).toISOString() } : {}),
    })),
    serviceEvents: (service.events ?? []).slice(0, EVENTS_KEPT).map((e) => ({ createdAt: e.createdAt ? new Date(e.createdAt).toISOString() : "", message: e.message ?? "" })),
    ...(observed.failedTaskDefinition ? { failedTaskDefinitionArn: observed.failedTaskDefinition } : {}),
    ...(observed.rolloutDeployment ? { rolloutDeployment: observed.rolloutDeployment } : {}),
    ...(observed.forceNewDeployment !== undefined ? { forceNewDeployment: observed.forceNewDeployment } : {}),
    ...(scalingStatus(observed.scaling) ? { autoScaling: scalingStatus(observed.scaling) } : {}),
    ...(observed.release ? { release: observed.release } : {}),
    ...(connect?.enabled
      ? {
          serviceConnect: {
            ...(connect.namespace ? { namespace: connect.namespace } : {}),
            services: (primary?.serviceConnectResources ?? []).map((r) => ({ discoveryName: r.discoveryName ?? "", ...(r.discoveryArn ? { discoveryArn: r.discoveryArn } : {}) })),
          },
        }
      : {}),
  };
}
