import type { ContainerDefinitionSpec, TaskDefinitionSpec } from "../api/taskdefinition.js";
import type { FieldPath } from "./diagnostics.js";
import { containerEnvironment } from "./container-environment.js";
import { portMappings, type PublishedPort } from "./container-ports.js";
import { containerResources, type ContainerResources } from "./container-resources.js";
import { containerSecrets } from "./container-secrets.js";
import { serviceAwsExtensions } from "./extensions.js";
import { servicePath, type MappingContext, type TaskScope } from "./context.js";
import { healthCheck } from "./healthcheck.js";
import { logConfiguration } from "./logging.js";
import { ecsName } from "./names.js";
import { commandOf, dependenciesOf, keyValues, stringList } from "./read.js";
import type { ComposeService } from "./schema.js";
import { parseBytes, parseDuration, toMiB } from "./units.js";
import { containerMounts } from "./volumes.js";

type Container = ContainerDefinitionSpec;
type LinuxParameters = NonNullable<Container["linuxParameters"]>;
type Ulimit = NonNullable<Container["ulimits"]>[number];
type DependsOnCondition = NonNullable<Container["dependsOn"]>[number]["condition"];

export interface ContainerResult {
  definition: Container;
  resources: ContainerResources;
  published: PublishedPort[];
  /** Services this one depends on that run as other ECS services: ECS cannot order those. */
  otherTaskDependencies: string[];
  /** Why the task needs an execution role (secrets, private registries, logs on Fargate); empty when it does not. */
  executionRoleReasons: string[];
  runtimePlatform?: NonNullable<TaskDefinitionSpec["runtimePlatform"]>;
  pidMode?: "host" | "task";
  ipcMode?: "host" | "task" | "none";
}

/** Compose fields with no ECS counterpart: the converter names each one it meets in a warning. */
const UNSUPPORTED = [
  "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota", "cpu_rt_period",
  "cpu_rt_runtime", "cpuset", "credential_spec", "develop", "device_cgroup_rules", "dns_opt", "domainname", "external_links", "gpus", "group_add", "isolation",
  "label_file", "mac_address", "models", "oom_kill_disable", "oom_score_adj", "pids_limit", "post_start", "pre_stop", "provider", "runtime", "storage_opt",
  "use_api_socket", "userns_mode", "uts", "stop_signal", "pull_policy", "container_name",
] as const;

const UNSUPPORTED_REASON: Partial<Record<(typeof UNSUPPORTED)[number], string>> = {
  container_name: "ECS names the container after the service",
  pull_policy: "ECS pulls the image for every task (the agent's ECS_IMAGE_PULL_BEHAVIOR decides on EC2)",
  stop_signal: "ECS always stops a container with SIGTERM, then SIGKILL after stopTimeout",
  configs: "ECS has no configs; build the files into the image or read them from S3 or SSM",
  gpus: "request GPUs with deploy.resources.reservations.devices (capabilities: [gpu])",
};

/** The awsvpc-only restriction: a task has its own network interface, so Docker's per-container DNS and host settings do not apply. */
const NOT_IN_AWSVPC = "is not available in awsvpc network mode; dropped";

const DEPENDS_ON: Record<string, DependsOnCondition> = { service_started: "START", service_healthy: "HEALTHY", service_completed_successfully: "SUCCESS" };

const ULIMITS = ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"] as const;

const ARCHITECTURES: Record<string, "X86_64" | "ARM64"> = { amd64: "X86_64", x86_64: "X86_64", arm64: "ARM64", aarch64: "ARM64" };

/** Docker's device permission letters, as ECS names them. */
const DEVICE_PERMISSIONS: Record<string, "read" | "write" | "mknod"> = { r: "read", w: "write", m: "mknod" };

/** Docker's ipc modes that ECS has, per task: a shareable namespace is the task's. */
const IPC_MODES: Record<string, "host" | "task" | "none"> = { host: "host", shareable: "task", private: "none", none: "none" };

/** ECS's bounds on stopTimeout, in seconds. */
const STOP_TIMEOUT = [2, 120] as const;

