import type { Cluster } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import { clusterName, clusterStatus, createClusterInput, describeDiff, diffCluster } from "../../src/controllers/ecscluster/mapping.js";

function cluster(spec: EcsCluster["spec"]): EcsCluster {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: "team-a", uid: "u-1", generation: 1 }, spec };
}

/** A DescribeClusters answer for what createClusterInput asked, as AWS returns it. */
function asAwsReports(obj: EcsCluster): Cluster {
  const input = createClusterInput(obj);
  return {
    clusterName: input.clusterName,
    clusterArn: `arn:aws:ecs:us-east-1:123456789012:cluster/${input.clusterName ?? ""}`,
    status: "ACTIVE",
    settings: input.settings,
    capacityProviders: input.capacityProviders ?? [],
    // AWS fills weight and base with 0.
    defaultCapacityProviderStrategy: (input.defaultCapacityProviderStrategy ?? []).map((s) => ({ capacityProvider: s.capacityProvider, weight: s.weight ?? 0, base: s.base ?? 0 })),
    tags: [...(input.tags ?? [])].reverse(),
  };
}

describe("EcsCluster mapping", () => {
  it("derives the cluster name from namespace and name unless set", () => {
    expect(clusterName(cluster({}))).toBe("team-a_main");
    expect(clusterName(cluster({ clusterName: "prod" }))).toBe("prod");
  });

  it("asks for ownership tags and user tags on create", () => {
    const tags = createClusterInput(cluster({ tags: { team: "a" } })).tags;
    expect(tags).toEqual(expect.arrayContaining([{ key: "team", value: "a" }, { key: "ecs-operator.dev/uid", value: "u-1" }, { key: "ecs-operator.dev/owner", value: "team-a/main" }, { key: "ecs-operator.dev/kind", value: "EcsCluster" }]));
  });

  it.each([
    ["an empty spec", {}],
    ["Fargate providers with a strategy", { capacityProviders: ["FARGATE_SPOT", "FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 1 }, { capacityProvider: "FARGATE_SPOT", weight: 3 }] }],
    ["Container Insights on", { settings: [{ name: "containerInsights", value: "enabled" }] }],
  ] as const)("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = cluster(structuredClone(spec) as EcsCluster["spec"]);
    expect(describeDiff(diffCluster(obj, asAwsReports(obj)))).toEqual([]);
  });

  it("reports a changed setting, capacity providers and tags as differences", () => {
    const obj = cluster({ settings: [{ name: "containerInsights", value: "enabled" }], capacityProviders: ["FARGATE"], tags: { team: "a" } });
    const aws = { ...asAwsReports(obj), settings: [{ name: "containerInsights" as const, value: "disabled" }], capacityProviders: [], tags: [{ key: "team", value: "b" }] };
    expect(describeDiff(diffCluster(obj, aws))).toEqual(["settings", "capacity providers", expect.stringContaining("tags (")]);
  });

  it("maps the observed cluster to status", () => {
    expect(clusterStatus({ clusterArn: "arn:x", clusterName: "c", status: "ACTIVE", runningTasksCount: 2 })).toEqual({
      arn: "arn:x",
      clusterName: "c",
      status: "ACTIVE",
      runningTasksCount: 2,
      pendingTasksCount: 0,
      activeServicesCount: 0,
      registeredContainerInstancesCount: 0,
    });
  });
});
