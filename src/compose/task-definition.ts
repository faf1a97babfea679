import type { TaskDefinitionSpec } from "../api/taskdefinition.js";
import { problemAt } from "./diagnostics.js";
import { containerDefinition, type ContainerResult } from "./container.js";
import type { PublishedPort } from "./container-ports.js";
import { servicePath, type MappingContext, type TaskScope } from "./context.js";
import { fargateSizeFor, isFargateSize, LARGEST_FARGATE_SIZE, type TaskSize } from "./fargate.js";
import type { NetworkMode } from "./settings.js";
import { parseBytes, toMiB } from "./units.js";

export interface TaskResult {
  scope: TaskScope;
  spec: TaskDefinitionSpec;
  containers: ContainerResult[];
  published: PublishedPort[];
  otherTaskDependencies: string[];
}

/** ecs-cli's memory for a container that names none, on EC2 where ECS needs one. */
const EC2_DEFAULT_MEMORY_MIB = 512;

const SERVICE_NETWORK_MODES: readonly NetworkMode[] = ["host", "bridge", "none"];

/** The task of `members[0]`, with its sidecars: one TaskDefinition. */
export function taskDefinition(ctx: MappingContext, members: string[], objectName: string, taskCount: number): TaskResult {
  const main = members[0] ?? "";
  const fargate = ctx.settings.launchType === "FARGATE";
  const scope: TaskScope = { service: main, members, networkMode: taskNetworkMode(ctx, members, fargate), fargate, volumes: new Map() };
  const containers = members.map((m) => {
    const svc = ctx.project.file.services[m];
    if (svc === undefined) throw new Error(`no service ${m}`);
    return containerDefinition(ctx, m, svc, scope);
  });
  const taskParams = ctx.project.ecsParams.task_definition;
  const spec: TaskDefinitionSpec = {
    containerDefinitions: containers.map((c) => c.definition),
    networkMode: scope.networkMode,
    requiresCompatibilities: [ctx.settings.launchType],
  };

  const declared = declaredTaskSize(ctx, taskCount);
  if (fargate) {
    const size = fargateTaskSize(ctx, objectName, containers, declared);
    spec.cpu = String(size.cpu);
    spec.memory = String(size.memory);
  } else {
    if (declared?.cpu !== undefined) spec.cpu = String(declared.cpu);
    if (declared?.memory !== undefined) spec.memory = String(declared.memory);
    if (declared?.memory === undefined) {
      for (const [i, c] of containers.entries()) {
        if (c.definition.memory !== undefined || c.definition.memoryReservation !== undefined) continue;
        c.definition.memory = EC2_DEFAULT_MEMORY_MIB;
        ctx.warnings.field(servicePath(members[i] ?? main), `no memory limit or reservation, which ECS on EC2 needs; using ${String(EC2_DEFAULT_MEMORY_MIB)} MiB as ecs-cli did (set deploy.resources.limits.memory)`);
      }
    }
  }

  const executionRole = taskParams?.task_execution_role;
  if (executionRole !== undefined) {
    if (executionRole.startsWith("arn:")) spec.executionRoleArn = executionRole;
    else if (ctx.once("execution-role-name")) ctx.warnings.param(["task_definition", "task_execution_role"], `ECS needs the role's ARN (arn:aws:iam::<account>:role/${executionRole}); dropped`);
  }
  const reasons = [...new Set(containers.flatMap((c) => c.executionRoleReasons))];
  if (reasons.length > 0 && spec.executionRoleArn === undefined) {
    ctx.warnings.output(`TaskDefinition ${objectName}: spec.executionRoleArn`, `an execution role is needed for ${reasons.join(", ")}; set task_execution_role in ecs-params.yml`);
  }
  if (taskParams?.task_role_arn !== undefined) spec.taskRoleArn = taskParams.task_role_arn;

  const pidMode = taskParams?.pid_mode ?? containers.find((c) => c.pidMode)?.pidMode;
  if (pidMode === "host" && fargate) ctx.warnings.param(["task_definition", "pid_mode"], "Fargate supports only pid_mode: task; ignored");
  else if (pidMode !== undefined) spec.pidMode = pidMode;
  const ipcMode = taskParams?.ipc_mode ?? containers.find((c) => c.ipcMode)?.ipcMode;
  if (ipcMode !== undefined && fargate) ctx.warnings.param(["task_definition", "ipc_mode"], "Fargate does not support ipc modes; ignored");
  else if (ipcMode !== undefined) spec.ipcMode = ipcMode;

  const platforms = containers.flatMap((c) => (c.runtimePlatform ? [c.runtimePlatform] : []));
  const [platform] = platforms;
  if (platform) {
    spec.runtimePlatform = platform;
    if (platforms.some((p) => p.cpuArchitecture !== platform.cpuArchitecture)) ctx.warnings.field(servicePath(main, "platform"), `the containers of one task share its CPU architecture; using ${platform.cpuArchitecture ?? ""}`);
  }

  const constraints = taskParams?.placement_constraints ?? [];
  if (constraints.length > 0 && fargate && ctx.once("task-placement-fargate")) ctx.warnings.param(["task_definition", "placement_constraints"], "placement constraints apply to EC2 only; ignored on Fargate");
  else if (constraints.length > 0) {
    spec.placementConstraints = constraints.flatMap((p) => (p.type === "memberOf" && p.expression !== undefined ? [{ type: p.type, expression: p.expression }] : []));
    if (spec.placementConstraints.length < constraints.length && ctx.once("task-placement-distinct")) {
      ctx.warnings.param(["task_definition", "placement_constraints"], "a task definition takes only memberOf constraints with an expression; put distinctInstance in run_params.task_placement. Others dropped");
    }
    if (spec.placementConstraints.length === 0) delete spec.placementConstraints;
  }

  if (scope.volumes.size > 0) spec.volumes = [...scope.volumes.values()];
  return {
    scope,
    spec,
    containers,
    published: containers.flatMap((c) => c.published),
    otherTaskDependencies: [...new Set(containers.flatMap((c) => c.otherTaskDependencies))].filter((d) => !members.includes(d)),
  };
}

