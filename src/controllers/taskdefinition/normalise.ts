import type { ContainerDefinition, PortMapping, TaskDefinition, Volume } from "@aws-sdk/client-ecs";
import { createHash } from "node:crypto";

/**
 * What a spec decides about a revision: the RegisterTaskDefinition input without family and tags.
 * Both a desired input and a DescribeTaskDefinition answer have this shape.
 */
export type TaskDefinitionContent = Pick<
  TaskDefinition,
  | "containerDefinitions"
  | "cpu"
  | "memory"
  | "networkMode"
  | "requiresCompatibilities"
  | "executionRoleArn"
  | "taskRoleArn"
  | "volumes"
  | "runtimePlatform"
  | "ephemeralStorage"
  | "placementConstraints"
  | "pidMode"
  | "ipcMode"
  | "proxyConfiguration"
  | "enableFaultInjection"
>;

export type Json = string | number | boolean | Json[] | { [key: string]: Json };
type Loose = string | number | boolean | undefined | Loose[] | { [key: string]: Loose };
export type CanonicalContent = Record<string, Json>;

/** Drops absent values, empty lists and empty objects: to ECS they all mean "not set". */
function compact(value: Loose): Json | undefined {
  if (value === undefined) return undefined;
  if (Array.isArray(value)) {
    const items = value.map(compact).filter((v): v is Json => v !== undefined);
    return items.length > 0 ? items : undefined;
  }
  if (typeof value === "object") {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, compact(v)] as const)
      .filter((e): e is readonly [string, Json] => e[1] !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return value;
}

