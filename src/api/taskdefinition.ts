import { Type, type Static } from "@sinclair/typebox";
import { printerColumns, specSchema, statusSchema, type CustomObject, type KindDefinition } from "./common.js";
import { kindName } from "./names.js";
import { Bool, Int, List, Obj, Optional, Str, StringEnum, StringMap, type CelRule } from "./schema.js";

/** AWS allows at most ten containers in one task definition. */
const MAX_CONTAINERS = 10;
/** Bounds on lists and names that CEL rules walk, so the API server can bound their cost. */
const MAX_PORT_MAPPINGS = 100;
const MAX_VOLUMES = 50;
const MAX_MOUNT_POINTS = 50;
const NAME_MAX = 255;

const INT_OR_STRING = "An integer or a string of digits, e.g. 256 or \"256\" as in AWS's JSON.";

/**
 * A number ECS wants as an integer (or, for task cpu/memory, as a string of digits), written
 * either way in YAML: console JSON has `"cpu": "256"`, hand-written YAML has `cpu: 256`.
 * Strings must be plain digits so that CEL can compare them as numbers.
 */
function IntOrString(description: string, validations: CelRule[] = []) {
  return Type.Unsafe<number | string>({
    anyOf: [{ type: "integer" }, { type: "string" }],
    "x-kubernetes-int-or-string": true,
    pattern: "^[0-9]+$",
    maxLength: 7,
    // kubectl explain prints <Object> for every int-or-string field of a CRD (its type guess reads
    // only `type` or a $ref's name, and such a field may have neither), so the text says what it takes.
    description: `${description} ${INT_OR_STRING}`,
    ...(validations.length > 0 ? { "x-kubernetes-validations": validations } : {}),
  });
}

/** The CEL value of an int-or-string field as an int; guard it with `numeric`. */
const asInt = (expr: string): string => `(type(${expr}) == string ? int(${expr}) : ${expr})`;

/** False for a string that is not digits, which the schema's pattern already reports on its own. */
const numeric = (expr: string): string => `(type(${expr}) == int || ${expr}.matches('^[0-9]+$'))`;

const inRange = (min: number, max: number, what: string): CelRule => ({
  rule: `!${numeric("self")} || (${asInt("self")} >= ${min} && ${asInt("self")} <= ${max})`,
  messageExpression: `'${what} must be between ${min} and ${max}, got ' + string(self)`,
});

const keyValue = (what: string) =>
  Obj({ name: Str(`The ${what}'s name.`, { minLength: 1 }), value: Optional(Str(`The ${what}'s value.`)) }, `A ${what} as a name/value pair.`);

const secret = Obj(
  {
    name: Str("The environment variable (or log option) to set.", { minLength: 1 }),
    valueFrom: Str("The Secrets Manager secret ARN or SSM parameter ARN/name to read the value from.", { minLength: 1 }),
  },
  "A value read from Secrets Manager or SSM Parameter Store when the task starts.",
);

const portMapping = Obj(
  {
    containerPort: Optional(IntOrString("The port the container listens on.", [inRange(1, 65535, "containerPort")])),
    hostPort: Optional(
      IntOrString("The host port. In awsvpc and host mode it must equal containerPort (omit it); in bridge mode omit it or use 0 for a dynamic port.", [inRange(0, 65535, "hostPort")]),
    ),
    protocol: Optional(StringEnum(["tcp", "udp"] as const, "tcp (default) or udp.")),
    name: Optional(Str("A name for the mapping, used by Service Connect.", { maxLength: 64 })),
    appProtocol: Optional(StringEnum(["http", "http2", "grpc"] as const, "The application protocol, for Service Connect.")),
    containerPortRange: Optional(
      Str("A range of container ports, e.g. 8000-8010 (awsvpc only; exclusive with containerPort).", {
        maxLength: 11,
        pattern: "^[0-9]{1,5}-[0-9]{1,5}$",
        validations: [
          {
            rule: "int(self.split('-')[0]) >= 1 && int(self.split('-')[0]) < int(self.split('-')[1]) && int(self.split('-')[1]) <= 65535",
            messageExpression: "'containerPortRange must be <first>-<last> with 1 <= first < last <= 65535, got ' + self",
          },
        ],
      }),
    ),
  },
  "A port the container exposes.",
  { validations: [{ rule: "has(self.containerPort) != has(self.containerPortRange)", message: "a port mapping sets exactly one of containerPort and containerPortRange" }] },
);

