import { describe, expect, it, vi } from "vitest";
import { apiClassOf, TokenBucket } from "../../src/aws/rate-limits.js";

describe("apiClassOf", () => {
  it.each([
    ["ecs", "DescribeServices", "ecs:service-read"],
    ["ecs", "UpdateService", "ecs:service-modify"],
    ["ecs", "RegisterTaskDefinition", "ecs:taskdefinition-modify"],
    ["ecs", "ListTaskDefinitions", "ecs:taskdefinition-read"],
    ["ecs", "DescribeClusters", "ecs:cluster-read"],
    ["ecs", "PutClusterCapacityProviders", "ecs:cluster-modify"],
    ["ecs", "CreateCapacityProvider", "ecs:cluster-modify"],
    ["ecs", "UpdateCapacityProvider", "ecs:cluster-modify"],
    ["ecs", "DeleteCapacityProvider", "ecs:cluster-modify"],
    ["ecs", "DescribeCapacityProviders", "ecs:cluster-read"],
    ["ecs", "ListClusters", "ecs:cluster-read"],
    ["ecs", "ListContainerInstances", "ecs:container-instance-read"],
    ["ecs", "DescribeContainerInstances", "ecs:container-instance-read"],
    ["ecs", "TagResource", "ecs:tag-modify"],
    ["ecs", "UntagResource", "ecs:tag-modify"],
    ["ecs", "ListTagsForResource", "ecs:tag-read"],
    ["ecs", "DeregisterTaskDefinition", "ecs:taskdefinition-modify"],
    ["ecs", "ListServiceDeployments", "ecs:servicedeployment-read"],
    ["ecs", "DescribeServiceDeployments", "ecs:servicedeployment-read"],
    ["ecs", "StopServiceDeployment", "ecs:servicedeployment-modify"],
    ["ecs", "ContinueServiceDeployment", "ecs:servicedeployment-modify"],
    ["elasticloadbalancing", "DescribeTargetHealth", "elasticloadbalancing:read"],
    ["servicediscovery", "CreateService", "servicediscovery:modify"],
    ["application-autoscaling", "DescribeScalableTargets", "application-autoscaling:read"],
    ["application-autoscaling", "PutScalingPolicy", "application-autoscaling:modify"],
    ["application-autoscaling", "DescribeScalingActivities", "application-autoscaling:activity-read"],
  ])("puts %s:%s in %s", (service, operation, expected) => {
    expect(apiClassOf(service, operation)).toBe(expected);
  });
});

describe("TokenBucket", () => {
  it("lets a burst through at once, then paces callers at the sustained rate", async () => {
    vi.useFakeTimers();
    try {
      const bucket = new TokenBucket({ ratePerSecond: 2, burst: 3 }, () => Date.now());
      const done: number[] = [];
      const start = Date.now();
      const all = Array.from({ length: 5 }, () => bucket.take().then(() => done.push(Date.now() - start)));
      await vi.advanceTimersByTimeAsync(0);
      expect(done).toEqual([0, 0, 0]);
      await vi.advanceTimersByTimeAsync(500);
      expect(done).toHaveLength(4);
      await vi.advanceTimersByTimeAsync(500);
      await Promise.all(all);
      expect(done[4]).toBeGreaterThanOrEqual(1000);
    } finally {
      vi.useRealTimers();
    }
  });
});
