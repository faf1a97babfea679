import { describe, expect, it } from "vitest";
import type { CloudMapServiceSpec } from "../../src/api/cloudmapservice.js";
import type { EcsServiceSpec } from "../../src/api/ecsservice.js";
import type { ListenerRuleSpec } from "../../src/api/listenerrule.js";
import type { TargetGroupSpec } from "../../src/api/targetgroup.js";
import type { ContainerDefinitionSpec, TaskDefinitionSpec } from "../../src/api/taskdefinition.js";
import { convertCompose, type ConvertResult } from "../../src/compose/convert.js";
import { ComposeError, formatWarning } from "../../src/compose/diagnostics.js";
import type { Manifest } from "../../src/compose/names.js";
import { renderManifests } from "../../src/compose/render.js";
import type { ConvertOptions } from "../../src/compose/settings.js";

interface Input {
  params?: string;
  options?: Omit<ConvertOptions, "defaultProjectName">;
  env?: Record<string, string>;
  profiles?: string[];
  files?: Record<string, string>;
}

function convert(compose: string, input: Input = {}): ConvertResult {
  return convertCompose({
    compose: { file: "compose.yaml", text: compose },
    ...(input.params !== undefined ? { ecsParams: { file: "ecs-params.yml", text: input.params } } : {}),
    env: input.env ?? {},
    profiles: input.profiles ?? [],
    readFile: (path) => input.files?.[path],
    options: { defaultProjectName: "proj", ...input.options },
  });
}

function problems(compose: string, input: Input = {}): string {
  try {
    convert(compose, input);
  } catch (err) {
    if (err instanceof ComposeError) return err.message;
    throw err;
  }
  throw new Error("converted, but an error was expected");
}