const healthCheck = Obj(
  {
    command: List(Str("A word of the command."), 'The command, e.g. ["CMD-SHELL", "curl -f http://localhost/ || exit 1"].', { minItems: 1 }),
    interval: Optional(Int("Seconds between checks (default 30).", { minimum: 5, maximum: 300 })),
    timeout: Optional(Int("Seconds a check may take before it fails (default 5).", { minimum: 2, maximum: 60 })),
    retries: Optional(Int("Consecutive failures before the container is unhealthy (default 3).", { minimum: 1, maximum: 10 })),
    startPeriod: Optional(Int("Grace period in seconds before failures count (default 0: none).", { minimum: 0, maximum: 300 })),
  },
  "A Docker health check run inside the container.",
);

export const logConfiguration = Obj(
  {
    logDriver: StringEnum(["awslogs", "awsfirelens", "fluentd", "gelf", "journald", "json-file", "splunk", "syslog"] as const, "The log driver."),
    options: Optional(StringMap("Options for the log driver, e.g. awslogs-group, awslogs-region, awslogs-stream-prefix.")),
    secretOptions: Optional(List(secret, "Log driver options read from secrets.")),
  },
  "Where the container's logs go.",
);

const ulimit = Obj(
  {
    name: StringEnum(
      ["core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"] as const,
      "The resource limit.",
    ),
    softLimit: Int("The soft limit."),
    hardLimit: Int("The hard limit."),
  },
  "A resource limit for the container.",
  {
    validations: [
      {
        rule: "self.softLimit <= self.hardLimit",
        messageExpression: "'ulimit %s: softLimit %d must not exceed its hardLimit %d'.format([self.name, self.softLimit, self.hardLimit])",
        fieldPath: ".softLimit",
      },
    ],
  },
);

