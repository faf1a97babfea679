// CapacityProvider's pure half. moto serves Auto Scaling group providers (the integration test
// covers them end to end) but refuses managedInstancesProvider outright (CreateCapacityProvider
// fails on it), so Managed Instances providers are covered here, on answers shaped as AWS's
// DescribeCapacityProviders documents them.
import type { CapacityProvider as AwsCapacityProvider } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { CapacityProvider } from "../../src/api/capacityprovider.js";
import {
  capacityProviderName,
  capacityProviderReadiness,
  capacityProviderStatus,
  clustersUsing,
  createCapacityProviderInput,
  describeDiff,
  diffCapacityProvider,
  locateCapacityProvider,
  resolveCapacityProvider,
  updateCapacityProviderInput,
} from "../../src/controllers/capacityprovider/mapping.js";

const ASG_ARN = "arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:0b0b5c2e-1111-4c3e-9a8f-2d1f0e3c4b5a:autoScalingGroupName/web-asg";

function provider(spec: CapacityProvider["spec"], namespace = "team", status?: CapacityProvider["status"]): CapacityProvider {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "CapacityProvider", metadata: { name: "web", namespace, uid: "u-1", generation: 1 }, spec, ...(status ? { status } : {}) };
}

type AsgSpec = NonNullable<CapacityProvider["spec"]["autoScalingGroupProvider"]>;
type ManagedSpec = NonNullable<CapacityProvider["spec"]["managedInstancesProvider"]>;

const asgSpec: AsgSpec = { autoScalingGroupArn: ASG_ARN, managedScaling: { status: "ENABLED", targetCapacity: 90 }, managedTerminationProtection: "DISABLED" };
const asg = provider({ autoScalingGroupProvider: asgSpec });

const managedSpec: ManagedSpec = {
    infrastructureRoleArn: "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
    instanceLaunchTemplate: {
      ec2InstanceProfileArn: "arn:aws:iam::123456789012:instance-profile/ecsInstanceRole",
      networkConfiguration: { subnets: ["subnet-0a1b2c3d", "subnet-1a2b3c4d"], securityGroups: ["sg-0123abcd"] },
      storageConfiguration: { storageSizeGiB: 50 },
      capacityOptionType: "SPOT",
      instanceRequirements: { vCpuCount: { min: 2, max: 8 }, memoryMiB: { min: 4096 }, cpuManufacturers: ["intel", "amd"] },
    },
    propagateTags: "CAPACITY_PROVIDER",
};
const managed = provider({ clusterRef: { name: "main" }, managedInstancesProvider: managedSpec });

/** What AWS's DescribeCapacityProviders answers for an Auto Scaling group provider made from `obj`: its defaults filled in. */
function asgAsAwsReports(obj: CapacityProvider): AwsCapacityProvider {
  const input = createCapacityProviderInput(obj, {});
  return {
    capacityProviderArn: `arn:aws:ecs:us-east-1:123456789012:capacity-provider/${input.name ?? ""}`,
    name: input.name,
    status: "ACTIVE",
    type: "EC2_AUTOSCALING",
    autoScalingGroupProvider: {
      autoScalingGroupArn: ASG_ARN,
      managedScaling: { status: "DISABLED", targetCapacity: 100, minimumScalingStepSize: 1, maximumScalingStepSize: 10000, instanceWarmupPeriod: 300, ...input.autoScalingGroupProvider?.managedScaling },
      managedTerminationProtection: input.autoScalingGroupProvider?.managedTerminationProtection ?? "DISABLED",
      managedDraining: "ENABLED",
    },
    tags: [...(input.tags ?? [])].reverse(),
  };
}