export function containerDefinition(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope): ContainerResult {
  const at = (...path: (string | number)[]): FieldPath => servicePath(name, ...path);
  const warn = (path: FieldPath, message: string) => {
    ctx.warnings.field(path, message);
  };
  const params = ctx.project.ecsParams.task_definition?.services?.[name];
  const awsvpc = task.networkMode === "awsvpc";
  const ec2Only = (path: FieldPath, what: string): boolean => {
    if (task.fargate) warn(path, `${what} is not available on Fargate; dropped`);
    return !task.fargate;
  };
  const c: Container = { name: ecsName(name), image: svc.image ?? "" };
  const result: ContainerResult = { definition: c, resources: {}, published: [], otherTaskDependencies: [], executionRoleReasons: [] };

  const essential = params?.essential ?? ctx.project.serviceExtension(name).essential;
  if (essential !== undefined) c.essential = essential;

  const credentials = params?.repository_credentials?.credentials_parameter ?? (ctx.project.raw(name, "x-aws-pull_credentials") as string | undefined);
  if (credentials !== undefined) {
    c.repositoryCredentials = { credentialsParameter: credentials };
    result.executionRoleReasons.push("private registry credentials");
  }
  if (task.fargate && /\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\//.test(c.image)) result.executionRoleReasons.push("pulling from ECR on Fargate");

  result.resources = containerResources(ctx, name, svc, task, params);
  const r = result.resources;
  if (r.cpu !== undefined) c.cpu = r.cpu;
  if (r.memory !== undefined) c.memory = r.memory;
  if (r.memoryReservation !== undefined) c.memoryReservation = r.memoryReservation;
  if (r.gpus !== undefined) c.resourceRequirements = [{ type: "GPU", value: String(r.gpus) }];

  const entryPoint = commandOf(svc.entrypoint);
  if (entryPoint !== undefined) c.entryPoint = entryPoint;
  const command = commandOf(svc.command);
  if (command !== undefined) c.command = command;

  if (svc.working_dir !== undefined) c.workingDirectory = svc.working_dir;
  if (svc.user !== undefined) c.user = svc.user;
  const ports = portMappings(ctx, name, svc, task);
  if (ports.portMappings.length > 0) c.portMappings = ports.portMappings;
  result.published = ports.published;

  const env = containerEnvironment(ctx, name, svc);
  if (env.environment.length > 0) c.environment = env.environment;
  if (env.environmentFiles.length > 0) {
    c.environmentFiles = env.environmentFiles;
    result.executionRoleReasons.push("environment files in S3");
  }

  const secrets = containerSecrets(ctx, name, svc, params);
  if (secrets.length > 0) {
    c.secrets = secrets;
    result.executionRoleReasons.push("secrets");
  }

  const mounts = containerMounts(ctx, name, svc, task);
  if (mounts.mountPoints.length > 0) c.mountPoints = mounts.mountPoints;
  if (mounts.volumesFrom.length > 0) c.volumesFrom = mounts.volumesFrom;

  const order = startOrder(ctx, name, svc, task);
  if (order.dependsOn.length > 0) c.dependsOn = order.dependsOn;
  if (order.links.length > 0) c.links = order.links;
  result.otherTaskDependencies = order.otherTasks;

  const check = healthCheck(ctx, name, svc.healthcheck, params?.healthcheck);
  if (check) c.healthCheck = check;

  const log = logConfiguration(ctx, name, svc, task, params);
  if (log) {
    c.logConfiguration = log;
    if (log.secretOptions) result.executionRoleReasons.push("log secret options");
    if (task.fargate && log.logDriver === "awslogs") result.executionRoleReasons.push("awslogs on Fargate");
  }
  if (params?.firelens_configuration) {
    const options = Object.fromEntries(Object.entries(params.firelens_configuration.options ?? {}).map(([k, v]) => [k, String(v)]));
    c.firelensConfiguration = { type: params.firelens_configuration.type, ...(Object.keys(options).length > 0 ? { options } : {}) };
  }

  const linux = linuxParameters(ctx, name, svc, task, mounts.tmpfs, r.memory);
  if (Object.keys(linux).length > 0) c.linuxParameters = linux;

  if (svc.hostname !== undefined) {
    if (awsvpc) warn(at("hostname"), `hostname ${NOT_IN_AWSVPC}`);
    else c.hostname = svc.hostname;
  }
  if (svc.privileged !== undefined && ec2Only(at("privileged"), "privileged")) c.privileged = svc.privileged;
  if (svc.read_only !== undefined) c.readonlyRootFilesystem = svc.read_only;
  if (svc.tty !== undefined) c.pseudoTerminal = svc.tty;
  if (svc.stdin_open !== undefined) c.interactive = svc.stdin_open;
  const labels = keyValues(svc.labels);
  if (labels.length > 0) c.dockerLabels = Object.fromEntries(labels.map(([k, v]) => [k, v ?? ""]));
  if (svc.security_opt !== undefined && ec2Only(at("security_opt"), "security_opt")) c.dockerSecurityOptions = svc.security_opt;
  const sysctls = keyValues(svc.sysctls);
  if (sysctls.length > 0) c.systemControls = sysctls.map(([namespace, value]) => ({ namespace, value: value ?? "" }));
  const extraHosts = keyValues(svc.extra_hosts).map(([k, v]): [string, string] => (v === undefined ? splitHost(k) : [k, v]));
  if (extraHosts.length > 0) {
    if (awsvpc) warn(at("extra_hosts"), `extra_hosts ${NOT_IN_AWSVPC}`);
    else c.extraHosts = extraHosts.map(([hostname, ipAddress]) => ({ hostname, ipAddress }));
  }
  for (const [key, field] of [["dns", "dnsServers"], ["dns_search", "dnsSearchDomains"]] as const) {
    const values = stringList(svc[key]);
    if (values.length === 0) continue;
    if (awsvpc) warn(at(key), `${key} ${NOT_IN_AWSVPC}`);
    else c[field] = values;
  }
  if (svc.stop_grace_period !== undefined) {
    const seconds = Math.ceil(parseDuration(svc.stop_grace_period) ?? STOP_TIMEOUT[0]);
    const bounded = Math.min(STOP_TIMEOUT[1], Math.max(STOP_TIMEOUT[0], seconds));
    if (bounded !== seconds) warn(at("stop_grace_period"), `ECS allows ${String(STOP_TIMEOUT[0])} to ${String(STOP_TIMEOUT[1])} seconds; ${String(seconds)} becomes ${String(bounded)}`);
    c.stopTimeout = bounded;
  }
  for (const [limit, value] of Object.entries(svc.ulimits ?? {})) {
    const ulimitName = ULIMITS.find((u) => u === limit);
    if (ulimitName === undefined) {
      warn(at("ulimits", limit), `ECS knows the limits ${ULIMITS.join(", ")}; ignored`);
      continue;
    }
    const ulimit: Ulimit = typeof value === "number" ? { name: ulimitName, softLimit: value, hardLimit: value } : { name: ulimitName, softLimit: value.soft, hardLimit: value.hard };
    (c.ulimits ??= []).push(ulimit);
  }

  readTaskLevel(ctx, name, svc, task, result);
  warnRemaining(ctx, name, svc);
  return result;
}

interface StartOrder {
  dependsOn: NonNullable<Container["dependsOn"]>;
  links: string[];
  otherTasks: string[];
}

/**
 * depends_on and links. Within a task they become container dependsOn and links; between tasks
 * ECS keeps no order, which the result lists so that the caller can record it.
 */
function startOrder(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope): StartOrder {
  const at = (...path: (string | number)[]): FieldPath => servicePath(name, ...path);
  const out: StartOrder = { dependsOn: [], links: [], otherTasks: [] };
  for (const dep of dependenciesOf(svc)) {
    const path = at("depends_on", dep.index);
    if (task.members.includes(dep.service)) {
      let condition = DEPENDS_ON[dep.condition] ?? "START";
      if (condition === "HEALTHY" && ctx.project.file.services[dep.service]?.healthcheck?.test === undefined) {
        ctx.warnings.field(path, `${dep.service} has no healthcheck, so ECS cannot wait for it to be healthy; waiting for it to start`);
        condition = "START";
      }
      out.dependsOn.push({ containerName: ecsName(dep.service), condition });
    } else {
      out.otherTasks.push(dep.service);
      ctx.warnings.field(path, `${dep.service} runs as its own ECS service, and ECS does not order services: ${name} may start first and must retry until ${dep.service} answers (put them in one task with x-ecs.sidecar_of to order their containers)`);
    }
    const options = svc.depends_on && !Array.isArray(svc.depends_on) ? svc.depends_on[dep.service] : undefined;
    if (options?.restart !== undefined) ctx.warnings.field([...path, "restart"], "ECS does not restart dependents when a dependency is updated; ignored");
  }

  const links = svc.links ?? [];
  for (const [i, link] of links.entries()) {
    const [target = "", alias] = link.split(":");
    if (task.members.includes(target) && task.networkMode === "bridge") out.links.push(alias === undefined ? ecsName(target) : `${ecsName(target)}:${alias}`);
    else if (task.members.includes(target)) ctx.warnings.field(at("links", i), `containers of one task reach each other on localhost in ${task.networkMode} mode; dropped`);
    else ctx.warnings.field(at("links", i), `${target} runs in its own task; it is reachable by its Cloud Map name instead${alias !== undefined ? ` (the alias ${alias} is lost)` : ""}`);
  }

  return out;
}

/** Linux settings: tmpfs, init, capabilities, and the EC2-only devices, shared memory and swap. */
function linuxParameters(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope, tmpfs: NonNullable<LinuxParameters["tmpfs"]>, memory: number | undefined): LinuxParameters {
  const at = (...path: (string | number)[]): FieldPath => servicePath(name, ...path);
  const warn = (path: FieldPath, message: string) => {
    ctx.warnings.field(path, message);
  };
  const ec2Only = (path: FieldPath, what: string): boolean => {
    if (task.fargate) warn(path, `${what} is not available on Fargate; dropped`);
    return !task.fargate;
  };
  const params = ctx.project.ecsParams.task_definition?.services?.[name];
  const linux: LinuxParameters = {};
  if (tmpfs.length > 0) linux.tmpfs = tmpfs;
  const init = params?.init_process_enabled ?? svc.init;
  if (init !== undefined) linux.initProcessEnabled = init;
  const add = svc.cap_add ?? [];
  const drop = svc.cap_drop ?? [];
  const allowedAdd = task.fargate ? add.filter((cap) => cap.replace(/^CAP_/, "") === "SYS_PTRACE") : add;
  if (allowedAdd.length < add.length) warn(at("cap_add"), `Fargate can add only SYS_PTRACE; ${add.filter((cap) => !allowedAdd.includes(cap)).join(", ")} dropped`);
  if (allowedAdd.length > 0 || drop.length > 0) linux.capabilities = { ...(allowedAdd.length > 0 ? { add: allowedAdd } : {}), ...(drop.length > 0 ? { drop } : {}) };
  if (svc.devices !== undefined && ec2Only(at("devices"), "devices")) {
    linux.devices = svc.devices.map((d) => {
      const [hostPath = "", containerPath, permissions] = typeof d === "string" ? d.split(":") : [d.source, d.target, d.permissions];
      const perms = ((permissions ?? "").match(/[rwm]/g) ?? []).map((p) => DEVICE_PERMISSIONS[p]).filter((p) => p !== undefined);
      return { hostPath, ...(containerPath !== undefined ? { containerPath } : {}), ...(perms.length > 0 ? { permissions: perms } : {}) };
    });
  }
  if (svc.shm_size !== undefined && ec2Only(at("shm_size"), "shm_size")) linux.sharedMemorySize = Math.max(1, toMiB(parseBytes(svc.shm_size) ?? 0));
  if (svc.mem_swappiness !== undefined && ec2Only(at("mem_swappiness"), "mem_swappiness")) linux.swappiness = svc.mem_swappiness;
  if (svc.memswap_limit !== undefined && ec2Only(at("memswap_limit"), "memswap_limit")) {
    const total = svc.memswap_limit === -1 ? undefined : parseBytes(svc.memswap_limit);
    if (total === undefined || memory === undefined) warn(at("memswap_limit"), "ECS sets swap as an amount beside a memory limit; needs a memory limit and a size. Ignored");
    else linux.maxSwap = Math.max(0, toMiB(total) - memory);
  }
  return linux;
}

function splitHost(entry: string): [string, string] {
  const sep = entry.indexOf(":");
  return sep < 0 ? [entry, ""] : [entry.slice(0, sep), entry.slice(sep + 1)];
}

/** Compose settings of a container that ECS has per task: platform, pid and ipc namespaces. */
function readTaskLevel(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope, result: ContainerResult): void {
  const at = (...path: (string | number)[]): FieldPath => servicePath(name, ...path);
  if (svc.platform !== undefined) {
    const [os, arch = "amd64"] = svc.platform.split("/");
    const cpuArchitecture = ARCHITECTURES[arch];
    if (os !== "linux" || cpuArchitecture === undefined) ctx.warnings.field(at("platform"), `ECS runs linux/amd64 and linux/arm64 tasks here; ${svc.platform} ignored`);
    else result.runtimePlatform = { operatingSystemFamily: "LINUX", cpuArchitecture };
  }
  if (svc.pid !== undefined && svc.pid !== null) {
    if (svc.pid === "host" && !task.fargate) result.pidMode = "host";
    else ctx.warnings.field(at("pid"), task.fargate ? "Fargate shares no process namespace with the host; ignored" : `pid: ${svc.pid} has no ECS counterpart (host or the whole task); ignored`);
  }
  if (svc.ipc !== undefined) {
    const mode = IPC_MODES[svc.ipc];
    if (task.fargate) ctx.warnings.field(at("ipc"), "Fargate does not support ipc modes; ignored");
    else if (mode === undefined) ctx.warnings.field(at("ipc"), `ipc: ${svc.ipc} has no ECS counterpart; ignored`);
    else result.ipcMode = mode;
  }
}

/** Names, in warnings, every field of the service that nothing above carried over. */
function warnRemaining(ctx: MappingContext, name: string, svc: ComposeService): void {
  const at = (...path: (string | number)[]): FieldPath => servicePath(name, ...path);
  const raw = svc as Record<string, unknown>;
  for (const key of UNSUPPORTED) {
    if (raw[key] !== undefined) ctx.warnings.field(at(key), UNSUPPORTED_REASON[key] ?? "not supported by ECS; ignored");
  }
  if (svc.build !== undefined) ctx.warnings.field(at("build"), `ECS does not build images: build and push ${svc.image ?? "the image"} first`);
  if (svc.restart !== undefined && !["always", "unless-stopped"].includes(svc.restart)) {
    ctx.warnings.field(at("restart"), `an ECS service replaces every task that stops, whatever its exit code; restart: ${svc.restart} cannot be kept`);
  }
  const policy = svc.deploy?.restart_policy;
  if (policy !== undefined && (policy.condition ?? "any") !== "any") ctx.warnings.field(at("deploy", "restart_policy"), "an ECS service replaces every task that stops, whatever its exit code; ignored");
  const shared = /^(service|container):(.*)$/.exec(svc.network_mode ?? "")?.[2];
  if (shared !== undefined && ctx.project.serviceExtension(name).sidecar_of !== shared) {
    ctx.warnings.field(at("network_mode"), `to share a network namespace, put the containers in one task with x-ecs.sidecar_of: ${shared}; ignored`);
  }
  if (svc.networks !== undefined && !Array.isArray(svc.networks)) {
    for (const [network, settings] of Object.entries(svc.networks)) {
      if (settings !== null && Object.keys(settings).length > 0) ctx.warnings.field(at("networks", network), `per-network settings (${Object.keys(settings).join(", ")}) have no ECS counterpart; services find each other by their Cloud Map names`);
    }
  }
  for (const key of ["x-aws-role", "x-aws-policies"]) {
    if (raw[key] !== undefined) ctx.warnings.field(at(key), "ecs-operator does not create IAM roles or policies: create the role and set task_role_arn in ecs-params.yml");
  }
  const known = new Set(["x-ecs", ...Object.keys(serviceAwsExtensions)]);
  for (const key of Object.keys(raw)) {
    if (key.startsWith("x-") && !known.has(key)) ctx.warnings.field(at(key), "extension field not used by ecs-operator; ignored");
  }
}
