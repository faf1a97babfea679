import { Type, type Static, type TLiteral, type TSchema, type TUnion } from "@sinclair/typebox";

/**
 * The Compose file as this converter reads it: every field of the Compose specification is
 * known (so a typo is an error, as in `docker compose`), with types checked; which fields map to
 * ECS is the converter's business. Extension fields (`x-...`) are taken out before this check and
 * checked by their own schemas in extensions.ts. `description`s are the expectation an error
 * message states.
 */

/** One of a few strings, with that union as its static type. */
export function oneOf<const T extends readonly string[]>(values: T, description: string): TUnion<TLiteral<T[number]>[]> {
  return Type.Union(values.map((v) => Type.Literal(v)), { description });
}

const str = Type.String();
const int = Type.Integer();
const bool = Type.Boolean();
const strOrNum = Type.Union([Type.String(), Type.Number()], { description: "a string or a number" });
const strOrList = Type.Union([Type.String(), Type.Array(Type.String())], { description: "a string or a list of strings" });
const scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: "a string, number or boolean" });
const listOrDict = Type.Union([Type.Array(Type.String()), Type.Record(Type.String(), scalar)], { description: "a list of KEY=VALUE strings or a mapping" });
const opt = <T extends TSchema>(schema: T) => Type.Optional(schema);
const obj = <T extends Record<string, TSchema>>(properties: T, description?: string) =>
  Type.Object(properties, { additionalProperties: false, ...(description ? { description } : {}) });
/** A field this converter knows but does not type in detail (it only warns that ECS lacks it). */
const anything = Type.Unknown();

export const DURATION_PATTERN = "^((\\d+(\\.\\d*)?|\\.\\d+)(ns|us|µs|ms|s|m|h))+$|^0$";
const duration = Type.String({ pattern: DURATION_PATTERN, description: "a duration such as 30s, 1m30s or 500ms" });
const bytes = Type.Union([Type.Integer({ minimum: 0 }), Type.String({ pattern: "^\\s*(\\d+(\\.\\d+)?|\\.\\d+)\\s*([kKmMgGtTbB]?)([iI]?[bB])?\\s*$" })], {
  description: "a size such as 512m, 1g or 1073741824 (bytes)",
});
const cpus = Type.Union([Type.Number({ minimum: 0 }), Type.String({ pattern: "^(\\d+(\\.\\d*)?|\\.\\d+)$" })], { description: "a number of CPUs such as 0.5" });

const healthcheck = obj({
  test: opt(strOrList),
  interval: opt(duration),
  timeout: opt(duration),
  start_period: opt(duration),
  start_interval: opt(duration),
  retries: opt(Type.Integer({ minimum: 0 })),
  disable: opt(bool),
});

const logging = obj({
  driver: opt(str),
  options: opt(Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()], { description: "a string" }))),
});

const device = obj({
  capabilities: opt(Type.Array(str)),
  count: opt(Type.Union([Type.Integer({ minimum: 0 }), Type.Literal("all")], { description: 'a number of devices or "all"' })),
  device_ids: opt(Type.Array(str)),
  driver: opt(str),
  options: opt(Type.Record(Type.String(), scalar)),
});

const resources = obj({
  cpus: opt(cpus),
  memory: opt(bytes),
  pids: opt(int),
  devices: opt(Type.Array(device)),
  generic_resources: opt(anything),
});

const updateConfig = obj({
  parallelism: opt(int),
  delay: opt(duration),
  failure_action: opt(Type.Union([Type.Literal("continue"), Type.Literal("pause"), Type.Literal("rollback")], { description: "continue, pause or rollback" })),
  monitor: opt(duration),
  max_failure_ratio: opt(Type.Number()),
  order: opt(Type.Union([Type.Literal("stop-first"), Type.Literal("start-first")], { description: "stop-first or start-first" })),
});

const deploy = obj({
  mode: opt(Type.Union([Type.Literal("replicated"), Type.Literal("global"), Type.Literal("replicated-job"), Type.Literal("global-job")], { description: "replicated or global" })),
  replicas: opt(Type.Integer({ minimum: 0 })),
  endpoint_mode: opt(str),
  labels: opt(listOrDict),
  resources: opt(obj({ limits: opt(resources), reservations: opt(resources) })),
  restart_policy: opt(obj({ condition: opt(str), delay: opt(duration), max_attempts: opt(int), window: opt(duration) })),
  update_config: opt(updateConfig),
  rollback_config: opt(updateConfig),
  placement: opt(obj({ constraints: opt(Type.Array(str)), preferences: opt(Type.Array(anything)), max_replicas_per_node: opt(int) })),
});

