import type { ContainerDefinitionSpec } from "../api/taskdefinition.js";
import { servicePath, type MappingContext, type TaskScope, type TaskVolume } from "./context.js";
import { ecsName } from "./names.js";
import { keyValues, mountOf } from "./read.js";
import type { ComposeService } from "./schema.js";
import { PLACEHOLDER } from "./settings.js";
import { MIB, parseBytes, toMiB } from "./units.js";

type MountPoint = NonNullable<ContainerDefinitionSpec["mountPoints"]>[number];
type VolumeFrom = NonNullable<ContainerDefinitionSpec["volumesFrom"]>[number];
type Tmpfs = NonNullable<NonNullable<ContainerDefinitionSpec["linuxParameters"]>["tmpfs"]>[number];

/** ECS needs a size for a tmpfs mount; Compose does not. */
const DEFAULT_TMPFS_MIB = 64;

export interface ContainerMounts {
  mountPoints: MountPoint[];
  volumesFrom: VolumeFrom[];
  tmpfs: Tmpfs[];
}

/** A readable volume name from a path: /var/lib/data → var-lib-data. */
function pathName(path: string): string {
  const name = ecsName(path.replace(/^[./~]+/, "").replace(/[/\\]+/g, "-").replace(/-+$/, ""));
  return name === "" ? "root" : name;
}

/**
 * The task volume for a named Compose volume. Compose's local volumes live on one machine; tasks
 * move between machines, so the durable counterpart is EFS. ecs-params.yml's efs_volumes and
 * docker_volumes (as in ecs-cli) and an external volume named by its file system id say which;
 * otherwise the file system id is a placeholder, with a warning.
 */
function namedVolume(ctx: MappingContext, volume: string, task: TaskScope): TaskVolume {
  const name = ecsName(volume);
  const taskParams = ctx.project.ecsParams.task_definition;
  const efs = taskParams?.efs_volumes?.find((v) => v.name === volume);
  if (efs) {
    return {
      name,
      efsVolumeConfiguration: {
        fileSystemId: efs.filesystem_id,
        ...(efs.root_directory !== undefined ? { rootDirectory: efs.root_directory } : {}),
        ...(efs.transit_encryption !== undefined ? { transitEncryption: efs.transit_encryption } : {}),
        ...(efs.transit_encryption_port !== undefined ? { transitEncryptionPort: efs.transit_encryption_port } : {}),
        ...(efs.access_point !== undefined || efs.iam !== undefined
          ? { authorizationConfig: { ...(efs.access_point !== undefined ? { accessPointId: efs.access_point } : {}), ...(efs.iam !== undefined ? { iam: efs.iam } : {}) } }
          : {}),
      },
    };
  }
  const docker = taskParams?.docker_volumes?.find((v) => v.name === volume);
  if (docker && !task.fargate) {
    return {
      name,
      dockerVolumeConfiguration: {
        ...(docker.scope !== undefined ? { scope: docker.scope } : {}),
        ...(docker.autoprovision !== undefined ? { autoprovision: docker.autoprovision } : {}),
        ...(docker.driver !== undefined ? { driver: docker.driver } : {}),
        ...(docker.driver_opts !== undefined ? { driverOpts: docker.driver_opts } : {}),
        ...(docker.labels !== undefined ? { labels: docker.labels } : {}),
      },
    };
  }
  if (docker && ctx.once(`docker-volume-fargate:${volume}`)) {
    ctx.warnings.param(["task_definition", "docker_volumes"], `Docker volumes are not available on Fargate; ${volume} is mapped to EFS instead`);
  }
  const definition = ctx.project.file.volumes?.[volume] ?? null;
  const external = definition?.external === true || typeof definition?.external === "object";
  const externalName = typeof definition?.external === "object" ? definition.external.name : undefined;
  const awsName = externalName ?? definition?.name;
  if (external && awsName?.startsWith("fs-")) return { name, efsVolumeConfiguration: { fileSystemId: awsName } };
  // A volume with its own driver (NFS, a plugin) keeps its data where the driver puts it, which a
  // Docker volume on the instance can do as well as on a laptop.
  if (!task.fargate && !external && definition !== null && (definition.driver !== undefined || definition.driver_opts !== undefined)) {
    if (ctx.once(`volume:${volume}`)) ctx.warnings.field(["volumes", volume], "mapped to a Docker volume with its driver on each instance (scope shared, autoprovision); its data lives where the driver keeps it, so an instance-local driver keeps it on one instance only");
    const labels = keyValues(definition.labels);
    return {
      name,
      dockerVolumeConfiguration: {
        scope: "shared",
        autoprovision: true,
        ...(definition.driver !== undefined ? { driver: definition.driver } : {}),
        ...(definition.driver_opts !== undefined ? { driverOpts: Object.fromEntries(Object.entries(definition.driver_opts).map(([k, v]) => [k, String(v)])) } : {}),
        ...(labels.length > 0 ? { labels: Object.fromEntries(labels.map(([k, v]) => [k, v ?? ""])) } : {}),
      },
    };
  }
  if (ctx.once(`volume:${volume}`)) {
    const ignored = (["driver", "driver_opts", "labels"] as const).filter((k) => definition?.[k] !== undefined);
    ctx.warnings.field(
      ["volumes", volume],
      `mapped to an EFS volume with the placeholder file system id ${PLACEHOLDER.fileSystemId}: create an EFS file system and put its id there (or declare the volume external with name: fs-...${task.fargate ? "" : ", or describe a Docker volume in ecs-params.yml docker_volumes"})${ignored.length > 0 ? `; ${ignored.join(", ")} ignored` : ""}`,
    );
  }
  return { name, efsVolumeConfiguration: { fileSystemId: PLACEHOLDER.fileSystemId } };
}

