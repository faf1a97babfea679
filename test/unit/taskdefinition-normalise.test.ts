import type { ContainerDefinition, RegisterTaskDefinitionCommandInput, TaskDefinition } from "@aws-sdk/client-ecs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { TaskDefinitionObject, TaskDefinitionSpec } from "../../src/api/taskdefinition.js";
import { desiredContent, desiredFingerprint, registerInput } from "../../src/controllers/taskdefinition/mapping.js";
import { canonicalContent, contentDifferences, fingerprint, taskUnits } from "../../src/controllers/taskdefinition/normalise.js";
import { repoRoot } from "../env/paths.js";

function taskDefinition(spec: TaskDefinitionSpec, namespace = "team-a", name = "web"): TaskDefinitionObject {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "TaskDefinition", metadata: { name, namespace, uid: "u-1", generation: 1 }, spec };
}

/**
 * What DescribeTaskDefinition answers for a registered input, shaped like real ECS answers: every
 * default ECS fills in (container cpu 0, essential, hostPort in awsvpc/host mode, protocol tcp,
 * health check timings, empty lists, EFS root directory and encryption, Docker volume scope and
 * driver, ...), the fields it adds (ARN, revision, status, compatibilities, requiresAttributes,
 * registeredAt/By), and lists in an order of its own. moto fills only a few of these, so this is
 * where the normaliser proves it absorbs them.
 */
function asAwsAnswers(input: RegisterTaskDefinitionCommandInput): TaskDefinition {
  const networkMode = input.networkMode ?? "bridge";
  const container = (c: ContainerDefinition): ContainerDefinition => ({
    ...c,
    cpu: c.cpu ?? 0,
    essential: c.essential ?? true,
    portMappings: (c.portMappings ?? []).map((p) => ({
      ...p,
      protocol: p.protocol ?? "tcp",
      ...(p.containerPort !== undefined ? { hostPort: p.hostPort ?? (networkMode === "bridge" ? 0 : p.containerPort) } : {}),
    })),
    environment: [...(c.environment ?? [])].reverse(),
    mountPoints: (c.mountPoints ?? []).map((m) => ({ ...m, readOnly: m.readOnly ?? false })),
    volumesFrom: c.volumesFrom ?? [],
    systemControls: c.systemControls ?? [],
    ulimits: c.ulimits ? [...c.ulimits].reverse() : undefined,
    secrets: c.secrets ? [...c.secrets].reverse() : undefined,
    versionConsistency: c.versionConsistency ?? "enabled",
    ...(c.healthCheck ? { healthCheck: { interval: 30, timeout: 5, retries: 3, startPeriod: 0, ...c.healthCheck } } : {}),
    ...(c.logConfiguration ? { logConfiguration: { ...c.logConfiguration, secretOptions: c.logConfiguration.secretOptions ?? [] } } : {}),
    ...(c.linuxParameters ? { linuxParameters: { capabilities: {}, devices: [], tmpfs: [], ...c.linuxParameters } } : {}),
  });
  return {
    ...input,
    taskDefinitionArn: `arn:aws:ecs:us-east-1:123456789012:task-definition/${input.family ?? ""}:7`,
    revision: 7,
    status: "ACTIVE",
    networkMode,
    containerDefinitions: [...(input.containerDefinitions ?? [])].map(container).reverse(),
    volumes: (input.volumes ?? []).map((v) => ({
      ...v,
      ...(v.efsVolumeConfiguration ? { efsVolumeConfiguration: { rootDirectory: "/", transitEncryption: "DISABLED", ...v.efsVolumeConfiguration } } : {}),
      ...(v.dockerVolumeConfiguration ? { dockerVolumeConfiguration: { scope: "task", driver: "local", ...v.dockerVolumeConfiguration } } : {}),
    })),
    placementConstraints: input.placementConstraints ?? [],
    requiresCompatibilities: input.requiresCompatibilities ? [...input.requiresCompatibilities].reverse() : undefined,
    compatibilities: ["EC2", "FARGATE"],
    requiresAttributes: [{ name: "com.amazonaws.ecs.capability.logging-driver.awslogs" }],
    registeredAt: new Date("2026-01-01T00:00:00Z"),
    registeredBy: "arn:aws:sts::123456789012:assumed-role/ecs-operator/i-1",
    enableFaultInjection: input.enableFaultInjection ?? false,
  };
}

