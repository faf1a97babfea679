import type { EcsServiceSpec } from "../api/ecsservice.js";
import { servicePath, type MappingContext } from "./context.js";
import type { AutoscalingExtension } from "./extensions.js";
import type { ComposeService } from "./schema.js";
import { PLACEHOLDER } from "./settings.js";
import { parseDuration } from "./units.js";

export interface ServiceLinks {
  /** The name of the EcsService object, which is also its TaskDefinition's. */
  objectName: string;
  loadBalancers: NonNullable<EcsServiceSpec["loadBalancers"]>;
  serviceRegistries: NonNullable<EcsServiceSpec["serviceRegistries"]>;
  awsvpc: boolean;
}

/** ECS takes at most this many target groups per service. */
const MAX_LOAD_BALANCERS = 5;

/**
 * Docker's ECS integration's x-aws-autoscaling as spec.autoScaling: min and max are the scalable
 * target's limits (min defaults to 0, as there); cpu and memory are target tracking policies on the
 * service's average utilisation, in percent. Undefined without max, which Docker refuses.
 */
export function autoScalingOf(x: AutoscalingExtension, warn: (message: string) => void): NonNullable<EcsServiceSpec["autoScaling"]> | undefined {
  if (x.max === undefined) {
    warn("Docker's ECS integration refuses x-aws-autoscaling without max; converted without autoScaling");
    return undefined;
  }
  const minCapacity = Math.min(x.min ?? 0, x.max);
  if ((x.min ?? 0) > x.max) warn(`min (${String(x.min ?? 0)}) is above max (${String(x.max)}); minCapacity is ${String(x.max)}`);
  const targetTracking: NonNullable<NonNullable<EcsServiceSpec["autoScaling"]>["targetTracking"]> = [];
  if (x.cpu !== undefined) targetTracking.push({ policyName: "cpu", targetValue: x.cpu, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" } });
  if (x.memory !== undefined) targetTracking.push({ policyName: "memory", targetValue: x.memory, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageMemoryUtilization" } });
  if (x.cpu !== undefined && x.memory !== undefined) {
    warn("Docker's ECS integration refuses both cpu and memory; converted to two target tracking policies (scale out when either is above its target, in only when both are below)");
  }
  return { minCapacity, maxCapacity: x.max, ...(targetTracking.length > 0 ? { targetTracking } : {}) };
}

/** The ECS service that keeps a Compose service's task running. */
export function ecsService(ctx: MappingContext, name: string, svc: ComposeService, sidecars: string[], links: ServiceLinks): EcsServiceSpec {
  const s = ctx.settings;
  const at = (...path: (string | number)[]) => servicePath(name, ...path);
  const fargate = s.launchType === "FARGATE";
  const spec: EcsServiceSpec = {
    ...("literal" in s.cluster ? { cluster: s.cluster.literal } : { clusterRef: { name: s.cluster.ref } }),
    taskDefinitionRef: { name: links.objectName },
    launchType: s.launchType,
  };

  const mode = svc.deploy?.mode;
  const global = mode === "global" || mode === "global-job";
  if (mode === "replicated-job" || mode === "global-job") ctx.warnings.field(at("deploy", "mode"), "an ECS service restarts tasks that finish; a job that runs to completion is an ECS RunTask, which these manifests do not describe. Converted as a service");
  const autoscaling = ctx.project.raw(name, "x-aws-autoscaling") as AutoscalingExtension | undefined;
  if (global && fargate) ctx.warnings.field(at("deploy", "mode"), "Fargate has no instances to run one task per instance on; converted as one replica");
  if (global && !fargate) {
    spec.schedulingStrategy = "DAEMON";
  } else {
    if (svc.scale !== undefined && svc.deploy?.replicas !== undefined && svc.scale !== svc.deploy.replicas) ctx.warnings.field(at("scale"), `scale and deploy.replicas differ; using deploy.replicas (${String(svc.deploy.replicas)})`);
    const replicas = svc.deploy?.replicas ?? svc.scale;
    const warnScaling = (message: string): void => {
      ctx.warnings.field(at("x-aws-autoscaling"), message);
    };
    const scaling = autoscaling !== undefined ? autoScalingOf(autoscaling, warnScaling) : undefined;
    if (scaling === undefined) {
      spec.desiredCount = replicas ?? 1;
    } else {
      spec.autoScaling = scaling;
      // With autoScaling, desiredCount is only the count the service starts with, within min..max.
      if (replicas !== undefined && replicas >= scaling.minCapacity && replicas <= scaling.maxCapacity) spec.desiredCount = replicas;
      else if (replicas !== undefined) ctx.warnings.field(at(svc.deploy?.replicas !== undefined ? "deploy" : "scale"), `${String(replicas)} replicas is outside x-aws-autoscaling's ${String(scaling.minCapacity)}..${String(scaling.maxCapacity)}; the service starts with minCapacity tasks`);
    }
  }
  for (const sidecar of sidecars) {
    const sc = ctx.project.file.services[sidecar];
    if (sc?.deploy?.replicas !== undefined || sc?.scale !== undefined) ctx.warnings.field(servicePath(sidecar, sc.deploy?.replicas !== undefined ? "deploy" : "scale"), `a sidecar runs once in every task of ${name}; its own replica count is ignored`);
  }

  if (links.awsvpc) {
    const vpc = ctx.project.ecsParams.run_params?.network_configuration?.awsvpc_configuration;
    if (vpc) {
      spec.networkConfiguration = {
        awsvpcConfiguration: {
          subnets: vpc.subnets,
          ...(vpc.security_groups !== undefined ? { securityGroups: vpc.security_groups } : {}),
          ...(vpc.assign_public_ip !== undefined ? { assignPublicIp: vpc.assign_public_ip } : {}),
        },
      };
    } else {
      spec.networkConfiguration = { awsvpcConfiguration: { subnets: [PLACEHOLDER.subnet] } };
      ctx.warnings.output(`EcsService ${links.objectName}: spec.networkConfiguration.awsvpcConfiguration.subnets`, `awsvpc tasks need subnets; placeholder ${PLACEHOLDER.subnet} (set run_params.network_configuration.awsvpc_configuration in ecs-params.yml)`);
    }
  }

  if (links.loadBalancers.length > MAX_LOAD_BALANCERS) {
    ctx.warnings.field(at("ports"), `ECS attaches at most ${String(MAX_LOAD_BALANCERS)} target groups to a service; the ports after the fifth published one get target groups but no traffic from this service`);
  }
  const loadBalancers = links.loadBalancers.slice(0, MAX_LOAD_BALANCERS);
  if (loadBalancers.length > 0) spec.loadBalancers = loadBalancers;
  if (links.serviceRegistries.length > 0) spec.serviceRegistries = links.serviceRegistries;

  const deployment = deploymentConfiguration(ctx, name, svc, spec.desiredCount);
  if (deployment) spec.deploymentConfiguration = deployment;

  const ext = ctx.project.serviceExtension(name);
  if (ext.health_check_grace_period !== undefined) {
    if (loadBalancers.length === 0) ctx.warnings.field(at("x-ecs", "health_check_grace_period"), "applies only to a service behind a load balancer; ignored");
    else spec.healthCheckGracePeriodSeconds = Math.ceil(parseDuration(ext.health_check_grace_period) ?? 0);
  }
  if (ext.enable_execute_command !== undefined) spec.enableExecuteCommand = ext.enable_execute_command;

  const placement = ctx.project.ecsParams.run_params?.task_placement;
  if (placement !== undefined && fargate && ctx.once("run-placement-fargate")) ctx.warnings.param(["run_params", "task_placement"], "task placement applies to EC2 only; ignored on Fargate");
  else if (placement !== undefined && !fargate) {
    if (placement.strategy !== undefined && placement.strategy.length > 0) spec.placementStrategy = placement.strategy.map((p) => ({ type: p.type, ...(p.field !== undefined ? { field: p.field } : {}) }));
    if (placement.constraints !== undefined && placement.constraints.length > 0) spec.placementConstraints = placement.constraints.map((p) => ({ type: p.type, ...(p.expression !== undefined ? { expression: p.expression } : {}) }));
  }
  for (const key of ["labels", "endpoint_mode", "placement", "rollback_config"] as const) {
    if (svc.deploy?.[key] !== undefined) ctx.warnings.field(at("deploy", key), key === "placement" ? "Swarm placement has no ECS counterpart; use run_params.task_placement in ecs-params.yml. Ignored" : "a Swarm setting with no ECS counterpart; ignored");
  }
  return spec;
}

/**
 * Rolling update limits: Docker's ECS integration's x-aws-min_percent / x-aws-max_percent, or
 * Compose's update_config. Swarm replaces `parallelism` tasks at a time (0: all at once), stopping
 * the old ones first (order stop-first, the default) or starting the new ones first (start-first);
 * ECS paces a rollout by the share of desiredCount that must stay healthy (minimumHealthyPercent,
 * rounded up to tasks) and that may run at once (maximumPercent, rounded down). So stop-first with
 * parallelism N of R replicas keeps R - N healthy: minimumHealthyPercent floor(100 (R - N) / R),
 * maximumPercent 100; start-first runs R + N: minimumHealthyPercent 100, maximumPercent
 * ceil(100 (R + N) / R), at most 200 (ECS's default ceiling). failure_action rollback is ECS's
 * circuit breaker with rollback.
 */
function deploymentConfiguration(ctx: MappingContext, name: string, svc: ComposeService, replicas: number | undefined): EcsServiceSpec["deploymentConfiguration"] {
  const at = (...path: (string | number)[]) => servicePath(name, ...path);
  const update = svc.deploy?.update_config;
  const config: NonNullable<EcsServiceSpec["deploymentConfiguration"]> = {};
  const order = update?.order ?? (update?.parallelism !== undefined ? "stop-first" : undefined);
  // Of R replicas, how many Swarm replaces at once; undefined when unknown (no replica count).
  const step = update?.parallelism === undefined ? undefined : replicas === undefined || replicas === 0 ? undefined : update.parallelism === 0 ? replicas : Math.min(update.parallelism, replicas);
  if (update?.parallelism !== undefined && step === undefined) {
    ctx.warnings.field(at("deploy", "update_config", "parallelism"), "the service has no replica count to take a share of (autoscaled, global or 0 replicas); ECS's defaults (100 %/200 %) apply");
  }
  if (order === "stop-first") Object.assign(config, { minimumHealthyPercent: step !== undefined && replicas ? Math.floor((100 * (replicas - step)) / replicas) : 0, maximumPercent: 100 });
  if (order === "start-first") Object.assign(config, { minimumHealthyPercent: 100, maximumPercent: step !== undefined && replicas ? Math.min(200, Math.ceil((100 * (replicas + step)) / replicas)) : 200 });
  const min = ctx.project.raw(name, "x-aws-min_percent") as number | undefined;
  const max = ctx.project.raw(name, "x-aws-max_percent") as number | undefined;
  if (min !== undefined) config.minimumHealthyPercent = min;
  if (max !== undefined) config.maximumPercent = max;
  if (config.minimumHealthyPercent !== undefined && config.maximumPercent !== undefined && config.maximumPercent <= config.minimumHealthyPercent) {
    ctx.warnings.field(at(max !== undefined ? "x-aws-max_percent" : "deploy"), `ECS needs maximumPercent above minimumHealthyPercent; using ${String(config.minimumHealthyPercent + 100)}`);
    config.maximumPercent = config.minimumHealthyPercent + 100;
  }
  if (update?.failure_action === "rollback") config.deploymentCircuitBreaker = { enable: true, rollback: true };
  else if (update?.failure_action === "pause") ctx.warnings.field(at("deploy", "update_config", "failure_action"), "ECS cannot pause a failing rollout; use rollback (the circuit breaker) or continue. Ignored");
  for (const key of ["delay", "monitor", "max_failure_ratio"] as const) {
    if (update?.[key] !== undefined) ctx.warnings.field(at("deploy", "update_config", key), "ECS paces rollouts by minimumHealthyPercent and maximumPercent; ignored");
  }
  return Object.keys(config).length > 0 ? config : undefined;
}
