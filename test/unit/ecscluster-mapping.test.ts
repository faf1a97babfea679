import type { Cluster } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import { clusterName, clusterReferences, clusterStatus, containerInstanceCounts, createClusterInput, describeDiff, diffCluster, resolveCluster, type ClusterRefs } from "../../src/controllers/ecscluster/mapping.js";

function cluster(spec: EcsCluster["spec"]): EcsCluster {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: "team-a", uid: "u-1", generation: 1 }, spec };
}

/** The references as the runtime resolves them: each CapacityProvider's AWS name is `cp-<object name>`. */
function refsOf(obj: EcsCluster): ClusterRefs {
  return {
    capacityProviders: clusterReferences.capacityProviders.names(obj.spec).map((n) => `cp-${n}`),
    strategyProviders: clusterReferences.strategyProviders.names(obj.spec).map((n) => (n === undefined ? undefined : `cp-${n}`)),
    serviceConnectNamespace: [undefined],
  };
}

const depsOf = (obj: EcsCluster, scoped: string[] = []) => resolveCluster(obj, refsOf(obj), scoped);

/** A DescribeClusters answer for what createClusterInput asked, as AWS returns it. */
function asAwsReports(obj: EcsCluster): Cluster {
  const input = createClusterInput(obj, depsOf(obj));
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
    const obj = cluster({ tags: { team: "a" } });
    const tags = createClusterInput(obj, depsOf(obj)).tags;
    expect(tags).toEqual(expect.arrayContaining([{ key: "team", value: "a" }, { key: "ecs-operator.dev/uid", value: "u-1" }, { key: "ecs-operator.dev/owner", value: "team-a/main" }, { key: "ecs-operator.dev/kind", value: "EcsCluster" }]));
  });

  it.each([
    ["an empty spec", {}],
    ["Fargate providers with a strategy", { capacityProviders: ["FARGATE_SPOT", "FARGATE"], defaultCapacityProviderStrategy: [{ capacityProvider: "FARGATE", base: 1 }, { capacityProvider: "FARGATE_SPOT", weight: 3 }] }],
    ["Container Insights on", { settings: [{ name: "containerInsights", value: "enabled" }] }],
    ["an EC2 provider by reference with a strategy over it", { capacityProviders: ["FARGATE"], capacityProviderRefs: [{ name: "asg" }], defaultCapacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, weight: 1 }] }],
  ] as const)("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = cluster(structuredClone(spec) as EcsCluster["spec"]);
    expect(describeDiff(diffCluster(obj, asAwsReports(obj), depsOf(obj)))).toEqual([]);
  });

  it("sends the referenced providers by their AWS names, in CreateCluster and its default strategy", () => {
    const obj = cluster({ capacityProviders: ["FARGATE"], capacityProviderRefs: [{ name: "asg" }], defaultCapacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, base: 1, weight: 2 }] });
    expect(createClusterInput(obj, depsOf(obj))).toMatchObject({ capacityProviders: ["FARGATE", "cp-asg"], defaultCapacityProviderStrategy: [{ capacityProvider: "cp-asg", base: 1, weight: 2 }] });
  });

  describe("the PutClusterCapacityProviders rule", () => {
    const aws = (providers: string[], strategy: Cluster["defaultCapacityProviderStrategy"] = []): Cluster => ({ clusterName: "team-a_main", status: "ACTIVE", settings: [{ name: "containerInsights", value: "disabled" }], capacityProviders: providers, defaultCapacityProviderStrategy: strategy });

    it("leaves the list and the default strategy alone when the spec names no provider", () => {
      const obj = cluster({});
      expect(depsOf(obj).capacityProviders).toBeUndefined();
      expect(diffCluster(obj, aws(["someone-elses"], [{ capacityProvider: "someone-elses", weight: 1, base: 0 }]), depsOf(obj)).capacityProviders).toBe(false);
    });

    it("keeps the list exactly the spec's once it names one: an extra provider in AWS is a difference", () => {
      const obj = cluster({ capacityProviders: ["FARGATE"] });
      expect(diffCluster(obj, aws(["FARGATE", "someone-elses"]), depsOf(obj)).capacityProviders).toBe(true);
      expect(diffCluster(obj, aws(["FARGATE"]), depsOf(obj)).capacityProviders).toBe(false);
    });

    it("keeps the cluster's own Managed Instances providers in the list, though the cluster does not list them", () => {
      const obj = cluster({ capacityProviderRefs: [{ name: "asg" }] });
      const deps = depsOf(obj, ["team-a_managed"]);
      expect(deps.capacityProviders).toEqual(["cp-asg", "team-a_managed"]);
      expect(diffCluster(obj, aws(["cp-asg", "team-a_managed"]), deps).capacityProviders).toBe(false);
      // Not in CreateCluster: it is made after its cluster, then associated.
      expect(createClusterInput(obj, deps).capacityProviders).toEqual(["cp-asg"]);
    });

    it("empties the default strategy that the spec omits once it names the list", () => {
      const obj = cluster({ capacityProviders: ["FARGATE"] });
      expect(depsOf(obj).defaultCapacityProviderStrategy).toEqual([]);
      expect(diffCluster(obj, aws(["FARGATE"], [{ capacityProvider: "FARGATE", weight: 1, base: 0 }]), depsOf(obj)).capacityProviders).toBe(true);
    });
  });

  it("counts container instances by status and those whose agent is not connected", () => {
    expect(
      containerInstanceCounts([
        { status: "ACTIVE", agentConnected: true },
        { status: "ACTIVE", agentConnected: false },
        { status: "DRAINING", agentConnected: true },
        { status: "REGISTERING" },
        { status: "DEREGISTERING" },
        { status: "REGISTRATION_FAILED", agentConnected: false },
      ]),
    ).toEqual({ active: 2, draining: 1, registering: 1, deregistering: 1, other: 1, agentDisconnected: 2 });
  });

  it("reports a changed setting, capacity providers and tags as differences", () => {
    const obj = cluster({ settings: [{ name: "containerInsights", value: "enabled" }], capacityProviders: ["FARGATE"], tags: { team: "a" } });
    const aws = { ...asAwsReports(obj), settings: [{ name: "containerInsights" as const, value: "disabled" }], capacityProviders: [], tags: [{ key: "team", value: "b" }] };
    expect(describeDiff(diffCluster(obj, aws, depsOf(obj)))).toEqual(["settings", "capacity providers", expect.stringContaining("tags (")]);
  });

  it("maps the observed cluster to status", () => {
    expect(clusterStatus({ cluster: { clusterArn: "arn:x", clusterName: "c", status: "ACTIVE", runningTasksCount: 2, capacityProviders: ["FARGATE_SPOT", "FARGATE"] } })).toEqual({
      arn: "arn:x",
      clusterName: "c",
      status: "ACTIVE",
      runningTasksCount: 2,
      pendingTasksCount: 0,
      activeServicesCount: 0,
      registeredContainerInstancesCount: 0,
      capacityProviders: ["FARGATE", "FARGATE_SPOT"],
      containerInstances: { active: 0, draining: 0, registering: 0, deregistering: 0, other: 0, agentDisconnected: 0 },
    });
  });
});