function noDifference(spec: TaskDefinitionSpec): string[] {
  const obj = taskDefinition(spec);
  return contentDifferences(desiredContent(obj), canonicalContent(asAwsAnswers(registerInput(obj))));
}

const web = { name: "web", image: "httpd:2.4" };

describe("TaskDefinition normaliser", () => {
  it.each(["taskdefinition-fargate-webserver.yaml", "taskdefinition-application-stack.yaml"])("sees no difference between the seed example %s and what AWS answers for it", (file) => {
    const manifest = parse(readFileSync(join(repoRoot, "examples", file), "utf8")) as { spec: TaskDefinitionSpec };
    expect(noDifference(manifest.spec)).toEqual([]);
  });

  it.each<[string, TaskDefinitionSpec]>([
    ["container cpu 0, essential true, empty lists", { containerDefinitions: [{ ...web, memory: 512 }] }],
    ["awsvpc hostPort = containerPort and protocol tcp", { networkMode: "awsvpc", containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 80 }, { containerPort: 443 }] }] }],
    ["host mode hostPort = containerPort", { networkMode: "host", containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 8080, protocol: "udp" }] }] }],
    ["bridge mode dynamic hostPort 0", { networkMode: "bridge", containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 80 }] }] }],
    ["no networkMode means bridge", { containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 80 }] }] }],
    ["health check interval/timeout/retries/startPeriod", { containerDefinitions: [{ ...web, memory: 512, healthCheck: { command: ["CMD-SHELL", "true"] } }] }],
    ["mount point readOnly false", { volumes: [{ name: "data" }], containerDefinitions: [{ ...web, memory: 512, mountPoints: [{ sourceVolume: "data", containerPath: "/d" }] }] }],
    ["EFS root directory / and transit encryption DISABLED", { volumes: [{ name: "efs", efsVolumeConfiguration: { fileSystemId: "fs-1" } }], containerDefinitions: [{ ...web, memory: 512 }] }],
    ["Docker volume scope task and driver local", { volumes: [{ name: "scratch", dockerVolumeConfiguration: {} }], containerDefinitions: [{ ...web, memory: 512 }] }],
    ["log configuration secretOptions []", { containerDefinitions: [{ ...web, memory: 512, logConfiguration: { logDriver: "awslogs", options: { "awslogs-group": "/ecs/web" } } }] }],
    ["linuxParameters empty capabilities/devices/tmpfs", { containerDefinitions: [{ ...web, memory: 512, linuxParameters: { initProcessEnabled: true } }] }],
    [
      "environment, secrets and ulimits in another order",
      {
        containerDefinitions: [
          {
            ...web,
            memory: 512,
            environment: [{ name: "B", value: "2" }, { name: "A", value: "1" }],
            secrets: [{ name: "S2", valueFrom: "arn:aws:ssm:us-east-1:1:parameter/b" }, { name: "S1", valueFrom: "arn:aws:ssm:us-east-1:1:parameter/a" }],
            ulimits: [{ name: "nofile", softLimit: 1024, hardLimit: 4096 }, { name: "core", softLimit: 0, hardLimit: 0 }],
          },
        ],
      },
    ],
    ["containers in another order", { containerDefinitions: [{ ...web, memory: 256 }, { name: "sidecar", image: "envoy", memory: 128, essential: false }] }],
    ["requiresCompatibilities in another order", { requiresCompatibilities: ["FARGATE", "EC2"], networkMode: "awsvpc", cpu: "256", memory: "512", containerDefinitions: [web] }],
    ["enableFaultInjection false", { containerDefinitions: [{ ...web, memory: 512 }] }],
  ])("sees no difference once AWS fills in its defaults: %s", (_name, spec) => {
    expect(noDifference(spec)).toEqual([]);
  });

  it("ignores an explicit default written in the spec, as AWS would answer it", () => {
    const explicit = taskDefinition({
      networkMode: "bridge",
      containerDefinitions: [{ ...web, memory: 512, cpu: 0, essential: true, portMappings: [{ containerPort: 80, hostPort: 0, protocol: "tcp" }], healthCheck: { command: ["CMD", "true"], interval: 30, retries: 3 } }],
    });
    const implicit = taskDefinition({ containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 80 }], healthCheck: { command: ["CMD", "true"] } }] });
    expect(desiredFingerprint(explicit)).toBe(desiredFingerprint(implicit));
  });

  it("treats numbers written as strings like numbers (cpu: 256 and cpu: \"256\")", () => {
    const asStrings = taskDefinition({ cpu: "256", memory: "0512", containerDefinitions: [{ ...web, memory: "256", memoryReservation: "128", cpu: "64", portMappings: [{ containerPort: "80", hostPort: "8080" }] }] });
    const asNumbers = taskDefinition({ cpu: 256, memory: 512, containerDefinitions: [{ ...web, memory: 256, memoryReservation: 128, cpu: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] });
    expect(registerInput(asStrings)).toEqual(registerInput(asNumbers));
    expect(registerInput(asNumbers)).toMatchObject({ cpu: "256", memory: "512", containerDefinitions: [{ memory: 256, memoryReservation: 128, cpu: 64, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] });
  });

  it("reads task cpu and memory in the units ECS also accepts", () => {
    expect(taskUnits("1 vCPU", "cpu")).toBe("1024");
    expect(taskUnits("0.25 vcpu", "cpu")).toBe("256");
    expect(taskUnits("2 GB", "memory")).toBe("2048");
    expect(taskUnits(" 512 ", "memory")).toBe("512");
    expect(canonicalContent({ cpu: "1 vCPU", memory: "2GB" })).toEqual(canonicalContent({ cpu: "1024", memory: "2048" }));
  });

  it.each<[string, TaskDefinitionSpec, (td: TaskDefinition) => TaskDefinition, string]>([
    ["an image", { containerDefinitions: [{ ...web, memory: 512 }] }, (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, image: "httpd:2.5" })) }), "containerDefinitions.web.image"],
    [
      "an environment value",
      { containerDefinitions: [{ ...web, memory: 512, environment: [{ name: "A", value: "1" }] }] },
      (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, environment: [{ name: "A", value: "2" }] })) }),
      "containerDefinitions.web.environment",
    ],
    [
      "the order of command words",
      { containerDefinitions: [{ ...web, memory: 512, command: ["a", "b"] }] },
      (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, command: ["b", "a"] })) }),
      "containerDefinitions.web.command",
    ],
    [
      "a fixed bridge hostPort",
      { containerDefinitions: [{ ...web, memory: 512, portMappings: [{ containerPort: 80, hostPort: 8080 }] }] },
      (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, portMappings: [{ containerPort: 80, hostPort: 0, protocol: "tcp" }] })) }),
      "containerDefinitions.web.portMappings",
    ],
    [
      "a non-essential container",
      { containerDefinitions: [{ ...web, memory: 512 }, { name: "log", image: "fluent-bit", memory: 64, essential: false }] },
      (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, essential: true })) }),
      "containerDefinitions.log.essential",
    ],
    ["task memory", { memory: "1024", containerDefinitions: [web] }, (td) => ({ ...td, memory: "2048" }), "memory"],
    ["a task role", { taskRoleArn: "arn:aws:iam::1:role/a", containerDefinitions: [{ ...web, memory: 512 }] }, (td) => ({ ...td, taskRoleArn: "arn:aws:iam::1:role/b" }), "taskRoleArn"],
  ])("still sees a real change: %s", (_name, spec, change, path) => {
    const obj = taskDefinition(spec);
    expect(contentDifferences(desiredContent(obj), canonicalContent(change(asAwsAnswers(registerInput(obj)))))).toEqual([path]);
  });

  it("fingerprints content regardless of key order and includes tags when given", () => {
    const content = canonicalContent({ containerDefinitions: [{ name: "a", image: "x", memory: 1 }] });
    const reordered = canonicalContent({ containerDefinitions: [{ memory: 1, image: "x", name: "a" }] });
    expect(fingerprint(content, undefined)).toBe(fingerprint(reordered, undefined));
    expect(fingerprint(content, { b: "2", a: "1" })).toBe(fingerprint(content, { a: "1", b: "2", "aws:cloudformation:stack-name": "s" }));
    expect(fingerprint(content, { a: "1" })).not.toBe(fingerprint(content, { a: "2" }));
    expect(fingerprint(content, { a: "1" })).not.toBe(fingerprint(content, undefined));
  });
});
