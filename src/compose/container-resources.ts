import { problemAt, type FieldPath } from "./diagnostics.js";
import { servicePath, type MappingContext, type TaskScope } from "./context.js";
import type { EcsServiceParams } from "./ecs-params.js";
import type { ComposeService } from "./schema.js";
import { cpusToUnits, parseBytes, toMiB } from "./units.js";

export interface ContainerResources {
  /** CPU units reserved (ECS's container cpu, Docker's cpu shares on EC2). */
  cpu?: number;
  /** Hard memory limit in MiB. */
  memory?: number;
  /** Soft memory limit (reservation) in MiB. */
  memoryReservation?: number;
  /** The CPU units the container may use at most (limits.cpus), for sizing a Fargate task. */
  cpuLimit?: number;
  gpus?: number;
}

/** ECS's smallest container memory. */
const MIN_MEMORY_MIB = 6;

/**
 * CPU and memory of one container. ecs-params.yml's cpu_shares, mem_limit and mem_reservation
 * win over Compose's, as in ecs-cli; in Compose, `deploy.resources` reservations and limits and
 * the older service-level `cpu_shares`, `cpus`, `mem_limit`, `mem_reservation` are all read.
 */
export function containerResources(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope, params: EcsServiceParams | undefined): ContainerResources {
  const limits = svc.deploy?.resources?.limits;
  const reservations = svc.deploy?.resources?.reservations;
  const out: ContainerResources = {};
  const paramsPath = (field: string): FieldPath => ["task_definition", "services", name, field];

  const limitCpus = limits?.cpus ?? svc.cpus;
  if (limitCpus !== undefined) out.cpuLimit = cpusToUnits(limitCpus);
  const shares = params?.cpu_shares ?? svc.cpu_shares;
  const cpu = shares !== undefined ? Number(shares) : reservations?.cpus !== undefined ? cpusToUnits(reservations.cpus) : out.cpuLimit;
  if (cpu !== undefined) out.cpu = cpu;

  const memory = (fromParams: string | number | undefined, fromCompose: string | number | undefined, paramsField: string, composePath: FieldPath): number | undefined => {
    const value = fromParams ?? fromCompose;
    if (value === undefined) return undefined;
    const bytes = parseBytes(value);
    if (bytes === undefined) {
      // Compose sizes passed the schema's pattern, so only ecs-params.yml can get here.
      ctx.problems.push(problemAt(ctx.project.params ?? ctx.project.compose, paramsPath(paramsField), `invalid size "${String(value)}": expected e.g. 512m or 0.5GB`));
      return undefined;
    }
    const mib = toMiB(bytes);
    if (mib >= MIN_MEMORY_MIB) return mib;
    const message = `${String(value)} is ${String(bytes)} bytes, below ECS's minimum of ${String(MIN_MEMORY_MIB)} MiB (a bare number is bytes, as in Docker: did you mean ${String(value)}m?); using ${String(MIN_MEMORY_MIB)} MiB`;
    if (fromParams !== undefined) ctx.warnings.param(paramsPath(paramsField), message);
    else ctx.warnings.field(composePath, message);
    return MIN_MEMORY_MIB;
  };
  const hard = memory(params?.mem_limit, svc.mem_limit ?? limits?.memory, "mem_limit", servicePath(name, ...(svc.mem_limit !== undefined ? ["mem_limit"] : ["deploy", "resources", "limits", "memory"])));
  let soft = memory(
    params?.mem_reservation,
    svc.mem_reservation ?? reservations?.memory,
    "mem_reservation",
    servicePath(name, ...(svc.mem_reservation !== undefined ? ["mem_reservation"] : ["deploy", "resources", "reservations", "memory"])),
  );
  if (hard !== undefined && soft !== undefined && soft > hard) {
    ctx.warnings.field(servicePath(name), `the memory reservation (${String(soft)} MiB) exceeds the limit (${String(hard)} MiB), which ECS refuses; reserving ${String(hard)} MiB`);
    soft = hard;
  }
  if (hard !== undefined) out.memory = hard;
  if (soft !== undefined) out.memoryReservation = soft;

  const gpus = gpuCount(ctx, name, svc, params);
  if (gpus !== undefined) {
    if (task.fargate) ctx.warnings.field(servicePath(name, "deploy", "resources"), "Fargate has no GPUs; GPU request dropped");
    else out.gpus = gpus;
  }
  for (const [kind, r] of [["limits", limits] as const, ["reservations", reservations] as const]) {
    if (r?.pids !== undefined) ctx.warnings.field(servicePath(name, "deploy", "resources", kind, "pids"), "ECS has no process limit; ignored");
    if (r?.generic_resources !== undefined) ctx.warnings.field(servicePath(name, "deploy", "resources", kind, "generic_resources"), "not supported by ECS; ignored");
  }
  return out;
}

function gpuCount(ctx: MappingContext, name: string, svc: ComposeService, params: EcsServiceParams | undefined): number | undefined {
  if (params?.gpu !== undefined) return Number(params.gpu);
  let count: number | undefined;
  for (const [i, device] of (svc.deploy?.resources?.reservations?.devices ?? []).entries()) {
    const path = servicePath(name, "deploy", "resources", "reservations", "devices", i);
    if (!(device.capabilities ?? []).includes("gpu")) {
      ctx.warnings.field(path, "only GPU devices have an ECS counterpart; ignored");
    } else if (device.count === "all" || (device.count === undefined && device.device_ids === undefined)) {
      ctx.warnings.field(path, "ECS needs a number of GPUs; requesting 1 (set count)");
      count = (count ?? 0) + 1;
    } else {
      count = (count ?? 0) + (typeof device.count === "number" ? device.count : (device.device_ids ?? []).length);
    }
  }
  return count;
}