const dependsOnCondition = Type.Union([Type.Literal("service_started"), Type.Literal("service_healthy"), Type.Literal("service_completed_successfully")], {
  description: "service_started, service_healthy or service_completed_successfully",
});
const dependsOn = Type.Union(
  [Type.Array(str), Type.Record(Type.String(), obj({ condition: opt(dependsOnCondition), restart: opt(bool), required: opt(bool) }))],
  { description: "a list of service names or a mapping of service name to {condition}" },
);

const longPort = obj(
  {
    target: Type.Union([Type.Integer(), Type.String()], { description: "a container port" }),
    published: opt(strOrNum),
    host_ip: opt(str),
    protocol: opt(str),
    mode: opt(str),
    name: opt(str),
    app_protocol: opt(str),
  },
  "a port mapping {target, published, protocol}",
);
const port = Type.Union([Type.Integer({ minimum: 1, maximum: 65535 }), Type.String(), longPort], { description: 'a port such as "8080:80", 80 or {target: 80, published: 8080}' });

const longVolume = obj(
  {
    type: opt(oneOf(["volume", "bind", "tmpfs", "npipe", "cluster", "image"], "volume, bind, tmpfs, npipe, cluster or image")),
    source: opt(str),
    target: str,
    read_only: opt(bool),
    consistency: opt(str),
    bind: opt(obj({ propagation: opt(str), create_host_path: opt(bool), selinux: opt(str), recursive: opt(str) })),
    volume: opt(obj({ nocopy: opt(bool), subpath: opt(str) })),
    tmpfs: opt(obj({ size: opt(bytes), mode: opt(Type.Integer()) })),
    image: opt(obj({ subpath: opt(str) })),
  },
  "a volume mount {type, source, target}",
);
const volumeMount = Type.Union([Type.String(), longVolume], { description: 'a volume such as "data:/var/lib/data", "./conf:/etc/app:ro" or {type, source, target}' });

const longSecret = obj({ source: str, target: opt(str), uid: opt(str), gid: opt(str), mode: opt(Type.Integer()) }, "a secret {source, target}");
const secretRef = Type.Union([Type.String(), longSecret], { description: "a secret name or {source, target}" });

const envFile = Type.Union(
  [Type.String(), Type.Array(Type.Union([Type.String(), obj({ path: str, required: opt(bool), format: opt(str) })], { description: "a path or {path, required}" }))],
  { description: "a path or a list of paths" },
);

const ulimit = Type.Union([Type.Integer(), obj({ soft: Type.Integer(), hard: Type.Integer() })], { description: "a number or {soft, hard}" });

const networkRefs = Type.Union(
  [Type.Array(str), Type.Record(Type.String(), Type.Union([Type.Null(), obj({ aliases: opt(Type.Array(str)), ipv4_address: opt(str), ipv6_address: opt(str), link_local_ips: opt(Type.Array(str)), mac_address: opt(str), driver_opts: opt(anything), priority: opt(int), gw_priority: opt(int), interface_name: opt(str) })]))],
  { description: "a list of network names or a mapping of network name to settings" },
);