const containerDefinition = Obj(
  {
    name: Str("The container's name, unique in the task definition.", { minLength: 1, maxLength: NAME_MAX, pattern: "^[a-zA-Z0-9_-]+$" }),
    image: Str("The image, e.g. httpd:2.4 or 123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1.2.", { minLength: 1 }),
    repositoryCredentials: Optional(
      Obj({ credentialsParameter: Str("The Secrets Manager secret ARN with the registry credentials.") }, "Credentials for a private registry outside ECR."),
    ),
    cpu: Optional(IntOrString("CPU units reserved for the container (1024 = 1 vCPU; default 0).", [inRange(0, 196608, "container cpu")])),
    memory: Optional(IntOrString("Hard memory limit in MiB; the container is killed above it.", [inRange(6, 1048576, "container memory")])),
    memoryReservation: Optional(IntOrString("Soft memory limit (reservation) in MiB.", [inRange(6, 1048576, "container memoryReservation")])),
    links: Optional(List(Str("name or name:alias of another container.", { maxLength: 2 * NAME_MAX + 1 }), "Containers to link to (bridge mode only).", { maxItems: MAX_CONTAINERS })),
    portMappings: Optional(List(portMapping, "Ports the container exposes.", { maxItems: MAX_PORT_MAPPINGS })),
    essential: Optional(Bool("Whether the task stops when this container stops (default true). At least one container must be essential.")),
    restartPolicy: Optional(
      Obj(
        {
          enabled: Bool("Whether ECS restarts the container in place when it exits."),
          ignoredExitCodes: Optional(List(Int("An exit code."), "Exit codes that do not trigger a restart.", { maxItems: 50 })),
          restartAttemptPeriod: Optional(Int("Seconds the container must run before a restart is attempted (default 300).", { minimum: 60, maximum: 1800 })),
        },
        "Restart of the container in place when it exits.",
      ),
    ),
    entryPoint: Optional(List(Str("A word of the entry point."), "Overrides the image's ENTRYPOINT.")),
    command: Optional(List(Str("A word of the command."), "Overrides the image's CMD.")),
    environment: Optional(List(keyValue("environment variable"), "Environment variables.")),
    environmentFiles: Optional(
      List(
        Obj({ value: Str("The S3 object ARN of the .env file."), type: StringEnum(["s3"] as const, "The file's location type: s3.") }, "A file of environment variables."),
        "Files of environment variables, read from S3.",
        { maxItems: 10 },
      ),
    ),
    mountPoints: Optional(
      List(
        Obj(
          {
            sourceVolume: Str("The name of a volume in volumes.", { maxLength: NAME_MAX }),
            containerPath: Str("Where the volume is mounted in the container."),
            readOnly: Optional(Bool("Mount read-only (default false).")),
          },
          "A volume mounted into the container.",
        ),
        "Volumes mounted into the container.",
        { maxItems: MAX_MOUNT_POINTS },
      ),
    ),
    volumesFrom: Optional(
      List(
        Obj({ sourceContainer: Str("The container whose volumes to mount."), readOnly: Optional(Bool("Mount read-only (default false).")) }, "Volumes of another container."),
        "Mounts all volumes of other containers.",
      ),
    ),
    linuxParameters: Optional(
      Obj(
        {
          capabilities: Optional(
            Obj(
              { add: Optional(List(Str("A capability, e.g. SYS_PTRACE."), "Capabilities to add.")), drop: Optional(List(Str("A capability, e.g. NET_RAW."), "Capabilities to drop.")) },
              "Linux capabilities to add to or drop from Docker's default set.",
            ),
          ),
          devices: Optional(
            List(
              Obj(
                {
                  hostPath: Str("The device on the host."),
                  containerPath: Optional(Str("Where the device appears in the container.")),
                  permissions: Optional(List(StringEnum(["read", "write", "mknod"] as const, "A cgroup permission."), "Permissions for the device.")),
                },
                "A host device exposed to the container.",
              ),
              "Host devices exposed to the container (EC2 only).",
            ),
          ),
          initProcessEnabled: Optional(Bool("Run an init process that forwards signals and reaps processes.")),
          sharedMemorySize: Optional(Int("Size of /dev/shm in MiB (EC2 only).", { minimum: 1 })),
          tmpfs: Optional(
            List(
              Obj(
                {
                  containerPath: Str("Where the tmpfs is mounted."),
                  size: Int("Its size in MiB.", { minimum: 1 }),
                  mountOptions: Optional(List(Str("A mount option, e.g. noexec."), "tmpfs mount options.")),
                },
                "A tmpfs mount.",
              ),
              "tmpfs mounts (EC2 only).",
            ),
          ),
          maxSwap: Optional(Int("Swap the container may use, in MiB (EC2 only).", { minimum: 0 })),
          swappiness: Optional(Int("Swappiness, 0 to 100 (EC2 only).", { minimum: 0, maximum: 100 })),
        },
        "Linux-specific settings.",
      ),
    ),
    secrets: Optional(List(secret, "Environment variables read from Secrets Manager or SSM Parameter Store.")),
    dependsOn: Optional(
      List(
        Obj(
          {
            containerName: Str("Another container of this task definition.", { maxLength: NAME_MAX }),
            condition: StringEnum(["START", "COMPLETE", "SUCCESS", "HEALTHY"] as const, "What that container must reach first."),
          },
          "A container that must start (or finish, or be healthy) first.",
        ),
        "Start-up order between containers.",
        { maxItems: MAX_CONTAINERS },
      ),
    ),
    startTimeout: Optional(Int("Seconds to wait for dependencies before giving up on the container.", { minimum: 2, maximum: 120 })),
    stopTimeout: Optional(Int("Seconds between SIGTERM and SIGKILL (default 30).", { minimum: 2, maximum: 120 })),
    versionConsistency: Optional(StringEnum(["enabled", "disabled"] as const, "Whether ECS pins the image tag to a digest at deployment (default enabled).")),
    hostname: Optional(Str("The container's hostname (not in awsvpc mode).")),
    user: Optional(Str("The user (and group) to run as, e.g. 1000:1000.")),
    workingDirectory: Optional(Str("The working directory for the command.")),
    disableNetworking: Optional(Bool("Turn networking off in the container (EC2 only).")),
    privileged: Optional(Bool("Give the container root on the host (EC2 only).")),
    readonlyRootFilesystem: Optional(Bool("Mount the root filesystem read-only.")),
    dnsServers: Optional(List(Str("An IP address."), "DNS servers for the container (not in awsvpc mode).")),
    dnsSearchDomains: Optional(List(Str("A domain."), "DNS search domains (not in awsvpc mode).")),
    extraHosts: Optional(
      List(Obj({ hostname: Str("The host name."), ipAddress: Str("Its IP address.") }, "An /etc/hosts entry."), "Extra /etc/hosts entries (not in awsvpc mode)."),
    ),
    dockerSecurityOptions: Optional(List(Str("A security option, e.g. no-new-privileges."), "Docker security options (EC2 only).")),
    interactive: Optional(Bool("Keep stdin open (docker run -i).")),
    pseudoTerminal: Optional(Bool("Allocate a TTY (docker run -t).")),
    dockerLabels: Optional(StringMap("Docker labels on the container.")),
    ulimits: Optional(List(ulimit, "Resource limits.")),
    logConfiguration: Optional(logConfiguration),
    healthCheck: Optional(healthCheck),
    systemControls: Optional(
      List(Obj({ namespace: Str("The kernel parameter, e.g. net.core.somaxconn."), value: Str("Its value.") }, "A namespaced kernel parameter."), "Kernel parameters (sysctls)."),
    ),
    resourceRequirements: Optional(
      List(
        Obj(
          { type: StringEnum(["GPU", "InferenceAccelerator"] as const, "The resource."), value: Str("How many GPUs, or the accelerator's device name.") },
          "A GPU or accelerator for the container.",
        ),
        "GPUs and accelerators (EC2 only).",
      ),
    ),
    firelensConfiguration: Optional(
      Obj(
        { type: StringEnum(["fluentbit", "fluentd"] as const, "The log router."), options: Optional(StringMap("Options for the log router.")) },
        "Makes this container the FireLens log router of the task.",
      ),
    ),
    credentialSpecs: Optional(List(Str("A credential spec ARN or path."), "Active Directory credential specs (gMSA).", { maxItems: 1 })),
  },
  "A container of the task, as in RegisterTaskDefinition's containerDefinitions.",
  {
    validations: [
      {
        rule: `!has(self.memory) || !has(self.memoryReservation) || !${numeric("self.memory")} || !${numeric("self.memoryReservation")} || ${asInt("self.memoryReservation")} <= ${asInt("self.memory")}`,
        messageExpression: `'container ' + self.name + ': memoryReservation ' + string(self.memoryReservation) + ' must not exceed its memory ' + string(self.memory)`,
        fieldPath: ".memoryReservation",
      },
      // Here rather than in the spec's rules: CEL cannot bound the cost of comparing against an
      // outer loop variable, and the API server rejects such rules.
      { rule: "!has(self.dependsOn) || self.dependsOn.all(d, d.containerName != self.name)", messageExpression: "'container ' + self.name + ' cannot depend on itself'", fieldPath: ".dependsOn" },
      { rule: "!has(self.links) || self.links.all(l, l.split(':')[0] != self.name)", messageExpression: "'container ' + self.name + ' cannot link to itself'", fieldPath: ".links" },
    ],
  },
);

