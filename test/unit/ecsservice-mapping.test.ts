import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { sameRevision } from "../../src/aws/task-definition-revisions.js";
import { revisionName } from "../../src/aws/task-definition-revisions.js";
import { clientToken, createServiceInput, describeDiff, diffService, serviceStatus, type ServiceDeps } from "../../src/controllers/ecsservice/mapping.js";

const td1 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";
const td2 = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2";
const tg = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/abc";

function svc(spec: Partial<EcsService["spec"]>): EcsService {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", uid: "u-1", generation: 1 }, spec: { clusterRef: { name: "main" }, taskDefinitionRef: { name: "web" }, ...spec } };
}
const deps: ServiceDeps = { cluster: "team_main", taskDefinition: td1, targetGroupArns: [tg], registryArns: [], advanced: [] };

/** What DescribeServices returns for a service created from `input`, with AWS's defaults filled in. */
function asAwsReports(obj: EcsService): Service {
  const input = createServiceInput(obj, deps);
  return {
    serviceName: input.serviceName,
    serviceArn: `arn:aws:ecs:us-east-1:123456789012:service/team_main/${input.serviceName ?? ""}`,
    clusterArn: "arn:aws:ecs:us-east-1:123456789012:cluster/team_main",
    status: "ACTIVE",
    taskDefinition: td1,
    desiredCount: input.desiredCount,
    runningCount: input.desiredCount,
    launchType: input.launchType,
    schedulingStrategy: input.schedulingStrategy ?? "REPLICA",
    deploymentController: { type: "ECS" },
    deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100, deploymentCircuitBreaker: { enable: false, rollback: false }, ...input.deploymentConfiguration },
    networkConfiguration: input.networkConfiguration
      ? { awsvpcConfiguration: { ...input.networkConfiguration.awsvpcConfiguration, subnets: [...(input.networkConfiguration.awsvpcConfiguration?.subnets ?? [])].reverse(), assignPublicIp: input.networkConfiguration.awsvpcConfiguration?.assignPublicIp ?? "DISABLED" } }
      : undefined,
    loadBalancers: input.loadBalancers,
    healthCheckGracePeriodSeconds: input.healthCheckGracePeriodSeconds ?? 0,
    enableExecuteCommand: input.enableExecuteCommand ?? false,
    propagateTags: input.propagateTags ?? "NONE",
    tags: input.tags,
  };
}

describe("EcsService mapping", () => {
  it.each([
    ["a minimal service", {}],
    ["a Fargate web app behind a target group", {
      launchType: "FARGATE" as const,
      desiredCount: 2,
      networkConfiguration: { awsvpcConfiguration: { subnets: ["subnet-a", "subnet-b"], securityGroups: ["sg-1"] } },
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      loadBalancers: [{ targetGroupRef: { name: "web" }, containerName: "web", containerPort: 80 }],
      healthCheckGracePeriodSeconds: 30,
    }],
  ])("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = svc(spec);
    expect(describeDiff(diffService(obj, deps, { service: asAwsReports(obj), desiredTaskDefinition: td1 }))).toEqual([]);
  });

  it("does not manage desiredCount when the spec omits it", () => {
    const obj = svc({});
    const scaled = { ...asAwsReports(obj), desiredCount: 7 };
    expect(describeDiff(diffService(obj, deps, { service: scaled, desiredTaskDefinition: td1 }))).toEqual([]);
    expect(createServiceInput(obj, deps).desiredCount).toBe(1);
  });

  it("asks for exactly the fields that differ", () => {
    const obj = svc({ desiredCount: 2 });
    const diff = diffService(obj, { ...deps, taskDefinition: td2 }, { service: { ...asAwsReports(obj), desiredCount: 5 }, desiredTaskDefinition: td2 });
    expect(diff.update).toEqual({ taskDefinition: td2, desiredCount: 2 });
    // The Updated Event names revisions as people say them, not as ARNs.
    const described = describeDiff(diff);
    expect(described).toContainEqual(`taskDefinition from ${revisionName(td1)} to ${revisionName(td2)}`);
    expect(described.join("; ")).not.toContain("arn:");
  });

  it("does not push a revision whose rollout failed again", () => {
    const obj = svc({});
    const diff = diffService(obj, { ...deps, taskDefinition: td2 }, { service: asAwsReports(obj), desiredTaskDefinition: td2, failedTaskDefinition: td2 });
    expect(diff.update.taskDefinition).toBeUndefined();
  });

  it("reports fields ECS cannot change in place instead of ignoring them", () => {
    const obj = svc({ launchType: "FARGATE", networkConfiguration: { awsvpcConfiguration: { subnets: ["s"] } } });
    const diff = diffService(obj, deps, { service: { ...asAwsReports(obj), launchType: "EC2" }, desiredTaskDefinition: td1 });
    expect(diff.immutable).toEqual(["launchType (EC2 in AWS)"]);
  });

  it("forces a new deployment only when the trigger value changes", () => {
    const obj = svc({ forceNewDeployment: "2026-01-01" });
    const service = asAwsReports(obj);
    expect(diffService(obj, deps, { service, desiredTaskDefinition: td1, forceNewDeployment: "2026-01-01" }).forceNewDeployment).toBe(false);
    expect(diffService(obj, deps, { service, desiredTaskDefinition: td1, forceNewDeployment: "old" }).forceNewDeployment).toBe(true);
  });

  it("matches a revision whatever the form on either side: family:revision or ARN", () => {
    expect(sameRevision("web:1", td1)).toBe(true);
    expect(sameRevision(td1, "web:1")).toBe(true);
    expect(sameRevision("web:2", td1)).toBe(false);
    expect(sameRevision(td1, td1)).toBe(true);
    expect(sameRevision("web:1", "web:1")).toBe(true);
    expect(sameRevision("arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:1", td1)).toBe(true);
    // A bare family is not one revision: it never matches.
    expect(sameRevision("web", td1)).toBe(false);
    expect(sameRevision("web", "web")).toBe(false);
    expect(sameRevision(undefined, td1)).toBe(false);
  });

  it("derives a stable client token per object and generation", () => {
    expect(clientToken(svc({}))).toBe(clientToken(svc({})));
    expect(clientToken(svc({}))).toHaveLength(32);
    expect(clientToken({ ...svc({}), metadata: { ...svc({}).metadata, generation: 2 } })).not.toBe(clientToken(svc({})));
  });

  it("maps counts, revision and the last five events to status", () => {
    const events = Array.from({ length: 8 }, (_, i) => ({ createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)), message: `e${String(i)}` }));
    const status = serviceStatus({ service: { ...asAwsReports(svc({})), taskDefinition: td2, events, deployments: [{ id: "d", status: "PRIMARY", taskDefinition: td2, rolloutState: "COMPLETED", runningCount: 1, desiredCount: 1 }] }, desiredTaskDefinition: td2 });
    expect(status).toMatchObject({ taskDefinitionArn: td2, taskDefinitionRevision: 2, rolloutState: "COMPLETED", desiredCount: 1 });
    expect(status.serviceEvents?.map((e) => e.message)).toEqual(["e0", "e1", "e2", "e3", "e4"]);
    expect(status).not.toHaveProperty("events");
  });
});