/** The same for a Managed Instances provider: the cluster it belongs to, lists in AWS's order, an update status. */
function managedAsAwsReports(obj: CapacityProvider, cluster: string): AwsCapacityProvider {
  const input = createCapacityProviderInput(obj, { cluster });
  const mi = input.managedInstancesProvider;
  return {
    capacityProviderArn: `arn:aws:ecs:us-east-1:123456789012:capacity-provider/${cluster}/${input.name ?? ""}`,
    name: input.name,
    cluster: `arn:aws:ecs:us-east-1:123456789012:cluster/${cluster}`,
    status: "ACTIVE",
    type: "MANAGED_INSTANCES",
    updateStatus: "CREATE_COMPLETE",
    managedInstancesProvider: {
      ...mi,
      instanceLaunchTemplate: {
        ...mi?.instanceLaunchTemplate,
        ec2InstanceProfileArn: mi?.instanceLaunchTemplate?.ec2InstanceProfileArn,
        networkConfiguration: { subnets: [...(mi?.instanceLaunchTemplate?.networkConfiguration?.subnets ?? [])].reverse(), securityGroups: mi?.instanceLaunchTemplate?.networkConfiguration?.securityGroups ?? [] },
        monitoring: "BASIC",
        instanceMetadataTagsPropagation: false,
      },
      infrastructureOptimization: { scaleInAfter: 300 },
    },
    tags: input.tags,
  };
}