const volume = Obj(
  {
    name: Str("The volume's name, referred to by mountPoints.", { minLength: 1, maxLength: NAME_MAX, pattern: "^[a-zA-Z0-9_-]+$" }),
    host: Optional(
      Obj({ sourcePath: Optional(Str("The path on the host; omitted, Docker picks one (a bind mount that lives as long as the task).")) }, "A bind mount from the host (EC2)."),
    ),
    dockerVolumeConfiguration: Optional(
      Obj(
        {
          scope: Optional(StringEnum(["task", "shared"] as const, "task (default): removed with the task; shared: kept after it.")),
          autoprovision: Optional(Bool("Create a shared volume if it does not exist (shared scope only).")),
          driver: Optional(Str("The Docker volume driver (default local).")),
          driverOpts: Optional(StringMap("Options for the driver.")),
          labels: Optional(StringMap("Labels on the Docker volume.")),
        },
        "A Docker volume (EC2).",
      ),
    ),
    efsVolumeConfiguration: Optional(
      Obj(
        {
          fileSystemId: Str("The EFS file system id."),
          rootDirectory: Optional(Str("The directory of the file system to mount (default /).")),
          transitEncryption: Optional(StringEnum(["ENABLED", "DISABLED"] as const, "Encrypt traffic to EFS (default DISABLED; required for IAM authorization).")),
          transitEncryptionPort: Optional(Int("The port for encrypted traffic.", { minimum: 0, maximum: 65535 })),
          authorizationConfig: Optional(
            Obj(
              {
                accessPointId: Optional(Str("An EFS access point id.")),
                iam: Optional(StringEnum(["ENABLED", "DISABLED"] as const, "Use the task role for EFS authorization (default DISABLED).")),
              },
              "Access point and IAM authorization for EFS.",
            ),
          ),
        },
        "An Amazon EFS file system.",
      ),
    ),
    fsxWindowsFileServerVolumeConfiguration: Optional(
      Obj(
        {
          fileSystemId: Str("The FSx for Windows File Server file system id."),
          rootDirectory: Str("The directory of the file system to mount."),
          authorizationConfig: Obj(
            { credentialsParameter: Str("The Secrets Manager or SSM ARN with the credentials."), domain: Str("The Active Directory domain.") },
            "Credentials for the file system.",
          ),
        },
        "An FSx for Windows File Server file system.",
      ),
    ),
    configuredAtLaunch: Optional(Bool("The volume is configured when a task or service is launched (Amazon EBS).")),
  },
  "A volume containers can mount.",
);