/** JSON with object keys sorted, so equal content always serialises alike. */
export function stableStringify(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(",")}]`;
  if (typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableStringify(value[k] ?? "")}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

/** A list whose order ECS does not care about, in one fixed order. */
function unordered(items: readonly Loose[] | undefined): Loose[] | undefined {
  if (!items) return undefined;
  return items
    .map((item) => compact(item))
    .filter((v): v is Json => v !== undefined)
    .sort((a, b) => stableStringify(a).localeCompare(stableStringify(b)));
}

/** Named items (containers, volumes) keyed by name: order-free, and differences read by name. */
function byName<T>(items: readonly T[] | undefined, name: (item: T) => string | undefined, map: (item: T) => Loose): Loose {
  if (!items) return undefined;
  return Object.fromEntries(items.map((item) => [name(item) ?? "", map(item)]));
}

/** The value unless it is the one ECS assumes when the field is omitted. */
function unlessDefault<T extends string | number | boolean>(value: T | undefined, dflt: T): T | undefined {
  return value === dflt ? undefined : value;
}

/**
 * Task cpu and memory as plain numbers of units: ECS accepts "1 vCPU" and "2 GB" and answers with
 * "1024" and "2048".
 */
export function taskUnits(value: string | undefined, kind: "cpu" | "memory"): string | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const unit = kind === "cpu" ? /^(\d+(?:\.\d+)?)\s*vcpu$/i : /^(\d+(?:\.\d+)?)\s*gb$/i;
  const scaled = unit.exec(trimmed);
  if (scaled) return String(Math.round(Number(scaled[1]) * 1024));
  return /^\d+$/.test(trimmed) ? String(Number(trimmed)) : trimmed;
}

function portMapping(p: PortMapping, networkMode: string): Loose {
  // awsvpc and host mode publish the container port itself; bridge mode's 0 means "any free port".
  const fixedHost = networkMode === "awsvpc" || networkMode === "host";
  const hostPort = fixedHost ? unlessDefault(p.hostPort, p.containerPort ?? -1) : unlessDefault(p.hostPort, 0);
  return {
    containerPort: p.containerPort,
    containerPortRange: p.containerPortRange,
    hostPort,
    protocol: unlessDefault(p.protocol, "tcp"),
    name: p.name,
    appProtocol: p.appProtocol,
  };
}

function container(c: ContainerDefinition, networkMode: string): Loose {
  const linux = c.linuxParameters;
  const restart = c.restartPolicy;
  const health = c.healthCheck;
  const log = c.logConfiguration;
  return {
    name: c.name,
    image: c.image,
    repositoryCredentials: { credentialsParameter: c.repositoryCredentials?.credentialsParameter },
    cpu: unlessDefault(c.cpu, 0),
    memory: c.memory,
    memoryReservation: c.memoryReservation,
    links: unordered(c.links),
    portMappings: unordered(c.portMappings?.map((p) => portMapping(p, networkMode))),
    essential: unlessDefault(c.essential, true),
    restartPolicy:
      restart?.enabled === true
        ? { enabled: true, ignoredExitCodes: unordered(restart.ignoredExitCodes), restartAttemptPeriod: unlessDefault(restart.restartAttemptPeriod, 300) }
        : undefined,
    entryPoint: c.entryPoint,
    command: c.command,
    environment: unordered(c.environment?.map((e) => ({ name: e.name, value: e.value ?? "" }))),
    environmentFiles: unordered(c.environmentFiles?.map((f) => ({ type: f.type, value: f.value }))),
    mountPoints: unordered(c.mountPoints?.map((m) => ({ sourceVolume: m.sourceVolume, containerPath: m.containerPath, readOnly: unlessDefault(m.readOnly, false) }))),
    volumesFrom: unordered(c.volumesFrom?.map((v) => ({ sourceContainer: v.sourceContainer, readOnly: unlessDefault(v.readOnly, false) }))),
    linuxParameters: linux
      ? {
          capabilities: { add: unordered(linux.capabilities?.add), drop: unordered(linux.capabilities?.drop) },
          devices: unordered(linux.devices?.map((d) => ({ hostPath: d.hostPath, containerPath: d.containerPath, permissions: unordered(d.permissions) }))),
          initProcessEnabled: unlessDefault(linux.initProcessEnabled, false),
          sharedMemorySize: linux.sharedMemorySize,
          tmpfs: unordered(linux.tmpfs?.map((t) => ({ containerPath: t.containerPath, size: t.size, mountOptions: unordered(t.mountOptions) }))),
          maxSwap: linux.maxSwap,
          swappiness: linux.swappiness,
        }
      : undefined,
    secrets: unordered(c.secrets?.map((s) => ({ name: s.name, valueFrom: s.valueFrom }))),
    dependsOn: unordered(c.dependsOn?.map((d) => ({ containerName: d.containerName, condition: d.condition }))),
    startTimeout: c.startTimeout,
    stopTimeout: c.stopTimeout,
    versionConsistency: unlessDefault(c.versionConsistency, "enabled"),
    hostname: c.hostname,
    user: c.user,
    workingDirectory: c.workingDirectory,
    disableNetworking: unlessDefault(c.disableNetworking, false),
    privileged: unlessDefault(c.privileged, false),
    readonlyRootFilesystem: unlessDefault(c.readonlyRootFilesystem, false),
    dnsServers: c.dnsServers,
    dnsSearchDomains: c.dnsSearchDomains,
    extraHosts: unordered(c.extraHosts?.map((h) => ({ hostname: h.hostname, ipAddress: h.ipAddress }))),
    dockerSecurityOptions: c.dockerSecurityOptions,
    interactive: unlessDefault(c.interactive, false),
    pseudoTerminal: unlessDefault(c.pseudoTerminal, false),
    dockerLabels: c.dockerLabels,
    ulimits: unordered(c.ulimits?.map((u) => ({ name: u.name, softLimit: u.softLimit, hardLimit: u.hardLimit }))),
    logConfiguration: log
      ? { logDriver: log.logDriver, options: log.options, secretOptions: unordered(log.secretOptions?.map((s) => ({ name: s.name, valueFrom: s.valueFrom }))) }
      : undefined,
    healthCheck: health
      ? {
          command: health.command,
          interval: unlessDefault(health.interval, 30),
          timeout: unlessDefault(health.timeout, 5),
          retries: unlessDefault(health.retries, 3),
          startPeriod: unlessDefault(health.startPeriod, 0),
        }
      : undefined,
    systemControls: unordered(c.systemControls?.map((s) => ({ namespace: s.namespace, value: s.value }))),
    resourceRequirements: unordered(c.resourceRequirements?.map((r) => ({ type: r.type, value: r.value }))),
    firelensConfiguration: c.firelensConfiguration ? { type: c.firelensConfiguration.type, options: c.firelensConfiguration.options } : undefined,
    credentialSpecs: c.credentialSpecs,
  };
}

function volume(v: Volume): Loose {
  const docker = v.dockerVolumeConfiguration;
  const efs = v.efsVolumeConfiguration;
  const fsx = v.fsxWindowsFileServerVolumeConfiguration;
  return {
    name: v.name,
    // `host: {}` and no host at all both mean a bind mount whose path Docker picks.
    host: { sourcePath: v.host?.sourcePath },
    dockerVolumeConfiguration: docker
      ? {
          scope: unlessDefault(docker.scope, "task"),
          autoprovision: unlessDefault(docker.autoprovision, false),
          driver: unlessDefault(docker.driver, "local"),
          driverOpts: docker.driverOpts,
          labels: docker.labels,
        }
      : undefined,
    efsVolumeConfiguration: efs
      ? {
          fileSystemId: efs.fileSystemId,
          rootDirectory: unlessDefault(efs.rootDirectory, "/"),
          transitEncryption: unlessDefault(efs.transitEncryption, "DISABLED"),
          transitEncryptionPort: efs.transitEncryptionPort,
          authorizationConfig: { accessPointId: efs.authorizationConfig?.accessPointId, iam: unlessDefault(efs.authorizationConfig?.iam, "DISABLED") },
        }
      : undefined,
    fsxWindowsFileServerVolumeConfiguration: fsx
      ? {
          fileSystemId: fsx.fileSystemId,
          rootDirectory: fsx.rootDirectory,
          authorizationConfig: { credentialsParameter: fsx.authorizationConfig?.credentialsParameter, domain: fsx.authorizationConfig?.domain },
        }
      : undefined,
    configuredAtLaunch: unlessDefault(v.configuredAtLaunch, false),
  };
}

/**
 * The content of a revision with everything ECS fills in, reorders or reports besides removed:
 * defaults are dropped rather than filled (an omitted field and its default compare equal), lists
 * whose order does not matter are sorted, and only fields a spec can set are kept, so that fields
 * ECS adds to its answers (registeredAt, compatibilities, new defaults) never look like a change.
 * Desired input and described revision go through this same function.
 */
export function canonicalContent(td: TaskDefinitionContent): CanonicalContent {
  const networkMode = td.networkMode ?? "bridge";
  const content = compact({
    cpu: taskUnits(td.cpu, "cpu"),
    memory: taskUnits(td.memory, "memory"),
    networkMode: unlessDefault(networkMode, "bridge"),
    requiresCompatibilities: unordered(td.requiresCompatibilities),
    executionRoleArn: td.executionRoleArn,
    taskRoleArn: td.taskRoleArn,
    containerDefinitions: byName(td.containerDefinitions, (c) => c.name, (c) => container(c, networkMode)),
    volumes: byName(td.volumes, (v) => v.name, volume),
    runtimePlatform: { operatingSystemFamily: unlessDefault(td.runtimePlatform?.operatingSystemFamily, "LINUX"), cpuArchitecture: unlessDefault(td.runtimePlatform?.cpuArchitecture, "X86_64") },
    ephemeralStorage: { sizeInGiB: unlessDefault(td.ephemeralStorage?.sizeInGiB, 20) },
    placementConstraints: unordered(td.placementConstraints?.map((p) => ({ type: p.type, expression: p.expression }))),
    pidMode: td.pidMode,
    ipcMode: td.ipcMode,
    proxyConfiguration: td.proxyConfiguration
      ? {
          type: unlessDefault(td.proxyConfiguration.type, "APPMESH"),
          containerName: td.proxyConfiguration.containerName,
          properties: unordered(td.proxyConfiguration.properties?.map((p) => ({ name: p.name, value: p.value ?? "" }))),
        }
      : undefined,
    enableFaultInjection: unlessDefault(td.enableFaultInjection, false),
  });
  return typeof content === "object" && !Array.isArray(content) ? content : {};
}

/** Tags as they count for a revision: AWS's own `aws:` tags are not ours to compare. */
function comparableTags(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([key]) => !key.startsWith("aws:")));
}

/**
 * A short hash of canonical content and, when given, tags: what status remembers of the newest
 * revision, so that a re-check of an unchanged spec needs no DescribeTaskDefinition.
 */
export function fingerprint(content: CanonicalContent, tags: Record<string, string> | undefined): string {
  const subject: Json = tags === undefined ? { content } : { content, tags: comparableTags(tags) };
  return createHash("sha256").update(stableStringify(subject)).digest("hex").slice(0, 16);
}

/** Paths (containerDefinitions.web.image, ...) where two canonical contents differ. */
export function contentDifferences(desired: Json | undefined, observed: Json | undefined, path = ""): string[] {
  if (desired === undefined || observed === undefined) return desired === observed ? [] : [path || "(all)"];
  const bothObjects = typeof desired === "object" && typeof observed === "object" && !Array.isArray(desired) && !Array.isArray(observed);
  if (!bothObjects) return stableStringify(desired) === stableStringify(observed) ? [] : [path || "(all)"];
  const keys = [...new Set([...Object.keys(desired), ...Object.keys(observed)])].sort();
  return keys.flatMap((key) => contentDifferences(desired[key], observed[key], path ? `${path}.${key}` : key));
}

/** Whether two tag sets differ, ignoring AWS's own tags. */
export function tagsDiffer(desired: Record<string, string>, observed: Record<string, string>): boolean {
  return stableStringify(comparableTags(desired)) !== stableStringify(comparableTags(observed));
}
