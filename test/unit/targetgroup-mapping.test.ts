import type { TargetGroup as AwsTargetGroup } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { fromUpperTagList } from "../../src/aws/tags.js";
import {
  createTargetGroupInput,
  describeDiff,
  diffTargetGroup,
  targetGroupName,
  targetGroupStatus,
  targetHealthCounts,
  type ObservedTargetGroup,
} from "../../src/controllers/targetgroup/mapping.js";

function targetGroup(spec: Partial<TargetGroup["spec"]>, meta: { namespace?: string; name?: string } = {}): TargetGroup {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TargetGroup",
    metadata: { name: meta.name ?? "web", namespace: meta.namespace ?? "shop", uid: "u-1", generation: 1 },
    spec: { protocol: "HTTP", port: 80, vpcId: "vpc-0a1b2c3d", ...spec },
  };
}

/** Every attribute AWS reports for an HTTP target group when none was set (DescribeTargetGroupAttributes). */
const AWS_DEFAULT_ATTRIBUTES: Record<string, string> = {
  "deregistration_delay.timeout_seconds": "300",
  "stickiness.enabled": "false",
  "stickiness.type": "lb_cookie",
  "stickiness.lb_cookie.duration_seconds": "86400",
  "stickiness.app_cookie.cookie_name": "",
  "stickiness.app_cookie.duration_seconds": "86400",
  "slow_start.duration_seconds": "0",
  "load_balancing.algorithm.type": "round_robin",
  "load_balancing.algorithm.anomaly_mitigation": "off",
  "load_balancing.cross_zone.enabled": "use_load_balancer_configuration",
  "target_group_health.dns_failover.minimum_healthy_targets.count": "1",
  "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count": "1",
};

/** What AWS reports for the group createTargetGroupInput asked for: its defaults filled in, tags in its own order. */
function asAwsReports(obj: TargetGroup): ObservedTargetGroup {
  const input = createTargetGroupInput(obj);
  const targetGroup: AwsTargetGroup = {
    TargetGroupArn: `arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/${input.Name ?? ""}/0123456789abcdef`,
    TargetGroupName: input.Name,
    Protocol: input.Protocol,
    Port: input.Port,
    VpcId: input.VpcId,
    HealthCheckProtocol: input.HealthCheckProtocol ?? "HTTP",
    HealthCheckPort: input.HealthCheckPort ?? "traffic-port",
    HealthCheckEnabled: input.HealthCheckEnabled ?? true,
    HealthCheckIntervalSeconds: input.HealthCheckIntervalSeconds ?? 30,
    HealthCheckTimeoutSeconds: input.HealthCheckTimeoutSeconds ?? 5,
    HealthyThresholdCount: input.HealthyThresholdCount ?? 5,
    UnhealthyThresholdCount: input.UnhealthyThresholdCount ?? 2,
    HealthCheckPath: input.HealthCheckPath ?? "/",
    Matcher: input.Matcher ?? { HttpCode: "200" },
    LoadBalancerArns: [],
    TargetType: input.TargetType,
    ProtocolVersion: input.ProtocolVersion ?? "HTTP1",
    IpAddressType: input.IpAddressType ?? "ipv4",
  };
  return {
    targetGroup,
    tags: fromUpperTagList([...(input.Tags ?? [])].reverse()),
    attributes: { ...AWS_DEFAULT_ATTRIBUTES, ...(obj.spec.attributes ?? {}) },
    health: { healthy: 0, unhealthy: 0, draining: 0, other: 0 },
  };
}