const FARGATE_PAIRS = [
  "(c == 256 && (m == 512 || m == 1024 || m == 2048))",
  "(c == 512 && m >= 1024 && m <= 4096 && m % 1024 == 0)",
  "(c == 1024 && m >= 2048 && m <= 8192 && m % 1024 == 0)",
  "(c == 2048 && m >= 4096 && m <= 16384 && m % 1024 == 0)",
  "(c == 4096 && m >= 8192 && m <= 30720 && m % 1024 == 0)",
  "(c == 8192 && m >= 16384 && m <= 61440 && m % 4096 == 0)",
  "(c == 16384 && m >= 32768 && m <= 122880 && m % 8192 == 0)",
]
  .join(" || ")
  .replaceAll("c ==", `${asInt("self.cpu")} ==`)
  .replaceAll(/\bm\b/g, asInt("self.memory"));

const fargate = "has(self.requiresCompatibilities) && 'FARGATE' in self.requiresCompatibilities";

const FARGATE_CPUS = [256, 512, 1024, 2048, 4096, 8192, 16384];
/** What memory each Fargate cpu takes, in words, for the message of the pair rule. */
const FARGATE_MEMORY: [number, string][] = [
  [256, "512, 1024 or 2048"],
  [512, "1024 to 4096 in steps of 1024"],
  [1024, "2048 to 8192 in steps of 1024"],
  [2048, "4096 to 16384 in steps of 1024"],
  [4096, "8192 to 30720 in steps of 1024"],
  [8192, "16384 to 61440 in steps of 4096"],
  [16384, "32768 to 122880 in steps of 8192"],
];
const fargateMemoryFor = FARGATE_MEMORY.reduceRight((otherwise, [cpu, memory]) => `(${asInt("self.cpu")} == ${cpu} ? '${memory}' : ${otherwise})`, "''");