/** The spec of one object of the output; the kind says its type. */
const find = (r: ConvertResult, kind: Manifest["kind"], name: string): unknown => {
  const m = r.manifests.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ${r.manifests.map((x) => `${x.kind}/${x.metadata.name}`).join(", ")}`);
  return m.spec;
};
const taskOf = (r: ConvertResult, name: string) => find(r, "TaskDefinition", name) as TaskDefinitionSpec;
const containerOf = (r: ConvertResult, name: string, index = 0): ContainerDefinitionSpec => {
  const c = taskOf(r, name).containerDefinitions[index];
  if (!c) throw new Error(`no container ${String(index)} in ${name}`);
  return c;
};
const serviceOf = (r: ConvertResult, name: string) => find(r, "EcsService", name) as EcsServiceSpec;
const warningsOf = (r: ConvertResult, field: string) => r.warnings.filter((w) => w.field === field).map((w) => w.message);

const FARGATE = { launchType: "FARGATE" as const, vpcId: "vpc-0abc" };

describe("ports", () => {
  it("keeps host ports in bridge mode and leaves unpublished ones dynamic", () => {
    const r = convert(`services:\n  web:\n    image: nginx\n    ports: ["8080:80", "9000", "53:53/udp"]\n    expose: ["3000"]\n`);
    expect(containerOf(r, "web").portMappings).toEqual([
      { containerPort: 80, hostPort: 8080, protocol: "tcp" },
      { containerPort: 9000, protocol: "tcp" },
      { containerPort: 53, hostPort: 53, protocol: "udp" },
      { containerPort: 3000, protocol: "tcp" },
    ]);
    expect(r.manifests.filter((m) => m.kind === "TargetGroup").map((m) => [m.metadata.name, m.spec.protocol])).toEqual([
      ["web-80", "TCP"],
      ["web-9000", "TCP"],
      ["web-53", "UDP"],
    ]);
  });

  it("has no host ports in awsvpc mode, says so when the published port differs, and registers ip targets", () => {
    const r = convert(`services:\n  web:\n    image: nginx\n    ports: ["80:8080", "443:443"]\n`, { options: FARGATE });
    expect(containerOf(r, "web").portMappings).toEqual([
      { containerPort: 8080, protocol: "tcp" },
      { containerPort: 443, protocol: "tcp" },
    ]);
    expect(warningsOf(r, "services.web.ports[0]")).toEqual([expect.stringMatching(/no port translation: the container is reached on 8080; the published port 80/)]);
    expect((find(r, "TargetGroup", "web-8080") as TargetGroupSpec)).toEqual({ protocol: "HTTP", port: 8080, vpcId: "vpc-0abc", targetType: "ip" });
    expect(serviceOf(r, "web").loadBalancers).toEqual([
      { targetGroupRef: { name: "web-8080" }, containerName: "web", containerPort: 8080 },
      { targetGroupRef: { name: "web-443" }, containerName: "web", containerPort: 443 },
    ]);
  });

  it("takes the target group protocol from x-aws-protocol and the port name and app protocol from the long syntax", () => {
    const r = convert(`services:\n  api:\n    image: api\n    ports:\n      - target: 8443\n        published: 8443\n        name: api\n        app_protocol: grpc\n        x-aws-protocol: https\n`);
    expect(containerOf(r, "api").portMappings).toEqual([{ containerPort: 8443, hostPort: 8443, protocol: "tcp", name: "api", appProtocol: "grpc" }]);
    expect((find(r, "TargetGroup", "api-8443") as TargetGroupSpec).protocol).toBe("HTTPS");
  });

  it("maps ranges to containerPortRange in awsvpc mode without a target group, and warns about unsupported protocols", () => {
    const r = convert(`services:\n  rtp:\n    image: media\n    ports: ["10000-10002:10000-10002/udp", "5060:5060/sctp"]\n`, { options: FARGATE });
    expect(containerOf(r, "rtp").portMappings).toEqual([{ containerPortRange: "10000-10002", protocol: "udp" }]);
    expect(r.manifests.filter((m) => m.kind === "TargetGroup")).toEqual([]);
    expect(warningsOf(r, "services.rtp.ports[0]")).toEqual([expect.stringMatching(/port range gets no target group/)]);
    expect(warningsOf(r, "services.rtp.ports[1]")).toEqual([expect.stringMatching(/protocol sctp is not supported/)]);
  });
});

describe("container settings", () => {
  it("splits string commands, keeps lists, and maps the simple fields", () => {
    const r = convert(`services:
  app:
    image: app
    entrypoint: ["/sbin/tini", "--"]
    command: sh -c 'exec app --port "$$PORT"'
    working_dir: /srv
    user: "1000:1000"
    hostname: app-1
    read_only: true
    init: true
    tty: true
    stdin_open: true
    stop_grace_period: 45s
    labels: { team: web }
    cap_add: [NET_ADMIN]
    cap_drop: [ALL]
    extra_hosts: ["db.internal:10.0.0.5", "cache.internal=10.0.0.6"]
    dns: 10.0.0.2
    sysctls: ["net.core.somaxconn=1024"]
    ulimits: { nofile: { soft: 1024, hard: 4096 }, nproc: 512, bogus: 1 }
    mem_limit: 64m
`);
    const c = containerOf(r, "app");
    expect(c).toMatchObject({
      entryPoint: ["/sbin/tini", "--"],
      command: ["sh", "-c", 'exec app --port "$PORT"'],
      workingDirectory: "/srv",
      user: "1000:1000",
      hostname: "app-1",
      readonlyRootFilesystem: true,
      pseudoTerminal: true,
      interactive: true,
      stopTimeout: 45,
      dockerLabels: { team: "web" },
      linuxParameters: { initProcessEnabled: true, capabilities: { add: ["NET_ADMIN"], drop: ["ALL"] } },
      extraHosts: [
        { hostname: "db.internal", ipAddress: "10.0.0.5" },
        { hostname: "cache.internal", ipAddress: "10.0.0.6" },
      ],
      dnsServers: ["10.0.0.2"],
      systemControls: [{ namespace: "net.core.somaxconn", value: "1024" }],
      ulimits: [
        { name: "nofile", softLimit: 1024, hardLimit: 4096 },
        { name: "nproc", softLimit: 512, hardLimit: 512 },
      ],
      memory: 64,
    });
    expect(warningsOf(r, "services.app.ulimits.bogus")).toEqual([expect.stringMatching(/ECS knows the limits/)]);
  });

  it("drops what awsvpc and Fargate cannot do, naming each field", () => {
    const r = convert(`services:\n  app:\n    image: app\n    hostname: h\n    extra_hosts: ["a:1.2.3.4"]\n    dns_search: [corp]\n    privileged: true\n    shm_size: 1g\n    cap_add: [SYS_PTRACE, NET_ADMIN]\n    devices: ["/dev/fuse"]\n`, { options: FARGATE });
    const c = containerOf(r, "app");
    for (const field of ["hostname", "extraHosts", "dnsSearchDomains", "privileged"]) expect(c).not.toHaveProperty(field);
    expect(c.linuxParameters).toEqual({ capabilities: { add: ["SYS_PTRACE"] } });
    for (const field of ["hostname", "extra_hosts", "dns_search", "privileged", "shm_size", "cap_add", "devices"]) {
      expect(warningsOf(r, `services.app.${field}`), field).toHaveLength(1);
    }
  });

  it("warns about every Compose field ECS has no counterpart for", () => {
    const r = convert(`services:\n  app:\n    image: app\n    build: .\n    container_name: my-app\n    pull_policy: always\n    stop_signal: SIGINT\n    cpuset: "0,1"\n    oom_score_adj: 500\n    configs: [app_config]\n    restart: "no"\n    x-custom: 1\nconfigs:\n  app_config:\n    file: ./app.conf\n`);
    for (const field of ["build", "container_name", "pull_policy", "stop_signal", "cpuset", "oom_score_adj", "configs", "restart", "x-custom"]) {
      expect(warningsOf(r, `services.app.${field}`), field).toHaveLength(1);
    }
    expect(warningsOf(r, "configs.app_config")).toHaveLength(1);
  });

  it("warns about what the YAML parser noticed, a sidecar's own network mode, env file formats and models", () => {
    const r = convert(`services:
  app:
    image: !custom app
    network_mode: default
    env_file: [{ path: a.env, format: raw }]
  side:
    image: side
    network_mode: host
    x-ecs: { sidecar_of: app }
models:
  llm: { model: ai/smollm2 }
`, { files: { "a.env": "A=1\n" } });
    expect(r.warnings).toContainEqual({ file: "compose.yaml", line: 3, field: "YAML", message: "Unresolved tag: !custom" });
    expect(warningsOf(r, "services.app.network_mode")).toEqual([expect.stringMatching(/default ignored/)]);
    expect(warningsOf(r, "services.side.network_mode")).toEqual([expect.stringMatching(/a sidecar shares the network of app's task/)]);
    expect(warningsOf(r, "services.app.env_file[0].format")).toHaveLength(1);
    expect(warningsOf(r, "models")).toHaveLength(1);
  });

  it("quotes strings that YAML 1.1 (kubectl) would read as other types", () => {
    const r = convert(`services:\n  app:\n    image: app\n    environment:\n      DEBUG: "off"\n      FLAG: "yes"\n      MODE: "0755"\n      ON: "on"\n`);
    const yaml = renderManifests(r.manifests);
    expect(yaml).toContain('value: "off"');
    expect(yaml).toContain('value: "yes"');
    expect(yaml).toContain('value: "0755"');
    expect(yaml).toContain('- name: "ON"');
  });
});

describe("environment", () => {
  it("reads env files first, lets environment override, and takes bare names from the converting environment", () => {
    const r = convert(`services:\n  app:\n    image: app\n    env_file: [common.env, { path: optional.env, required: false }]\n    environment:\n      - LEVEL=debug\n      - FROM_SHELL\n      - UNSET\n`, {
      files: { "common.env": "LEVEL=info\nURL=http://${HOST:-localhost}:80\nQUOTED='$LITERAL'\n" },
      env: { FROM_SHELL: "shell value" },
    });
    expect(containerOf(r, "app").environment).toEqual([
      { name: "LEVEL", value: "debug" },
      { name: "URL", value: "http://localhost:80" },
      { name: "QUOTED", value: "$LITERAL" },
      { name: "FROM_SHELL", value: "shell value" },
    ]);
    expect(warningsOf(r, "services.app.environment[2]")).toEqual([expect.stringMatching(/UNSET has no value/)]);
    expect(warningsOf(r, "services.app.env_file[1]")).toEqual([expect.stringMatching(/optional\.env not found; skipped/)]);
  });

  it("keeps S3 env files as environmentFiles, which need an execution role", () => {
    const r = convert(`services:\n  app:\n    image: app\n    env_file: arn:aws:s3:::config-bucket/app.env\n`);
    expect(containerOf(r, "app").environmentFiles).toEqual([{ value: "arn:aws:s3:::config-bucket/app.env", type: "s3" }]);
    expect(warningsOf(r, "TaskDefinition app: spec.executionRoleArn")).toEqual([expect.stringMatching(/environment files in S3/)]);
  });

  it("fails on a missing required env file, naming the line", () => {
    expect(problems(`services:\n  app:\n    image: app\n    env_file: app.env\n`)).toBe("compose.yaml:4:5: services.app.env_file: env file app.env not found");
  });
});

describe("healthcheck", () => {
  it("turns a string test into CMD-SHELL, durations into seconds, and writes Compose's 30 s timeout out", () => {
    const r = convert(`services:\n  app:\n    image: app\n    healthcheck:\n      test: curl -f http://localhost/\n      interval: 1m30s\n      start_period: 500ms\n      retries: 0\n      start_interval: 2s\n`);
    expect(containerOf(r, "app").healthCheck).toEqual({ command: ["CMD-SHELL", "curl -f http://localhost/"], interval: 90, startPeriod: 1, timeout: 30, retries: 1 });
    expect(warningsOf(r, "services.app.healthcheck.retries")).toEqual(["ECS allows 1 to 10; 0 becomes 1"]);
    expect(warningsOf(r, "services.app.healthcheck.start_interval")).toHaveLength(1);
  });

  it("has no health check when it is disabled or NONE", () => {
    const r = convert(`services:\n  a:\n    image: a\n    healthcheck: { test: [NONE] }\n  b:\n    image: b\n    healthcheck: { test: [CMD, "true"], disable: true }\n`);
    expect(containerOf(r, "a")).not.toHaveProperty("healthCheck");
    expect(containerOf(r, "b")).not.toHaveProperty("healthCheck");
  });

  it("takes ecs-params.yml's healthcheck over Compose's, as ecs-cli did", () => {
    const r = convert(`services:\n  app:\n    image: app\n    healthcheck: { test: [CMD, old], interval: 10s }\n`, { params: `version: 1\ntask_definition:\n  services:\n    app:\n      healthcheck:\n        test: ["CMD-SHELL", "new"]\n        timeout: 5s\n` });
    expect(containerOf(r, "app").healthCheck).toEqual({ command: ["CMD-SHELL", "new"], interval: 10, timeout: 5 });
  });
});