describe("TargetGroup mapping", () => {
  it("uses spec.name, else derives a stable name of at most 32 characters that ELBv2 accepts", () => {
    expect(targetGroupName(targetGroup({ name: "legacy-web" }))).toBe("legacy-web");
    expect(targetGroupName(targetGroup({}, { namespace: "shop", name: "web" }))).toBe("shop-web");
    const names = [
      targetGroupName(targetGroup({}, { namespace: "team-a", name: "web" })),
      targetGroupName(targetGroup({}, { namespace: "team", name: "a-web" })),
      targetGroupName(targetGroup({}, { namespace: "a--b", name: "c" })),
      targetGroupName(targetGroup({}, { namespace: "a-b", name: "c" })),
      targetGroupName(targetGroup({}, { namespace: "payments-production-eu", name: "checkout-frontend.v2" })),
    ];
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(32);
      expect(name).toMatch(/^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$/);
      expect(name).not.toContain("--");
    }
    expect(new Set(names).size).toBe(names.length);
    expect(targetGroupName(targetGroup({}, { namespace: "team-a", name: "web" }))).toBe(names[0]);
  });

  it("asks for the spec's settings in AWS's names, with ownership tags, and leaves unset health check settings to AWS", () => {
    const input = createTargetGroupInput(targetGroup({ targetType: "ip", healthCheckPath: "/health", matcher: { httpCode: "200-299" }, tags: { team: "shop" } }));
    expect(input).toMatchObject({ Name: "shop-web", Protocol: "HTTP", Port: 80, VpcId: "vpc-0a1b2c3d", TargetType: "ip", HealthCheckPath: "/health", Matcher: { HttpCode: "200-299" } });
    expect(input).not.toHaveProperty("HealthCheckIntervalSeconds");
    expect(fromUpperTagList(input.Tags)).toEqual({ team: "shop", "ecs-operator.dev/owner": "shop/web", "ecs-operator.dev/uid": "u-1", "ecs-operator.dev/kind": "TargetGroup" });
    expect(createTargetGroupInput(targetGroup({})).TargetType).toBe("instance");
  });

  it.each([
    ["a minimal spec", {}],
    ["a Fargate web app's group", { targetType: "ip", healthCheckPath: "/health", healthCheckIntervalSeconds: 15, healthyThresholdCount: 2, matcher: { httpCode: "200-399" }, attributes: { "deregistration_delay.timeout_seconds": "30" } }],
    ["explicit defaults", { targetType: "instance", ipAddressType: "ipv4", protocolVersion: "HTTP1", healthCheckPort: "traffic-port", healthCheckEnabled: true, attributes: { "stickiness.enabled": "false" } }],
    ["stickiness and slow start", { attributes: { "stickiness.enabled": "true", "stickiness.type": "lb_cookie", "slow_start.duration_seconds": "60", "load_balancing.algorithm.type": "least_outstanding_requests" } }],
  ] as const)("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = targetGroup(structuredClone(spec));
    expect(describeDiff(diffTargetGroup(obj, asAwsReports(obj)))).toEqual([]);
  });

  it("ignores AWS's values for what the spec leaves unset", () => {
    const obj = targetGroup({ healthCheckPath: "/health" });
    const aws = asAwsReports(obj);
    aws.targetGroup.HealthCheckIntervalSeconds = 10;
    aws.attributes["deregistration_delay.timeout_seconds"] = "5";
    expect(describeDiff(diffTargetGroup(obj, aws))).toEqual([]);
  });

  it("reports changed health check settings, attributes and tags as differences", () => {
    const obj = targetGroup({ healthCheckPath: "/health", matcher: { httpCode: "200" }, attributes: { "deregistration_delay.timeout_seconds": "30" }, tags: { team: "shop" } });
    const aws = asAwsReports(obj);
    aws.targetGroup.HealthCheckPath = "/";
    aws.targetGroup.Matcher = { HttpCode: "200-499" };
    aws.attributes["deregistration_delay.timeout_seconds"] = "300";
    aws.tags = { ...aws.tags, team: "other", extra: "x" };
    const diff = diffTargetGroup(obj, aws);
    expect(diff.healthCheck).toEqual(["HealthCheckPath", "Matcher"]);
    expect(diff.attributes).toEqual({ "deregistration_delay.timeout_seconds": "30" });
    expect(diff.tags).toEqual({ set: { team: "shop" }, remove: ["extra"] });
    expect(describeDiff(diff)).toEqual(["health check (HealthCheckPath, Matcher)", "attributes (deregistration_delay.timeout_seconds)", "tags (extra, team)"]);
  });

  it("reports settings ELBv2 cannot change in place, e.g. on a group adopted by name", () => {
    const obj = targetGroup({ name: "legacy", targetType: "ip" });
    const aws = asAwsReports(obj);
    aws.targetGroup.Port = 8080;
    aws.targetGroup.TargetType = "instance";
    expect(diffTargetGroup(obj, aws).immutable).toEqual(["port (spec 80, AWS 8080)", "targetType (spec ip, AWS instance)"]);
    expect(describeDiff(diffTargetGroup(obj, aws))[0]).toMatch(/port.*cannot change in place/);
  });

  it("counts DescribeTargetHealth's states for the printer columns", () => {
    const states = ["healthy", "healthy", "unhealthy", "draining", "unhealthy.draining", "initial", "unused", "unavailable"] as const;
    expect(targetHealthCounts(states.map((State, i) => ({ Target: { Id: `10.0.0.${i}`, Port: 80 }, TargetHealth: { State } })))).toEqual({ healthy: 2, unhealthy: 1, draining: 2, other: 3 });
    expect(targetHealthCounts(undefined)).toEqual({ healthy: 0, unhealthy: 0, draining: 0, other: 0 });
  });

  it("maps the observed group to status, each load balancer once", () => {
    const obj = targetGroup({});
    const aws = asAwsReports(obj);
    aws.targetGroup.LoadBalancerArns = ["arn:lb/b", "arn:lb/a", "arn:lb/b"];
    aws.health = { healthy: 3, unhealthy: 1, draining: 0, other: 0 };
    expect(targetGroupStatus(aws)).toEqual({
      arn: aws.targetGroup.TargetGroupArn,
      targetGroupName: "shop-web",
      loadBalancerArns: ["arn:lb/a", "arn:lb/b"],
      targetHealth: { healthy: 3, unhealthy: 1, draining: 0, other: 0 },
    });
    expect(targetGroupStatus(undefined)).toEqual({});
  });
});