const specValidations: CelRule[] = [
  {
    rule: "self.containerDefinitions.all(c, self.containerDefinitions.exists_one(d, d.name == c.name))",
    message: "container names must be unique",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "self.containerDefinitions.exists(c, !has(c.essential) || c.essential)",
    message: "at least one container must be essential (essential defaults to true)",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: `!(${fargate}) || (has(self.networkMode) && self.networkMode == 'awsvpc')`,
    messageExpression: `'FARGATE requires networkMode: awsvpc, got ' + (has(self.networkMode) ? self.networkMode : 'none (bridge by default)')`,
    fieldPath: ".networkMode",
  },
  {
    rule: `!(${fargate}) || has(self.cpu)`,
    message: `FARGATE requires task-level cpu: one of ${FARGATE_CPUS.join(", ")}`,
    fieldPath: ".cpu",
    reason: "FieldValueRequired",
  },
  {
    rule: `!(${fargate}) || has(self.memory)`,
    message: "FARGATE requires task-level memory in MiB, e.g. 512 with cpu 256",
    fieldPath: ".memory",
    reason: "FieldValueRequired",
  },
  {
    rule: `!(${fargate}) || !has(self.cpu) || !${numeric("self.cpu")} || ${asInt("self.cpu")} in [${FARGATE_CPUS.join(", ")}]`,
    messageExpression: `'cpu ' + string(self.cpu) + ' is not a Fargate size: Fargate takes cpu ${FARGATE_CPUS.join(", ")}'`,
    fieldPath: ".cpu",
  },
  {
    // Only for a Fargate cpu: another is reported by the rule above, on its own field.
    rule: `!(${fargate}) || !has(self.cpu) || !has(self.memory) || !${numeric("self.cpu")} || !${numeric("self.memory")} || !(${asInt("self.cpu")} in [${FARGATE_CPUS.join(", ")}]) || ${FARGATE_PAIRS}`,
    messageExpression: `'cpu ' + string(self.cpu) + ' with memory ' + string(self.memory) + ' is not a Fargate combination: cpu ' + string(self.cpu) + ' takes memory ' + ${fargateMemoryFor}`,
    fieldPath: ".memory",
  },
  {
    rule: `!(${fargate}) || !has(self.pidMode) || self.pidMode == 'task'`,
    messageExpression: "'FARGATE supports only pidMode: task, got ' + self.pidMode",
    fieldPath: ".pidMode",
  },
  {
    rule: `!(${fargate}) || !has(self.ipcMode)`,
    messageExpression: "'FARGATE does not support ipcMode (got ' + self.ipcMode + '): remove it'",
    fieldPath: ".ipcMode",
  },
  {
    rule: `!has(self.networkMode) || !(self.networkMode in ['awsvpc', 'host']) || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.hostPort) || !has(p.containerPort) || !${numeric("p.hostPort")} || !${numeric("p.containerPort")} || ${asInt("p.hostPort")} == ${asInt("p.containerPort")}))`,
    messageExpression: `'in ' + self.networkMode + " network mode a port mapping's hostPort must equal its containerPort (or be omitted)"`,
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "(has(self.networkMode) && self.networkMode == 'awsvpc') || self.containerDefinitions.all(c, !has(c.portMappings) || c.portMappings.all(p, !has(p.containerPortRange)))",
    messageExpression: "'containerPortRange needs networkMode: awsvpc, got ' + (has(self.networkMode) ? self.networkMode : 'none (bridge by default)')",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "!has(self.networkMode) || self.networkMode != 'awsvpc' || self.containerDefinitions.all(c, !has(c.links))",
    message: "links are not supported in awsvpc network mode",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "self.containerDefinitions.all(c, !has(c.links) || c.links.all(l, self.containerDefinitions.exists(o, o.name == l.split(':')[0])))",
    message: "links must name containers of this task definition",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "self.containerDefinitions.all(c, !has(c.dependsOn) || c.dependsOn.all(d, self.containerDefinitions.exists(o, o.name == d.containerName)))",
    message: "dependsOn must name containers of this task definition",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "self.containerDefinitions.all(c, !has(c.mountPoints) || c.mountPoints.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.sourceVolume)))",
    message: "every mountPoints[].sourceVolume must name one of volumes",
    fieldPath: ".containerDefinitions",
  },
  {
    rule: "!has(self.volumes) || self.volumes.all(v, self.volumes.exists_one(w, w.name == v.name))",
    message: "volume names must be unique",
    fieldPath: ".volumes",
  },
  {
    // The API reference (Volume.configuredAtLaunch): "Each task definition revision may only have one volume configured at launch".
    rule: "!has(self.volumes) || self.volumes.filter(v, has(v.configuredAtLaunch) && v.configuredAtLaunch).size() <= 1",
    message: "at most one volume can have configuredAtLaunch: true (ECS attaches one EBS volume per task)",
    fieldPath: ".volumes",
  },
  {
    rule: "has(oldSelf.family) == has(self.family) && (!has(self.family) || self.family == oldSelf.family)",
    message: "family is immutable: a different family is a different TaskDefinition object",
    fieldPath: ".family",
  },
];

