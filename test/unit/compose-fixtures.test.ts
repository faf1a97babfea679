import { describe, expect, it } from "vitest";
import { formatWarning, type Warning } from "../../src/compose/diagnostics.js";
import type { Manifest } from "../../src/compose/names.js";
import { renderManifests } from "../../src/compose/render.js";
import type { TaskDefinitionSpec } from "../../src/api/taskdefinition.js";
import { convertFixture, fixtures, type ComposeFixture } from "../fixtures/compose/index.js";

/**
 * For every fixture, the warnings that must be among those it gives: each names the field (as
 * `field`) and says what happened to it. The snapshots pin the complete output and warning list.
 */
const expectedWarnings: Record<string, [field: string, message: RegExp][]> = {
  wordpress: [
    ["services.db.secrets[0]", /local file db_root_password\.txt.*Secrets Manager or SSM.*Dropped/],
    ["volumes.db_data", /EFS volume with the placeholder file system id fs-0+/],
    ["services.wordpress.depends_on.db", /ECS does not order services/],
    ["services.wordpress", /no memory limit or reservation.*512 MiB/],
    ["TargetGroup wordpress-80: spec.vpcId", /placeholder vpc-0+ \(pass --vpc-id\)/],
  ],
  "voting-app": [
    ["networks.front-tier", /Compose networks are not mapped/],
    ["services.vote.ports[0]", /no port translation.*published port 5000/],
    ["services.result.ports[1]", /host address 127\.0\.0\.1/],
    ["services.redis.volumes[0]", /local path \.\/healthchecks does not exist.*Dropped/],
    ["TaskDefinition vote: spec.cpu/spec.memory", /smallest Fargate size, cpu 256 \/ memory 512 MiB/],
    ["EcsService db: spec.networkConfiguration.awsvpcConfiguration.subnets", /placeholder subnet-0+/],
  ],
  "shop-fargate": [
    ["services.api.secrets[0]", /ECS sets the environment variables DATABASE_USERNAME, DATABASE_PASSWORD/],
    ["services.api.secrets[1]", /file \/run\/secrets\/stripe_key; ECS sets the environment variable STRIPE_KEY/],
    ["TaskDefinition api: spec.cpu/spec.memory", /cpu 768 \/ memory 1536 MiB is not a Fargate size; rounded up to cpu 1024 \/ memory 2048 MiB/],
    ["TaskDefinition cache: spec.cpu/spec.memory", /memory 300 MiB is not a Fargate size; rounded up to cpu 256 \/ memory 512 MiB/],
    ["Cloud Map shop.local", /cannot add a DNS search domain/],
  ],
  "django-celery": [
    ["services.web.environment.SENTRY_DSN", /no value and is not set in the environment/],
    ["services.worker", /needs a container port for SRV records/],
    ["volumes.pg_data", /placeholder file system id/],
    ["Cloud Map newsroom.local", /SRV records/],
  ],
  sidecars: [
    ["services.api.environment[2]", /FEATURE_FLAGS has no value/],
    ["services.postgres.volumes_from[0]", /api runs in another task.*dropped/],
    ["services.postgres.healthcheck.retries", /ECS allows 1 to 10; 20 becomes 10/],
    ["services.api.depends_on.postgres", /runs as its own ECS service/],
  ],
  profiles: [
    ["services.adminer.profiles", /not converted: its profiles \(admin\) are not active/],
    ["services.db.volumes[0]", /volume\.nocopy not supported by ECS/],
  ],
  monitoring: [
    ["services.prometheus.volumes[0]", /local path \.\/prometheus/],
    ["services.prometheus.ports", /no HTTP port, so no rule on the ALB listener/],
    ["services.cadvisor.restart", /restart: on-failure cannot be kept/],
  ],
  "ecs-cli-fargate": [
    ["task_definition.task_size", /launch type FARGATE inferred/],
    ["task_definition.task_size", /each of the 2 services has its own task/],
    ["task_definition.task_execution_role", /needs the role's ARN.*dropped/],
    ["task_definition.services.web.healthcheck.timeout", /ECS allows 2 to 60 seconds; 200 becomes 60/],
    ["TaskDefinition web: spec.executionRoleArn", /execution role is needed for awslogs on Fargate/],
  ],
  kafka: [
    ["services.broker.healthcheck.start_period", /600 becomes 300/],
    ["services.connect.ports[1]", /a port range gets no target group/],
  ],
  "gpu-inference": [
    ["services.gateway.x-aws-role", /does not create IAM roles/],
    ["services.gateway.x-datadog-tags", /extension field not used/],
    ["volumes.models", /mapped to a Docker volume with its driver on each instance/],
    ["TaskDefinition triton: spec.executionRoleArn", /private registry credentials/],
  ],
  gitea: [
    ["services.server.volumes[2]", /Fargate cannot mount host paths \(\/etc\/timezone\)/],
    ["TaskDefinition redis: spec.cpu/spec.memory", /rounded up to cpu 256 \/ memory 512 MiB/],
  ],
};

function byKind<K extends Manifest["kind"]>(manifests: Manifest[], kind: K): Extract<Manifest, { kind: K }>[] {
  return manifests.filter((m): m is Extract<Manifest, { kind: K }> => m.kind === kind);
}
const task = (manifests: Manifest[], name: string) => manifests.find((m) => m.kind === "TaskDefinition" && m.metadata.name === name)?.spec as TaskDefinitionSpec | undefined;

describe.each(fixtures.map((f) => [f.name, f] as const))("compose fixture %s", (name, f: ComposeFixture) => {
  const result = convertFixture(f);

  it("converts to the pinned manifests and warnings", async () => {
    await expect(renderManifests(result.manifests)).toMatchFileSnapshot(`__snapshots__/compose/${name}.yaml`);
    await expect(`${result.warnings.map(formatWarning).join("\n")}\n`).toMatchFileSnapshot(`__snapshots__/compose/${name}.warnings.txt`);
  });

  it("names each expected field in a warning", () => {
    for (const [field, message] of expectedWarnings[name] ?? []) {
      expect(result.warnings.filter((w: Warning) => w.field === field).map((w) => w.message)).toContainEqual(expect.stringMatching(message));
    }
    expect(expectedWarnings[name]?.length ?? 0).toBeGreaterThan(0);
  });

  it("points every warning about a Compose field at its line", () => {
    for (const w of result.warnings.filter((x) => x.file !== undefined)) expect(w.line, formatWarning(w)).toBeGreaterThan(0);
  });

  it("gives every Compose service a TaskDefinition and EcsService (sidecars join their task), all in one project", () => {
    const services = byKind(result.manifests, "EcsService");
    expect(services.length).toBe(byKind(result.manifests, "TaskDefinition").length);
    for (const s of services) {
      expect(s.metadata.labels["app.kubernetes.io/part-of"]).toBe(result.project);
      expect(s.spec).toMatchObject({ taskDefinitionRef: { name: s.metadata.name } });
    }
    const names = result.manifests.map((m) => `${m.kind}/${m.metadata.name}`);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe("compose fixture details", () => {
  const convert = (name: string) => {
    const f = fixtures.find((x) => x.name === name);
    if (!f) throw new Error(name);
    return convertFixture(f).manifests;
  };

  it("puts sidecars in their service's task with container dependsOn, volumesFrom and links", () => {
    const api = task(convert("sidecars"), "api");
    expect(api?.containerDefinitions.map((c) => c.name)).toEqual(["api", "envoy", "log-router"]);
    expect(api?.containerDefinitions[0]?.dependsOn).toEqual([{ containerName: "log-router", condition: "START" }]);
    expect(api?.containerDefinitions[1]).toMatchObject({ dependsOn: [{ containerName: "api", condition: "HEALTHY" }], volumesFrom: [{ sourceContainer: "api", readOnly: true }], links: ["api:upstream"] });
  });

  it("leaves out services of inactive profiles and keeps those of active ones", () => {
    const names = byKind(convert("profiles"), "EcsService").map((m) => m.metadata.name);
    expect(names).toContain("mailpit");
    expect(names).not.toContain("adminer");
  });

  it("routes the one HTTP service from the listener by every path, and the TCP one not at all", () => {
    const rules = byKind(convert("monitoring"), "ListenerRule");
    expect(rules.map((m) => [m.metadata.name, m.spec.priority, m.spec.conditions])).toEqual([["grafana", 10, [{ field: "path-pattern", pathPatternConfig: { values: ["/*"] } }]]]);
  });

  it("runs global services as DAEMON on EC2 and uses the existing cluster given", () => {
    const manifests = convert("monitoring");
    expect(byKind(manifests, "EcsCluster")).toEqual([]);
    const exporter = byKind(manifests, "EcsService").find((m) => m.metadata.name === "node-exporter");
    expect(exporter?.spec).toMatchObject({ clusterRef: { name: "shared-ec2" }, schedulingStrategy: "DAEMON" });
    expect(exporter?.spec).not.toHaveProperty("desiredCount");
    expect(task(manifests, "node-exporter")).toMatchObject({ networkMode: "host", pidMode: "host" });
  });

  it("reads an existing EFS file system from an external volume", () => {
    expect(task(convert("gitea"), "server")?.volumes).toEqual([
      { name: "gitea_data", efsVolumeConfiguration: { fileSystemId: "fs-0123456789abcdef0" } },
      { name: "gitea_config", efsVolumeConfiguration: { fileSystemId: "fs-0fedcba9876543210" } },
    ]);
  });
});