export function containerMounts(ctx: MappingContext, name: string, svc: ComposeService, task: TaskScope): ContainerMounts {
  const result: ContainerMounts = { mountPoints: [], volumesFrom: [], tmpfs: [] };
  const addVolume = (volume: TaskVolume, target: string, readOnly: boolean) => {
    if (!task.volumes.has(volume.name)) task.volumes.set(volume.name, volume);
    result.mountPoints.push({ sourceVolume: volume.name, containerPath: target, ...(readOnly ? { readOnly } : {}) });
  };
  const addTmpfs = (path: (string | number)[], target: string, sizeBytes: number | undefined) => {
    if (task.fargate) {
      ctx.warnings.field(servicePath(name, ...path), "tmpfs mounts are not available on Fargate; dropped");
      return;
    }
    if (sizeBytes === undefined) ctx.warnings.field(servicePath(name, ...path), `ECS needs a size for a tmpfs mount; using ${String(DEFAULT_TMPFS_MIB)} MiB`);
    result.tmpfs.push({ containerPath: target, size: sizeBytes === undefined ? DEFAULT_TMPFS_MIB : Math.max(1, toMiB(sizeBytes)) });
  };

  for (const [i, raw] of (svc.volumes ?? []).entries()) {
    const path = servicePath(name, "volumes", i);
    const mount = mountOf(raw);
    if (typeof mount === "string") continue;
    if (mount.unsupported.length > 0) ctx.warnings.field(path, `${mount.unsupported.join(", ")} not supported by ECS; ignored`);
    switch (mount.type) {
      case "volume":
        if (mount.source === undefined) addVolume({ name: ecsName(`${name}-${pathName(mount.target)}`) }, mount.target, mount.readOnly);
        else addVolume(namedVolume(ctx, mount.source, task), mount.target, mount.readOnly);
        break;
      case "bind": {
        const source = mount.source ?? "";
        if (!source.startsWith("/")) {
          ctx.warnings.field(path, `the local path ${source} does not exist where ECS runs the task; build the files into the image or use a named volume. Dropped`);
        } else if (task.fargate) {
          ctx.warnings.field(path, `Fargate cannot mount host paths (${source}); dropped`);
        } else {
          addVolume({ name: `host-${pathName(source)}`, host: { sourcePath: source } }, mount.target, mount.readOnly);
        }
        break;
      }
      case "tmpfs":
        addTmpfs(["volumes", i], mount.target, mount.tmpfsSizeBytes);
        break;
      default:
        ctx.warnings.field(path, `${mount.type} mounts are not supported by ECS; dropped`);
    }
  }

  const tmpfs = svc.tmpfs === undefined ? [] : typeof svc.tmpfs === "string" ? [svc.tmpfs] : svc.tmpfs;
  for (const [i, entry] of tmpfs.entries()) {
    const [target = "", options = ""] = entry.split(":");
    const size = /(?:^|,)size=([^,]+)/.exec(options)?.[1];
    const bytes = size === undefined ? undefined : parseBytes(size);
    addTmpfs(typeof svc.tmpfs === "string" ? ["tmpfs"] : ["tmpfs", i], target, bytes === undefined ? undefined : Math.max(bytes, MIB));
  }

  for (const [i, entry] of (svc.volumes_from ?? []).entries()) {
    const [source = "", second, third] = entry.split(":");
    const container = source === "container" ? (second ?? "") : source;
    const mode = source === "container" ? third : second;
    if (source !== "container" && task.members.includes(container)) {
      result.volumesFrom.push({ sourceContainer: ecsName(container), ...(mode === "ro" ? { readOnly: true } : {}) });
    } else {
      ctx.warnings.field(servicePath(name, "volumes_from", i), `${container} runs in another task, and a container can only mount the volumes of containers in its own task; dropped (use x-ecs.sidecar_of to put them in one task)`);
    }
  }
  return result;
}