describe("depends_on", () => {
  it("orders containers of one task and records the order between tasks that ECS cannot keep", () => {
    const r = convert(`services:
  app:
    image: app
    depends_on:
      migrate: { condition: service_completed_successfully }
      proxy: { condition: service_healthy }
      db: { condition: service_healthy }
  migrate:
    image: app
    x-ecs: { sidecar_of: app, essential: false }
  proxy:
    image: envoy
    x-ecs: { sidecar_of: app }
  db:
    image: postgres
    healthcheck: { test: pg_isready }
`);
    expect(containerOf(r, "app").dependsOn).toEqual([
      { containerName: "migrate", condition: "SUCCESS" },
      { containerName: "proxy", condition: "START" },
    ]);
    expect(containerOf(r, "app", 1).essential).toBe(false);
    expect(warningsOf(r, "services.app.depends_on.proxy")).toEqual([expect.stringMatching(/proxy has no healthcheck/)]);
    expect(warningsOf(r, "services.app.depends_on.db")).toEqual([expect.stringMatching(/ECS does not order services/)]);
    expect(r.manifests.find((m) => m.kind === "EcsService" && m.metadata.name === "app")?.metadata.annotations).toEqual({ "ecs.operator.dev/compose-depends-on": "db" });
    expect(r.manifests.filter((m) => m.kind === "EcsService").map((m) => m.metadata.name)).toEqual(["app", "db"]);
  });
});

describe("logging", () => {
  it("passes awslogs options through as strings and warns about missing required options", () => {
    const r = convert(`services:\n  app:\n    image: app\n    logging:\n      driver: awslogs\n      options: { awslogs-group: /ecs/app, awslogs-create-group: true }\n`, { options: FARGATE });
    expect(containerOf(r, "app").logConfiguration).toEqual({ logDriver: "awslogs", options: { "awslogs-group": "/ecs/app", "awslogs-create-group": "true" } });
    expect(warningsOf(r, "services.app.logging.options")).toEqual([expect.stringMatching(/needs awslogs-region and awslogs-stream-prefix/)]);
  });

  it("drops log drivers ECS lacks, and on Fargate all but awslogs, splunk and awsfirelens", () => {
    expect(warningsOf(convert(`services:\n  app:\n    image: app\n    logging: { driver: local }\n`), "services.app.logging.driver")).toEqual([expect.stringMatching(/local dropped/)]);
    const r = convert(`services:\n  app:\n    image: app\n    logging: { driver: json-file }\n`, { options: FARGATE });
    expect(containerOf(r, "app")).not.toHaveProperty("logConfiguration");
    expect(warningsOf(r, "services.app.logging.driver")).toEqual([expect.stringMatching(/on Fargate supports the log drivers awslogs, awsfirelens, splunk/)]);
  });
});