function taskNetworkMode(ctx: MappingContext, members: string[], fargate: boolean): NetworkMode {
  const [service = "", ...sidecars] = members;
  for (const sidecar of sidecars) {
    const own = ctx.project.file.services[sidecar]?.network_mode;
    if (own !== undefined && own !== `service:${service}`) ctx.warnings.field(servicePath(sidecar, "network_mode"), `a sidecar shares the network of ${service}'s task; ignored`);
  }
  const wanted = ctx.project.file.services[service]?.network_mode;
  const mode = SERVICE_NETWORK_MODES.find((m) => m === wanted);
  if (wanted !== undefined && mode === undefined && !/^(service|container):/.test(wanted)) {
    ctx.warnings.field(servicePath(service, "network_mode"), `ECS knows the network modes ${SERVICE_NETWORK_MODES.join(", ")} (and awsvpc); ${wanted} ignored`);
  }
  if (mode === undefined) return ctx.settings.networkMode;
  if (fargate) {
    ctx.warnings.field(servicePath(service, "network_mode"), `Fargate supports only the awsvpc network mode; ${mode} ignored`);
    return "awsvpc";
  }
  return mode;
}

/** ecs-params.yml's task_size: CPU as units or "0.25 vCPU", memory as MiB or with a unit ("0.5GB"). */
function declaredTaskSize(ctx: MappingContext, taskCount: number): Partial<TaskSize> | undefined {
  const size = ctx.project.ecsParams.task_definition?.task_size;
  if (size === undefined) return undefined;
  const params = ctx.project.params ?? ctx.project.compose;
  const out: Partial<TaskSize> = {};
  if (size.cpu_limit !== undefined) {
    const text = String(size.cpu_limit).trim();
    const vcpu = /^(\d+(?:\.\d+)?)\s*vcpu$/i.exec(text);
    const cpu = vcpu ? Math.round(Number(vcpu[1]) * 1024) : /^\d+$/.test(text) ? Number(text) : undefined;
    if (cpu === undefined) ctx.problems.push(problemAt(params, ["task_definition", "task_size", "cpu_limit"], `invalid CPU "${text}": expected CPU units (256) or vCPUs ("0.25 vCPU")`));
    else out.cpu = cpu;
  }
  if (size.mem_limit !== undefined) {
    const bytes = parseBytes(size.mem_limit, 1024 ** 2);
    if (bytes === undefined) ctx.problems.push(problemAt(params, ["task_definition", "task_size", "mem_limit"], `invalid memory "${String(size.mem_limit)}": expected MiB (512) or a size ("0.5GB")`));
    else out.memory = toMiB(bytes);
  }
  if (taskCount > 1 && ctx.once("task-size-shared")) {
    ctx.warnings.param(["task_definition", "task_size"], `ecs-cli ran every container in one task; here each of the ${String(taskCount)} services has its own task, and each gets this size`);
  }
  return out;
}

/**
 * A Fargate task's size: ecs-params.yml's task_size, or the sum of its containers' limits (or
 * reservations), rounded up to the nearest size Fargate offers, with a warning whenever the
 * rounding changes what was asked.
 */
function fargateTaskSize(ctx: MappingContext, objectName: string, containers: ContainerResult[], declared: Partial<TaskSize> | undefined): TaskSize {
  const field = `TaskDefinition ${objectName}: spec.cpu/spec.memory`;
  const want: TaskSize =
    declared?.cpu !== undefined || declared?.memory !== undefined
      ? { cpu: declared.cpu ?? 0, memory: declared.memory ?? 0 }
      : {
          cpu: containers.reduce((sum, c) => sum + Math.max(c.resources.cpuLimit ?? 0, c.resources.cpu ?? 0), 0),
          memory: containers.reduce((sum, c) => sum + Math.max(c.resources.memory ?? 0, c.resources.memoryReservation ?? 0), 0),
        };
  if (want.cpu === 0 && want.memory === 0) {
    const smallest = fargateSizeFor(want) ?? LARGEST_FARGATE_SIZE;
    ctx.warnings.output(field, `no CPU or memory given; using the smallest Fargate size, ${describe(smallest)} (set deploy.resources.limits)`);
    return smallest;
  }
  if (isFargateSize(want)) return want;
  const size = fargateSizeFor(want);
  if (size === undefined) {
    ctx.warnings.output(field, `${describe(want)} exceeds the largest Fargate size; using ${describe(LARGEST_FARGATE_SIZE)}`);
    return LARGEST_FARGATE_SIZE;
  }
  ctx.warnings.output(field, `${describe(want)} is not a Fargate size; rounded up to ${describe(size)}`);
  return size;
}

function describe(size: TaskSize): string {
  const parts = [size.cpu > 0 ? `cpu ${String(size.cpu)}` : "", size.memory > 0 ? `memory ${String(size.memory)} MiB` : ""];
  return parts.filter((p) => p !== "").join(" / ");
}