const spec = specSchema(
  {
    family: Optional(
      Str(
        "The task definition family; every spec change registers a new revision in it. Defaults to <namespace>_<name> (with a hash suffix where that would be ambiguous or too long), so same-named objects in two namespaces never share a family. Other registrants of the same family (a CI pipeline, another object) may coexist: only revisions tagged with this object's uid are ever deregistered. Immutable.",
        { minLength: 1, maxLength: NAME_MAX, pattern: "^[a-zA-Z0-9_-]+$" },
      ),
    ),
    containerDefinitions: List(containerDefinition, "The containers of the task.", { minItems: 1, maxItems: MAX_CONTAINERS }),
    cpu: Optional(
      IntOrString("Task-level CPU units (1024 = 1 vCPU). Required for Fargate, with memory in one of the Fargate combinations.", [
        inRange(128, 196608, "task cpu"),
      ]),
    ),
    memory: Optional(IntOrString("Task-level memory in MiB. Required for Fargate, with cpu in one of the Fargate combinations.", [inRange(6, 1048576, "task memory")])),
    networkMode: Optional(
      StringEnum(["awsvpc", "bridge", "host", "none"] as const, "The Docker network mode: awsvpc (required for Fargate), bridge (the default on EC2), host or none."),
    ),
    requiresCompatibilities: Optional(
      List(StringEnum(["FARGATE", "EC2", "EXTERNAL", "MANAGED_INSTANCES"] as const, "A launch type to validate against."), "Launch types the task definition is validated against.", {
        maxItems: 4,
        "x-kubernetes-list-type": "set",
      }),
    ),
    executionRoleArn: Optional(Str("The role the ECS agent uses to pull images, read secrets and write logs.", { pattern: "^arn:" })),
    taskRoleArn: Optional(Str("The role the task's containers assume for AWS calls.", { pattern: "^arn:" })),
    volumes: Optional(List(volume, "Volumes the containers can mount: host bind mounts, Docker volumes, EFS, FSx.", { maxItems: MAX_VOLUMES })),
    runtimePlatform: Optional(
      Obj(
        {
          operatingSystemFamily: Optional(
            StringEnum(
              [
                "LINUX",
                "WINDOWS_SERVER_2019_FULL",
                "WINDOWS_SERVER_2019_CORE",
                "WINDOWS_SERVER_2022_FULL",
                "WINDOWS_SERVER_2022_CORE",
                "WINDOWS_SERVER_2025_FULL",
                "WINDOWS_SERVER_2025_CORE",
                "WINDOWS_SERVER_2004_CORE",
                "WINDOWS_SERVER_20H2_CORE",
                "WINDOWS_SERVER_2016_FULL",
              ] as const,
              "The operating system (Fargate).",
            ),
          ),
          cpuArchitecture: Optional(StringEnum(["X86_64", "ARM64"] as const, "The CPU architecture (Fargate).")),
        },
        "The operating system and CPU architecture of the task.",
      ),
    ),
    ephemeralStorage: Optional(
      Obj({ sizeInGiB: Int("Ephemeral storage in GiB (Fargate; default 20).", { minimum: 21, maximum: 200 }) }, "Fargate ephemeral storage beyond the default 20 GiB."),
    ),
    placementConstraints: Optional(
      List(
        Obj(
          { type: StringEnum(["memberOf"] as const, "The constraint type: memberOf."), expression: Str("A cluster query language expression, e.g. attribute:ecs.instance-type =~ t3.*.") },
          "A placement constraint (EC2).",
        ),
        "Where tasks may be placed (EC2).",
        { maxItems: 10 },
      ),
    ),
    pidMode: Optional(StringEnum(["host", "task"] as const, "The process namespace: host or task (Fargate: task only).")),
    ipcMode: Optional(StringEnum(["host", "task", "none"] as const, "The IPC namespace: host, task or none (not on Fargate).")),
    proxyConfiguration: Optional(
      Obj(
        {
          type: Optional(StringEnum(["APPMESH"] as const, "The proxy type: APPMESH.")),
          containerName: Str("The container that is the proxy."),
          properties: Optional(List(keyValue("proxy property"), "Proxy settings such as IgnoredUID, ProxyIngressPort, AppPorts.")),
        },
        "The App Mesh proxy of the task.",
      ),
    ),
    enableFaultInjection: Optional(Bool("Allow fault injection requests from the task's containers (default false).")),
    revisionHistoryLimit: Optional(
      Int(
        "How many of the revisions this object registered stay ACTIVE, newest first (default 5). Older ones are deregistered, except one an EcsService still uses; revisions registered by anyone else are never touched.",
        { minimum: 1, maximum: 100 },
      ),
    ),
  },
  "The desired task definition: the RegisterTaskDefinition input, in AWS's field names (task definition JSON pastes in as YAML).",
  { validations: specValidations },
);