describe("replicas and rollouts", () => {
  it("maps deploy.replicas, scale and the default of one to desiredCount", () => {
    const r = convert(`services:\n  a:\n    image: a\n    deploy: { replicas: 3 }\n  b:\n    image: b\n    scale: 2\n  c:\n    image: c\n  d:\n    image: d\n    deploy: { replicas: 0 }\n`);
    expect(["a", "b", "c", "d"].map((n) => serviceOf(r, n).desiredCount)).toEqual([3, 2, 1, 0]);
  });

  it("maps update_config to deployment limits and the circuit breaker; x-aws percents win", () => {
    const r = convert(`services:\n  a:\n    image: a\n    deploy:\n      update_config: { order: stop-first, failure_action: rollback }\n  b:\n    image: b\n    deploy:\n      update_config: { order: start-first }\n    x-aws-min_percent: 50\n`);
    expect(serviceOf(r, "a").deploymentConfiguration).toEqual({ minimumHealthyPercent: 0, maximumPercent: 100, deploymentCircuitBreaker: { enable: true, rollback: true } });
    expect(serviceOf(r, "b").deploymentConfiguration).toEqual({ minimumHealthyPercent: 50, maximumPercent: 200 });
  });

  it("maps update_config's parallelism to the share of replicas replaced at once", () => {
    const r = convert(
      `services:\n  a:\n    image: a\n    deploy:\n      replicas: 4\n      update_config: { parallelism: 1 }\n  b:\n    image: b\n    deploy:\n      replicas: 3\n      update_config: { parallelism: 1, order: start-first, failure_action: rollback }\n  c:\n    image: c\n    deploy:\n      replicas: 3\n      update_config: { parallelism: 2 }\n  d:\n    image: d\n    deploy:\n      replicas: 2\n      update_config: { parallelism: 0, order: start-first }\n`,
    );
    // Stop-first (Swarm's default order), one of four at a time: three stay healthy.
    expect(serviceOf(r, "a").deploymentConfiguration).toEqual({ minimumHealthyPercent: 75, maximumPercent: 100 });
    // Start-first, one more than three: ECS runs floor(3 x 134 / 100) = 4 at most.
    expect(serviceOf(r, "b").deploymentConfiguration).toEqual({ minimumHealthyPercent: 100, maximumPercent: 134, deploymentCircuitBreaker: { enable: true, rollback: true } });
    // Two of three at a time: ceil(3 x 33 / 100) = 1 stays healthy.
    expect(serviceOf(r, "c").deploymentConfiguration).toEqual({ minimumHealthyPercent: 33, maximumPercent: 100 });
    // 0 is all at once.
    expect(serviceOf(r, "d").deploymentConfiguration).toEqual({ minimumHealthyPercent: 100, maximumPercent: 200 });
    expect(r.warnings.filter((w) => w.field.includes("parallelism"))).toEqual([]);
  });

  it("warns where update_config cannot be mapped", () => {
    const r = convert(`services:\n  a:\n    image: a\n    deploy:\n      replicas: 0\n      update_config: { parallelism: 1, delay: 10s, failure_action: pause }\n`);
    expect(warningsOf(r, "services.a.deploy.update_config.parallelism")).toHaveLength(1);
    expect(warningsOf(r, "services.a.deploy.update_config.delay")).toHaveLength(1);
    expect(warningsOf(r, "services.a.deploy.update_config.failure_action")).toHaveLength(1);
    expect(serviceOf(r, "a").deploymentConfiguration).toEqual({ minimumHealthyPercent: 0, maximumPercent: 100 });
  });

  it("runs global services as one task per instance on EC2 only", () => {
    expect(serviceOf(convert(`services:\n  agent:\n    image: agent\n    deploy: { mode: global }\n`), "agent")).toMatchObject({ schedulingStrategy: "DAEMON" });
    const r = convert(`services:\n  agent:\n    image: agent\n    deploy: { mode: global }\n`, { options: FARGATE });
    expect(serviceOf(r, "agent")).toMatchObject({ desiredCount: 1 });
    expect(warningsOf(r, "services.agent.deploy.mode")).toHaveLength(1);
  });
});