export const service = obj({
  image: opt(str),
  build: opt(anything),
  command: opt(Type.Union([Type.String(), Type.Array(str), Type.Null()], { description: "a string or a list of strings" })),
  entrypoint: opt(Type.Union([Type.String(), Type.Array(str), Type.Null()], { description: "a string or a list of strings" })),
  environment: opt(listOrDict),
  env_file: opt(envFile),
  ports: opt(Type.Array(port)),
  expose: opt(Type.Array(strOrNum)),
  healthcheck: opt(healthcheck),
  depends_on: opt(dependsOn),
  logging: opt(logging),
  deploy: opt(deploy),
  scale: opt(Type.Integer({ minimum: 0 })),
  secrets: opt(Type.Array(secretRef)),
  volumes: opt(Type.Array(volumeMount)),
  volumes_from: opt(Type.Array(str)),
  tmpfs: opt(strOrList),
  labels: opt(listOrDict),
  working_dir: opt(str),
  user: opt(str),
  hostname: opt(str),
  privileged: opt(bool),
  read_only: opt(bool),
  init: opt(bool),
  cap_add: opt(Type.Array(str)),
  cap_drop: opt(Type.Array(str)),
  ulimits: opt(Type.Record(Type.String(), ulimit)),
  sysctls: opt(listOrDict),
  extra_hosts: opt(listOrDict),
  dns: opt(strOrList),
  dns_search: opt(strOrList),
  stop_grace_period: opt(duration),
  tty: opt(bool),
  stdin_open: opt(bool),
  shm_size: opt(bytes),
  security_opt: opt(Type.Array(str)),
  devices: opt(Type.Array(Type.Union([Type.String(), obj({ source: str, target: opt(str), permissions: opt(str) })], { description: 'a device such as "/dev/fuse:/dev/fuse:rwm"' }))),
  platform: opt(str),
  pid: opt(Type.Union([Type.String(), Type.Null()], { description: "a string" })),
  ipc: opt(str),
  restart: opt(str),
  cpus: opt(cpus),
  cpu_shares: opt(Type.Union([Type.Integer(), Type.String({ pattern: "^\\d+$" })], { description: "an integer" })),
  mem_limit: opt(bytes),
  mem_reservation: opt(bytes),
  memswap_limit: opt(Type.Union([bytes, Type.Literal(-1)], { description: "a size or -1" })),
  mem_swappiness: opt(Type.Integer({ minimum: 0, maximum: 100 })),
  network_mode: opt(str),
  networks: opt(networkRefs),
  links: opt(Type.Array(str)),
  profiles: opt(Type.Array(str)),
  container_name: opt(str),
  pull_policy: opt(str),
  stop_signal: opt(str),
  extends: opt(anything),
  // Known to Compose, with no ECS counterpart: accepted so that the converter can name them in a warning.
  annotations: opt(anything),
  attach: opt(anything),
  blkio_config: opt(anything),
  cgroup: opt(anything),
  cgroup_parent: opt(anything),
  configs: opt(anything),
  cpu_count: opt(anything),
  cpu_percent: opt(anything),
  cpu_period: opt(anything),
  cpu_quota: opt(anything),
  cpu_rt_period: opt(anything),
  cpu_rt_runtime: opt(anything),
  cpuset: opt(anything),
  credential_spec: opt(anything),
  develop: opt(anything),
  device_cgroup_rules: opt(anything),
  dns_opt: opt(anything),
  domainname: opt(anything),
  external_links: opt(anything),
  gpus: opt(anything),
  group_add: opt(anything),
  isolation: opt(anything),
  label_file: opt(anything),
  mac_address: opt(anything),
  models: opt(anything),
  oom_kill_disable: opt(anything),
  oom_score_adj: opt(anything),
  pids_limit: opt(anything),
  post_start: opt(anything),
  pre_stop: opt(anything),
  provider: opt(anything),
  runtime: opt(anything),
  storage_opt: opt(anything),
  use_api_socket: opt(anything),
  userns_mode: opt(anything),
  uts: opt(anything),
});

const namedVolume = Type.Union(
  [Type.Null(), obj({ driver: opt(str), driver_opts: opt(Type.Record(Type.String(), strOrNum)), external: opt(Type.Union([bool, obj({ name: opt(str) })], { description: "a boolean" })), name: opt(str), labels: opt(listOrDict) })],
  { description: "a volume definition {driver, external, name}" },
);

const secretDefinition = obj({ file: opt(str), environment: opt(str), external: opt(Type.Union([bool, obj({ name: opt(str) })], { description: "a boolean" })), name: opt(str), content: opt(str), driver: opt(str), driver_opts: opt(anything), template_driver: opt(str), labels: opt(listOrDict) });

const networkDefinition = Type.Union([Type.Null(), Type.Record(Type.String(), Type.Unknown())], { description: "a network definition" });

export const composeFile = obj({
  version: opt(strOrNum),
  name: opt(str),
  include: opt(anything),
  services: Type.Record(Type.String(), service),
  networks: opt(Type.Record(Type.String(), networkDefinition)),
  volumes: opt(Type.Record(Type.String(), namedVolume)),
  secrets: opt(Type.Record(Type.String(), secretDefinition)),
  configs: opt(Type.Record(Type.String(), Type.Unknown())),
  models: opt(anything),
});

export type ComposeFile = Static<typeof composeFile>;
export type ComposeService = Static<typeof service>;
export type ComposeHealthcheck = Static<typeof healthcheck>;
export type ComposeLongPort = Static<typeof longPort>;
export type ComposeLongVolume = Static<typeof longVolume>;