const status = statusSchema(
  {
    family: Optional(Str("The task definition family in AWS.")),
    revision: Optional(Int("The newest revision this object registered: what the spec is in AWS.")),
    taskDefinitionArn: Optional(Str("The ARN of that revision (family:revision), which services roll to; the same as arn.")),
    ownedRevisions: Optional(
      List(Int("A revision number in family."), "The revision numbers this object registered that are still ACTIVE, ascending; revisions registered by anyone else never appear here."),
    ),
    fingerprint: Optional(
      Str("A hash of the normalised content and tags of revision, so that a periodic re-check can tell an unchanged spec without describing the revision."),
    ),
  },
  "What the operator observed in AWS.",
);

export const taskDefinitionKind: KindDefinition<typeof spec, typeof status> = {
  ...kindName("TaskDefinition"),
  singular: "taskdefinition",
  shortNames: ["taskdef", "td"],
  description: "An Amazon ECS task definition family: every spec change registers a new revision; old revisions of this object are deregistered beyond revisionHistoryLimit.",
  spec,
  status,
  printerColumns: printerColumns(
    [
      { name: "Family", type: "string", jsonPath: ".status.family", description: "The task definition family." },
      { name: "Revision", type: "integer", jsonPath: ".status.revision", description: "The newest revision this object registered." },
      { name: "ARN", type: "string", jsonPath: ".status.taskDefinitionArn", description: "The revision services roll to.", priority: 1 },
    ],
  ),

};

export type TaskDefinitionSpec = Static<typeof spec>;
export type TaskDefinitionStatus = Static<typeof status>;
export type TaskDefinitionObject = CustomObject<TaskDefinitionSpec, TaskDefinitionStatus>;
export type ContainerDefinitionSpec = Static<typeof containerDefinition>;