describe("resources", () => {
  it("maps limits and reservations to container cpu and memory, and rounds a Fargate task up with a warning", () => {
    const r = convert(`services:\n  app:\n    image: app\n    deploy:\n      resources:\n        limits: { cpus: "1.5", memory: 3G }\n        reservations: { cpus: "0.5", memory: 1G }\n`, { options: FARGATE });
    expect(containerOf(r, "app")).toMatchObject({ cpu: 512, memory: 3072, memoryReservation: 1024 });
    expect(taskOf(r, "app")).toMatchObject({ cpu: "2048", memory: "4096", networkMode: "awsvpc", requiresCompatibilities: ["FARGATE"] });
    expect(warningsOf(r, "TaskDefinition app: spec.cpu/spec.memory")).toEqual(["cpu 1536 / memory 3072 MiB is not a Fargate size; rounded up to cpu 2048 / memory 4096 MiB"]);
  });

  it("keeps a valid Fargate size silently and caps one beyond the largest", () => {
    const ok = convert(`services:\n  app:\n    image: app\n    deploy: { resources: { limits: { cpus: "1", memory: 2G } } }\n`, { options: FARGATE });
    expect(taskOf(ok, "app")).toMatchObject({ cpu: "1024", memory: "2048" });
    expect(ok.warnings.filter((w) => w.field.includes("spec.cpu"))).toEqual([]);
    const big = convert(`services:\n  app:\n    image: app\n    deploy: { resources: { limits: { cpus: "32", memory: 200G } } }\n`, { options: FARGATE });
    expect(taskOf(big, "app")).toMatchObject({ cpu: "16384", memory: "122880" });
    expect(warningsOf(big, "TaskDefinition app: spec.cpu/spec.memory")).toEqual([expect.stringMatching(/exceeds the largest Fargate size/)]);
  });

  it("gives an EC2 container without memory ecs-cli's 512 MiB, clamps a reservation above the limit, and reads bare numbers as bytes", () => {
    const r = convert(`services:\n  a:\n    image: a\n  b:\n    image: b\n    mem_limit: 256m\n    mem_reservation: 512m\n  c:\n    image: c\n    mem_limit: 512\n`);
    expect(containerOf(r, "a").memory).toBe(512);
    expect(warningsOf(r, "services.a")).toContainEqual(expect.stringMatching(/no memory limit or reservation/));
    expect(containerOf(r, "b")).toMatchObject({ memory: 256, memoryReservation: 256 });
    expect(containerOf(r, "c").memory).toBe(6);
    expect(warningsOf(r, "services.c.mem_limit")).toEqual([expect.stringMatching(/512 is 512 bytes, below ECS's minimum of 6 MiB.*did you mean 512m/)]);
  });

  it("takes ecs-params.yml's cpu_shares, mem_limit and mem_reservation over Compose's", () => {
    const r = convert(`services:\n  app:\n    image: app\n    mem_limit: 1g\n    cpu_shares: 100\n`, { params: `version: 1\ntask_definition:\n  services:\n    app:\n      cpu_shares: 256\n      mem_limit: 0.5GB\n      mem_reservation: 256MB\n` });
    expect(containerOf(r, "app")).toMatchObject({ cpu: 256, memory: 512, memoryReservation: 256 });
  });

  it("requests GPUs on EC2 and drops them on Fargate", () => {
    const gpu = `services:\n  ml:\n    image: ml\n    deploy:\n      resources:\n        reservations:\n          devices: [{ capabilities: [gpu], count: 2 }]\n`;
    expect(containerOf(convert(gpu), "ml").resourceRequirements).toEqual([{ type: "GPU", value: "2" }]);
    expect(warningsOf(convert(gpu, { options: FARGATE }), "services.ml.deploy.resources")).toEqual([expect.stringMatching(/Fargate has no GPUs/)]);
  });
});

describe("secrets", () => {
  const secrets = `
secrets:
  db:
    external: true
    name: arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf
    x-aws-keys: [user, password]
  token:
    external: true
    name: /app/token
  local:
    file: ./local.txt
`;
  it("reads external secrets by ARN, picks JSON keys, and warns about file secrets and plain names", () => {
    const r = convert(`services:\n  app:\n    image: app\n    secrets: [db, { source: token, target: API_TOKEN, mode: 0400 }, local]\n${secrets}`);
    expect(containerOf(r, "app").secrets).toEqual([
      { name: "DB_USER", valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf:user::" },
      { name: "DB_PASSWORD", valueFrom: "arn:aws:secretsmanager:us-east-1:111122223333:secret:db-AbCdEf:password::" },
      { name: "API_TOKEN", valueFrom: "/app/token" },
    ]);
    expect(warningsOf(r, "services.app.secrets[0]")).toEqual([expect.stringMatching(/files under \/run\/secrets\/db; ECS sets the environment variables DB_USER, DB_PASSWORD/)]);
    expect(warningsOf(r, "services.app.secrets[1]")).toEqual([expect.stringMatching(/the file \/run\/secrets\/API_TOKEN; ECS sets the environment variable API_TOKEN instead; mode ignored/)]);
    expect(warningsOf(r, "services.app.secrets[2]")).toEqual([expect.stringMatching(/local file \.\/local\.txt.*Dropped/)]);
    expect(warningsOf(r, "secrets.token")).toEqual([expect.stringMatching(/not an ARN; ECS reads a plain name as an SSM parameter/)]);
    expect(warningsOf(r, "TaskDefinition app: spec.executionRoleArn")).toEqual([expect.stringMatching(/needed for secrets/)]);
  });

  it("adds ecs-params.yml's secrets and takes its execution role", () => {
    const r = convert(`services:\n  app:\n    image: app\n`, {
      params: `version: 1\ntask_definition:\n  task_execution_role: arn:aws:iam::111122223333:role/exec\n  services:\n    app:\n      secrets:\n        - value_from: arn:aws:ssm:us-east-1:111122223333:parameter/key\n          name: KEY\n`,
    });
    expect(containerOf(r, "app").secrets).toEqual([{ name: "KEY", valueFrom: "arn:aws:ssm:us-east-1:111122223333:parameter/key" }]);
    expect(taskOf(r, "app").executionRoleArn).toBe("arn:aws:iam::111122223333:role/exec");
    expect(r.warnings.filter((w) => w.field.endsWith("executionRoleArn"))).toEqual([]);
  });
});

describe("volumes", () => {
  it("maps a named volume to one EFS placeholder, warned about once, and anonymous volumes and host paths to task volumes", () => {
    const r = convert(`services:\n  a:\n    image: a\n    volumes: [data:/data, /cache, "/var/run/docker.sock:/var/run/docker.sock:ro"]\n  b:\n    image: b\n    volumes: ["data:/srv/data:ro", ./src:/src]\nvolumes:\n  data:\n`);
    expect(taskOf(r, "a").volumes).toEqual([
      { name: "data", efsVolumeConfiguration: { fileSystemId: "fs-00000000000000000" } },
      { name: "a-cache" },
      { name: "host-var-run-docker-sock", host: { sourcePath: "/var/run/docker.sock" } },
    ]);
    expect(containerOf(r, "a").mountPoints).toEqual([
      { sourceVolume: "data", containerPath: "/data" },
      { sourceVolume: "a-cache", containerPath: "/cache" },
      { sourceVolume: "host-var-run-docker-sock", containerPath: "/var/run/docker.sock", readOnly: true },
    ]);
    expect(containerOf(r, "b").mountPoints).toEqual([{ sourceVolume: "data", containerPath: "/srv/data", readOnly: true }]);
    expect(warningsOf(r, "volumes.data")).toHaveLength(1);
    expect(warningsOf(r, "services.b.volumes[1]")).toEqual([expect.stringMatching(/local path \.\/src does not exist/)]);
  });

  it("takes EFS and Docker volume settings from ecs-params.yml", () => {
    const r = convert(`services:\n  a:\n    image: a\n    volumes: [efs:/efs, dock:/dock]\nvolumes:\n  efs:\n  dock:\n`, {
      params: `version: 1\ntask_definition:\n  efs_volumes:\n    - name: efs\n      filesystem_id: fs-1234\n      transit_encryption: ENABLED\n  docker_volumes:\n    - name: dock\n      scope: shared\n      autoprovision: true\n      driver: rexray/ebs\n`,
    });
    expect(taskOf(r, "a").volumes).toEqual([
      { name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1234", transitEncryption: "ENABLED" } },
      { name: "dock", dockerVolumeConfiguration: { scope: "shared", autoprovision: true, driver: "rexray/ebs" } },
    ]);
    expect(r.warnings.filter((w) => w.field.startsWith("volumes."))).toEqual([]);
  });

  it("maps tmpfs on EC2 (with ECS's required size) and drops it on Fargate", () => {
    const r = convert(`services:\n  a:\n    image: a\n    tmpfs: [/run, "/tmp:size=32m"]\n    volumes: [{ type: tmpfs, target: /scratch, tmpfs: { size: 1g } }]\n`);
    expect(containerOf(r, "a").linuxParameters?.tmpfs).toEqual([
      { containerPath: "/scratch", size: 1024 },
      { containerPath: "/run", size: 64 },
      { containerPath: "/tmp", size: 32 },
    ]);
    expect(warningsOf(r, "services.a.tmpfs[0]")).toEqual([expect.stringMatching(/needs a size for a tmpfs mount; using 64 MiB/)]);
    const f = convert(`services:\n  a:\n    image: a\n    tmpfs: /run\n`, { options: FARGATE });
    expect(containerOf(f, "a")).not.toHaveProperty("linuxParameters");
    expect(warningsOf(f, "services.a.tmpfs")).toEqual([expect.stringMatching(/not available on Fargate/)]);
  });
});

describe("ecs-params.yml task and run settings", () => {
  it("sets roles, network mode, awsvpc settings, placement and pid/ipc modes", () => {
    const r = convert(`services:\n  app:\n    image: app\n    mem_limit: 128m\n`, {
      params: `version: 1
task_definition:
  ecs_network_mode: awsvpc
  task_role_arn: arn:aws:iam::111122223333:role/app
  pid_mode: task
  ipc_mode: none
  placement_constraints:
    - type: memberOf
      expression: attribute:ecs.instance-type =~ t3.*
run_params:
  network_configuration:
    awsvpc_configuration:
      subnets: [subnet-1, subnet-2]
      security_groups: [sg-1]
      assign_public_ip: DISABLED
  task_placement:
    strategy:
      - type: spread
        field: attribute:ecs.availability-zone
    constraints:
      - type: distinctInstance
`,
    });
    expect(taskOf(r, "app")).toMatchObject({
      networkMode: "awsvpc",
      requiresCompatibilities: ["EC2"],
      taskRoleArn: "arn:aws:iam::111122223333:role/app",
      pidMode: "task",
      ipcMode: "none",
      placementConstraints: [{ type: "memberOf", expression: "attribute:ecs.instance-type =~ t3.*" }],
    });
    expect(serviceOf(r, "app")).toMatchObject({
      launchType: "EC2",
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-1", "subnet-2"], securityGroups: ["sg-1"], assignPublicIp: "DISABLED" } },
      placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }],
      placementConstraints: [{ type: "distinctInstance" }],
    });
  });

  it("uses awsvpc on Fargate whatever ecs-params.yml says, and rounds its task_size up", () => {
    const r = convert(`services:\n  app:\n    image: app\n`, { options: { launchType: "FARGATE" }, params: `version: 1\ntask_definition:\n  ecs_network_mode: bridge\n  task_size: { cpu_limit: "0.25 vCPU", mem_limit: 3GB }\n` });
    expect(taskOf(r, "app")).toMatchObject({ networkMode: "awsvpc", cpu: "512", memory: "3072" });
    expect(warningsOf(r, "task_definition.ecs_network_mode")).toEqual([expect.stringMatching(/only the awsvpc network mode/)]);
    expect(warningsOf(r, "TaskDefinition app: spec.cpu/spec.memory")).toEqual(["cpu 256 / memory 3072 MiB is not a Fargate size; rounded up to cpu 512 / memory 3072 MiB"]);
  });

  it("reports unusable ecs-params.yml values as errors at their line, and unknown services as warnings", () => {
    expect(problems(`services:\n  app:\n    image: app\n`, { params: `version: 1\ntask_definition:\n  task_size:\n    cpu_limit: lots\n` })).toBe(
      `ecs-params.yml:4:5: task_definition.task_size.cpu_limit: invalid CPU "lots": expected CPU units (256) or vCPUs ("0.25 vCPU")`,
    );
    const r = convert(`services:\n  app:\n    image: app\n`, { params: `version: 1\ntask_definition:\n  services:\n    ghost:\n      cpu_shares: 1\n` });
    expect(r.warnings).toContainEqual({ file: "ecs-params.yml", line: 4, field: "task_definition.services.ghost", message: "no Compose service named ghost; these settings are not used" });
  });
});

describe("service discovery", () => {
  it("creates a private DNS namespace for the project and A records for awsvpc tasks", () => {
    const r = convert(`name: Shop_App\nservices:\n  api:\n    image: api\n`, { options: FARGATE });
    expect(r.project).toBe("shop-app");
    expect(find(r, "CloudMapNamespace", "shop-app")).toEqual({ type: "DnsPrivate", name: "shop-app.local", vpc: "vpc-0abc", description: "Service discovery for the Compose project shop-app" });
    expect((find(r, "CloudMapService", "api") as CloudMapServiceSpec)).toEqual({
      name: "api",
      namespaceRef: { name: "shop-app" },
      dnsConfig: { routingPolicy: "MULTIVALUE", dnsRecords: [{ type: "A", ttl: 60 }] },
      healthCheckCustomConfig: { failureThreshold: 1 },
    });
    expect(serviceOf(r, "api").serviceRegistries).toEqual([{ cloudMapServiceRef: { name: "api" } }]);
  });

  it("registers bridge tasks with SRV records on their first port, and uses an existing namespace from ecs-params.yml", () => {
    const r = convert(`services:\n  api:\n    image: api\n    expose: ["8080"]\n`, { params: `version: 1\nrun_params:\n  service_discovery:\n    private_dns_namespace:\n      id: ns-abc123\n      name: corp.local\n    service_discovery_service:\n      dns_config: { type: A, ttl: 10 }\n` });
    expect(r.manifests.filter((m) => m.kind === "CloudMapNamespace")).toEqual([]);
    expect((find(r, "CloudMapService", "api") as CloudMapServiceSpec)).toMatchObject({ namespaceId: "ns-abc123", dnsConfig: { dnsRecords: [{ type: "SRV", ttl: 10 }] } });
    expect(serviceOf(r, "api").serviceRegistries).toEqual([{ cloudMapServiceRef: { name: "api" }, containerName: "api", containerPort: 8080 }]);
    expect(warningsOf(r, "run_params.service_discovery.service_discovery_service.dns_config.type")).toEqual([expect.stringMatching(/A records need awsvpc/)]);
  });
});

describe("service discovery through Service Connect (--service-discovery connect)", () => {
  const twoServices = `name: shop\nservices:\n  web:\n    image: web\n    ports: ["80:80"]\n    environment: { API_URL: "http://api:8080" }\n  api:\n    image: api\n    expose: ["8080"]\n  worker:\n    image: worker\n`;

  it("puts every service in one HTTP namespace, reachable by its Compose name on its first port, with no Cloud Map services", () => {
    const r = convert(twoServices, { options: { ...FARGATE, serviceDiscovery: "connect" } });
    expect(find(r, "CloudMapNamespace", "shop")).toEqual({ type: "Http", name: "shop", description: "Service Connect namespace of the Compose project shop" });
    expect(r.manifests.filter((m) => m.kind === "CloudMapService")).toEqual([]);
    expect(serviceOf(r, "api").serviceRegistries).toBeUndefined();
    expect(serviceOf(r, "api").serviceConnectConfiguration).toEqual({
      enabled: true,
      namespaceRef: { name: "shop" },
      services: [{ portName: "api-8080", discoveryName: "api", clientAliases: [{ port: 8080, dnsName: "api" }] }],
    });
    // The port mapping carries the name Service Connect refers to.
    expect(containerOf(r, "api").portMappings).toEqual([expect.objectContaining({ name: "api-8080", containerPort: 8080 })]);
    // A service without a port is a client only: it reaches the others, nobody reaches it.
    expect(serviceOf(r, "worker").serviceConnectConfiguration).toEqual({ enabled: true, namespaceRef: { name: "shop" } });
  });

  it("is off by default: Cloud Map DNS, as Docker's ECS integration did", () => {
    const r = convert(twoServices, { options: FARGATE });
    expect(serviceOf(r, "api").serviceConnectConfiguration).toBeUndefined();
    expect((find(r, "CloudMapNamespace", "shop") as { type: string }).type).toBe("DnsPrivate");
    expect(containerOf(r, "api").portMappings?.[0]?.name).toBeUndefined();
  });

  it("says that ecs-params.yml's Cloud Map settings do not apply", () => {
    const r = convert(twoServices, { options: { ...FARGATE, serviceDiscovery: "connect" }, params: `version: 1\nrun_params:\n  service_discovery:\n    private_dns_namespace:\n      name: corp.local\n` });
    expect(warningsOf(r, "run_params.service_discovery")).toEqual([expect.stringContaining("do not apply with --service-discovery connect")]);
  });
});

describe("clusters, VPCs and listeners", () => {
  it("creates the project's EcsCluster, or uses an existing one, or an AWS cluster named by x-aws-cluster", () => {
    expect(serviceOf(convert(`services:\n  a:\n    image: a\n`), "a").clusterRef).toEqual({ name: "proj" });
    const existing = convert(`services:\n  a:\n    image: a\n`, { options: { cluster: "prod" } });
    expect(existing.manifests.some((m) => m.kind === "EcsCluster")).toBe(false);
    expect(serviceOf(existing, "a").clusterRef).toEqual({ name: "prod" });
    const literal = convert(`x-aws-cluster: arn:aws:ecs:us-east-1:111122223333:cluster/legacy\nservices:\n  a:\n    image: a\n`);
    expect(serviceOf(literal, "a")).toMatchObject({ cluster: "arn:aws:ecs:us-east-1:111122223333:cluster/legacy" });
    expect(serviceOf(literal, "a")).not.toHaveProperty("clusterRef");
  });

  it("routes each HTTP service from the listener by its own path, in priority steps, and honours x-ecs.listener_rule", () => {
    const listenerArn = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/lb/1/2";
    const r = convert(
      `services:\n  web:\n    image: web\n    ports: ["80:80"]\n    x-ecs: { listener_rule: { priority: 10, host_headers: [www.example.com] } }\n  api:\n    image: api\n    ports: ["443:8443"]\n  db:\n    image: db\n    ports: ["5432:5432"]\n`,
      { options: { listenerArn, vpcId: "vpc-1" } },
    );
    expect((find(r, "ListenerRule", "web") as ListenerRuleSpec)).toEqual({
      listenerArn,
      priority: 10,
      conditions: [{ field: "host-header", hostHeaderConfig: { values: ["www.example.com"] } }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web-80" } }] } }],
    });
    expect((find(r, "ListenerRule", "api") as ListenerRuleSpec)).toMatchObject({ priority: 20, conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/api", "/api/*"] } }] });
    expect(r.manifests.some((m) => m.kind === "ListenerRule" && m.metadata.name === "db")).toBe(false);
    expect(warningsOf(r, "services.db.ports")).toEqual([expect.stringMatching(/no HTTP port/)]);
  });

  it("rejects two services asking for one listener rule priority, and warns about a rule without a listener", () => {
    const listenerArn = "arn:aws:elasticloadbalancing:us-east-1:111122223333:listener/app/lb/1/2";
    const twice = `services:\n  a:\n    image: a\n    ports: ["80:80"]\n    x-ecs: { listener_rule: { priority: 5 } }\n  b:\n    image: b\n    ports: ["80:80"]\n    x-ecs: { listener_rule: { priority: 5 } }\n`;
    expect(problems(twice, { options: { listenerArn } })).toMatch(/compose.yaml:\d+:\d+: services\.(a|b)\.x-ecs\.listener_rule\.priority: priority 5 is also/);
    expect(warningsOf(convert(twice), "services.a.x-ecs.listener_rule")).toEqual([expect.stringMatching(/no listener to put the rule on/)]);
  });

  it("warns about Docker ECS integration settings it cannot keep", () => {
    const r = convert(`x-aws-loadbalancer: arn:aws:elasticloadbalancing:us-east-1:111122223333:loadbalancer/app/lb/1\nx-aws-cloudformation: { Resources: {} }\nx-aws-unknown: 1\nx-anchors: &a { image: a }\nservices:\n  a: *a\n`);
    expect(warningsOf(r, "x-aws-loadbalancer")).toEqual([expect.stringMatching(/pass --listener-arn/)]);
    expect(warningsOf(r, "x-aws-cloudformation")).toHaveLength(1);
    expect(warningsOf(r, "x-aws-unknown")).toHaveLength(1);
    expect(warningsOf(r, "x-anchors")).toEqual([]);
  });
});

describe("profiles and names", () => {
  it("converts every profile with *, and fails when an enabled service needs a disabled one", () => {
    const compose = `services:\n  app:\n    image: app\n    depends_on: [debug]\n  debug:\n    image: debug\n    profiles: [dev]\n`;
    expect(problems(compose)).toBe("compose.yaml:4:18: services.app.depends_on[0]: depends on debug, which is not enabled by the active profiles");
    expect(convert(compose, { profiles: ["*"] }).manifests.filter((m) => m.kind === "EcsService")).toHaveLength(2);
  });

  it("names objects after services in Kubernetes' rules and refuses two services that would share a name", () => {
    const r = convert(`services:\n  Web_Front:\n    image: web\n`);
    expect(r.manifests.find((m) => m.kind === "EcsService")?.metadata.name).toBe("web-front");
    expect(containerOf(r, "web-front").name).toBe("Web_Front");
    expect(problems(`services:\n  web_a:\n    image: a\n  web-a:\n    image: b\n`)).toMatch(/services\.web-a: web-a and web_a both become the object name web-a/);
  });

  it("puts every object in the namespace asked for, labelled with the project", () => {
    const r = convert(`services:\n  a:\n    image: a\n`, { options: { namespace: "team-a", projectName: "Billing" } });
    for (const m of r.manifests) expect(m.metadata).toMatchObject({ namespace: "team-a", labels: { "app.kubernetes.io/part-of": "billing" } });
  });
});

describe("invalid input", () => {
  it.each([
    ["services: [web]\n", /compose\.yaml:1:\d+: services: expected object/],
    ["services:\n  web:\n    image: nginx\n    ports: [{ published: 80 }]\n", /compose\.yaml:4:\d+: services\.web\.ports\[0\]\.target: required field is missing/],
    ["services:\n  web:\n    image: nginx\n    healthcheck: { test: [curl, x] }\n", /healthcheck\.test: a healthcheck test list starts with "CMD", "CMD-SHELL" or "NONE"/],
    ["services:\n  web:\n    image: nginx\n    healthcheck: { interval: 30 }\n", /services\.web\.healthcheck\.interval: expected a duration such as 30s/],
    ["services:\n  web:\n    image: nginx\n    extends: base\n", /extends is not supported/],
    ["services:\n  web:\n    image: nginx\n    x-ecs: { sidecar_of: nope, typo: 1 }\n", /x-ecs\.typo: unknown field/],
    ["services:\n  web:\n    image: nginx\n    x-ecs: { sidecar_of: nope }\n", /x-ecs\.sidecar_of: unknown service "nope"/],
    ["services:\n  web:\n    image: nginx\n    command: echo 'oops\n", /services\.web\.command: unterminated quote/],
    ["services: {}\n", /no services defined/],
    ["- just\n- a list\n", /a Compose file is a mapping with a services key/],
  ])("rejects %j", (compose, message) => {
    expect(problems(compose)).toMatch(message);
  });

  it("names the lines of every problem at once, in file order", () => {
    const message = problems(`services:\n  a:\n    image: a\n    depends_on: [missing]\n  b:\n    ports: ["x"]\n`);
    expect(message.split("\n")).toEqual([
      'compose.yaml:4:18: services.a.depends_on[0]: unknown service "missing"',
      "compose.yaml:5:3: services.b: no image: ECS runs images from a registry; build and push the image, then set image",
      'compose.yaml:6:13: services.b.ports[0]: invalid port "x": "x" is not a port or a port range',
    ]);
  });

  it("formats a warning with its file and line", () => {
    const r = convert(`services:\n  a:\n    image: a\n    container_name: x\n`);
    expect(r.warnings.map(formatWarning)).toContain("compose.yaml:4: services.a.container_name: ECS names the container after the service");
  });
});
