// EcsService on EC2 capacity: a strategy naming CapacityProvider objects by reference, the new
// deployment a change of strategy needs in ECS, and a strategy naming a provider the cluster lacks.
import type { Service } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { createServiceInput, describeDiff, diffService, providersOutsideCluster, resolveService, serviceReferences, type ServiceDeps } from "../../src/controllers/ecsservice/mapping.js";

const td = "arn:aws:ecs:us-east-1:123456789012:task-definition/web:1";

function svc(spec: Partial<EcsService["spec"]>): EcsService {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name: "web", namespace: "team", uid: "u-1", generation: 1 }, spec: { clusterRef: { name: "main" }, taskDefinitionRef: { name: "web" }, ...spec } };
}

/** References as the runtime resolves them: a CapacityProvider object `x` is `team_x` in AWS. */
function depsOf(obj: EcsService): ServiceDeps {
  return resolveService(obj, {
    cluster: ["team_main"],
    taskDefinition: [td],
    targetGroups: [],
    registries: [],
    capacityProviders: serviceReferences.capacityProviders.names(obj.spec).map((n) => (n === undefined ? undefined : `team_${n}`)),
    alternateTargetGroups: [],
    productionListenerRules: [],
    testListenerRules: [],
    scalingTargetGroups: [],
    serviceConnectNamespace: [],
  });
}

/** DescribeServices for what createServiceInput asked, with weight and base filled as ECS does. */
function reported(obj: EcsService): Service {
  const input = createServiceInput(obj, depsOf(obj));
  return {
    serviceName: input.serviceName,
    serviceArn: "arn:aws:ecs:us-east-1:123456789012:service/team_main/team_web",
    status: "ACTIVE",
    taskDefinition: td,
    desiredCount: input.desiredCount,
    schedulingStrategy: "REPLICA",
    capacityProviderStrategy: (input.capacityProviderStrategy ?? []).map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight ?? 0, base: s.base ?? 0 })).reverse(),
    tags: input.tags,
  };
}

describe("EcsService capacity provider strategy", () => {
  const ec2 = svc({ desiredCount: 2, capacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, base: 1, weight: 1 }, { capacityProviderRef: { name: "spot" }, weight: 3 }] });

  it("names referenced providers by their AWS names, beside literal ones", () => {
    expect(createServiceInput(ec2, depsOf(ec2)).capacityProviderStrategy).toEqual([
      { capacityProvider: "team_asg", base: 1, weight: 1 },
      { capacityProvider: "team_spot", weight: 3 },
    ]);
    const fargate = svc({ capacityProviderStrategy: [{ capacityProvider: "FARGATE", weight: 1 }] });
    expect(createServiceInput(fargate, depsOf(fargate)).capacityProviderStrategy).toEqual([{ capacityProvider: "FARGATE", weight: 1 }]);
  });

  it("sees no difference once ECS reports the strategy it was given (defaults filled, any order)", () => {
    expect(describeDiff(diffService(ec2, depsOf(ec2), { service: reported(ec2), desiredTaskDefinition: td }))).toEqual([]);
  });

  it("changes the strategy with a new deployment, and says so", () => {
    const changed = svc({ desiredCount: 2, capacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, base: 2, weight: 1 }, { capacityProviderRef: { name: "spot" }, weight: 3 }] });
    const diff = diffService(changed, depsOf(changed), { service: reported(ec2), desiredTaskDefinition: td });
    expect(diff.update.capacityProviderStrategy).toEqual([
      { capacityProvider: "team_asg", base: 2, weight: 1 },
      { capacityProvider: "team_spot", weight: 3 },
    ]);
    expect(diff.forceNewDeployment).toBe(true);
    expect(describeDiff(diff)).toEqual(["capacityProviderStrategy (with a new deployment, which ECS needs to move the tasks)"]);
  });

  it("forces no deployment when only the count changes", () => {
    const scaled = svc({ ...ec2.spec, desiredCount: 3 });
    expect(diffService(scaled, depsOf(scaled), { service: reported(ec2), desiredTaskDefinition: td }).forceNewDeployment).toBe(false);
  });

  it("names the strategy's providers that the cluster does not have, with where they are in the spec", () => {
    expect(providersOutsideCluster(ec2, depsOf(ec2), ["FARGATE", "team_asg"])).toEqual(["team_spot (spec.capacityProviderStrategy[1], CapacityProvider team/spot)"]);
    expect(providersOutsideCluster(ec2, depsOf(ec2), ["team_asg", "team_spot"])).toEqual([]);
    // A cluster whose list is not known (a literal cluster): AWS's answer decides.
    expect(providersOutsideCluster(ec2, depsOf(ec2), undefined)).toEqual([]);
  });
});