describe("CapacityProvider mapping", () => {
  it("derives a name ECS accepts: never starting with a prefix it reserves", () => {
    expect(capacityProviderName(asg)).toBe("team_web");
    expect(capacityProviderName(provider(asg.spec, "ecs-prod"))).toBe("cp-ecs-prod_web");
    expect(capacityProviderName(provider(asg.spec, "FargateApps"))).toMatch(/^cp-FargateApps_web/);
    expect(capacityProviderName(provider({ ...asg.spec, name: "web-asg" }))).toBe("web-asg");
  });

  it("creates an Auto Scaling group provider with the ownership tags and no cluster", () => {
    const input = createCapacityProviderInput(asg, resolveCapacityProvider(asg, { cluster: [undefined] }));
    expect(input).toMatchObject({ name: "team_web", autoScalingGroupProvider: asg.spec.autoScalingGroupProvider });
    expect(input.cluster).toBeUndefined();
    expect(input.tags).toEqual(expect.arrayContaining([{ key: "ecs-operator.dev/uid", value: "u-1" }, { key: "ecs-operator.dev/kind", value: "CapacityProvider" }]));
  });

  it("creates a Managed Instances provider in its cluster, from the reference or the literal", () => {
    expect(createCapacityProviderInput(managed, resolveCapacityProvider(managed, { cluster: ["team_main"] }))).toMatchObject({ cluster: "team_main", managedInstancesProvider: managed.spec.managedInstancesProvider });
    const literal = provider({ ...managed.spec, clusterRef: undefined, cluster: "shared" });
    expect(resolveCapacityProvider(literal, { cluster: [undefined] })).toEqual({ cluster: "shared" });
  });

  it.each([
    ["an Auto Scaling group provider", () => diffCapacityProvider(asg, asgAsAwsReports(asg), {})],
    ["a Managed Instances provider", () => diffCapacityProvider(managed, managedAsAwsReports(managed, "team_main"), { cluster: "team_main" })],
  ])("sees no difference once AWS reports what was created from %s", (_name, diff) => {
    expect(describeDiff(diff())).toEqual([]);
  });

  it("updates managed scaling in place, without the group's ARN, which UpdateCapacityProvider does not take", () => {
    const changed = provider({ autoScalingGroupProvider: { ...asgSpec, managedScaling: { status: "ENABLED", targetCapacity: 75 } } });
    expect(describeDiff(diffCapacityProvider(changed, asgAsAwsReports(asg), {}))).toEqual(["autoScalingGroupProvider.managedScaling"]);
    const input = updateCapacityProviderInput(changed, {});
    expect(input).toEqual({ name: "team_web", autoScalingGroupProvider: { managedScaling: { status: "ENABLED", targetCapacity: 75 }, managedTerminationProtection: "DISABLED" } });
  });

  it("updates a Managed Instances launch template in place, without what is fixed at creation", () => {
    const bigger = provider({ ...managed.spec, managedInstancesProvider: { ...managedSpec, instanceLaunchTemplate: { ...managedSpec.instanceLaunchTemplate, storageConfiguration: { storageSizeGiB: 100 } } } });
    expect(describeDiff(diffCapacityProvider(bigger, managedAsAwsReports(managed, "team_main"), { cluster: "team_main" }))).toEqual(["managedInstancesProvider.instanceLaunchTemplate.storageConfiguration"]);
    const input = updateCapacityProviderInput(bigger, { cluster: "team_main" });
    expect(input.cluster).toBe("team_main");
    expect(input.managedInstancesProvider?.instanceLaunchTemplate).not.toHaveProperty("capacityOptionType");
    expect(input.managedInstancesProvider?.instanceLaunchTemplate?.storageConfiguration).toEqual({ storageSizeGiB: 100 });
  });

  it("reports what cannot change in place: the group's ARN, the Spot choice, the type", () => {
    const otherGroup = provider({ autoScalingGroupProvider: { ...asgSpec, autoScalingGroupArn: ASG_ARN.replace("web-asg", "other") } });
    expect(diffCapacityProvider(otherGroup, asgAsAwsReports(asg), {}).immutable).toEqual([expect.stringContaining("autoScalingGroupArn (spec")]);
    const onDemand = provider({ ...managed.spec, managedInstancesProvider: { ...managedSpec, instanceLaunchTemplate: { ...managedSpec.instanceLaunchTemplate, capacityOptionType: "ON_DEMAND" } } });
    expect(diffCapacityProvider(onDemand, managedAsAwsReports(managed, "team_main"), { cluster: "team_main" }).immutable).toEqual(["managedInstancesProvider.instanceLaunchTemplate.capacityOptionType (spec ON_DEMAND, AWS SPOT)"]);
    expect(diffCapacityProvider(managed, asgAsAwsReports(asg), { cluster: "team_main" }).immutable).toContain("type (spec managedInstancesProvider, AWS EC2_AUTOSCALING)");
  });

  it("finds a Managed Instances provider being deleted through its cluster, and says when it cannot", () => {
    expect(locateCapacityProvider(asg, { cluster: [undefined] })).toEqual({});
    expect(locateCapacityProvider(provider(managed.spec, "team", { cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/team_main" }), { cluster: [undefined] })).toEqual({ cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/team_main" });
    expect(JSON.stringify(locateCapacityProvider(managed, { cluster: [undefined] }))).toContain("EcsCluster team/main shows no clusterName");
  });

  it("names the live clusters that still list a provider, not the one a Managed Instances provider belongs to", () => {
    const clusters = [
      { clusterName: "b", status: "ACTIVE", capacityProviders: ["team_web", "FARGATE"] },
      { clusterName: "a", status: "ACTIVE", capacityProviders: ["team_web"] },
      { clusterName: "gone", status: "INACTIVE", capacityProviders: ["team_web"] },
      { clusterName: "other", status: "ACTIVE", capacityProviders: ["FARGATE"] },
    ];
    expect(clustersUsing("team_web", clusters)).toEqual(["a", "b"]);
    expect(clustersUsing("team_web", clusters, "arn:aws:ecs:us-east-1:123456789012:cluster/a")).toEqual(["b"]);
  });

  it("maps status and readiness: updates in progress look again, a failed one says AWS's reason", () => {
    const reported = managedAsAwsReports(managed, "team_main");
    expect(capacityProviderStatus(reported)).toMatchObject({ capacityProviderName: "team_web", type: "MANAGED_INSTANCES", cluster: "arn:aws:ecs:us-east-1:123456789012:cluster/team_main", status: "ACTIVE" });
    expect(capacityProviderStatus(asgAsAwsReports(asg)).type).toBe("EC2_AUTOSCALING");
    expect(capacityProviderReadiness(reported)).toMatchObject({ ready: true, reason: "Available" });
    expect(capacityProviderReadiness({ ...reported, updateStatus: "UPDATE_IN_PROGRESS" })).toMatchObject({ ready: false, reason: "Updating", recheckAfterMs: 5000 });
    const failed = capacityProviderReadiness({ ...reported, updateStatus: "UPDATE_FAILED", updateStatusReason: "The specified infrastructure role cannot be assumed" });
    expect(failed).toMatchObject({ ready: false, failure: true });
    expect(failed.message).toContain("The specified infrastructure role cannot be assumed");
  });
});
