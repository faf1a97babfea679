import type { CreateTargetGroupCommandInput, Matcher, ModifyTargetGroupCommandInput, TargetGroup as AwsTargetGroup, TargetHealthDescription } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { TargetGroup, TargetGroupStatus } from "../../api/targetgroup.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, tagDiff, toUpperTagList } from "../../aws/tags.js";

export const KIND = "TargetGroup";

/** What observe gathers about one target group. */
export interface ObservedTargetGroup {
  targetGroup: AwsTargetGroup;
  tags: Record<string, string>;
  /** All of AWS's attributes; empty when the spec sets none (then they are not read). */
  attributes: Record<string, string>;
  health: TargetHealthCounts;
}

export interface TargetHealthCounts {
  healthy: number;
  unhealthy: number;
  draining: number;
  other: number;
}

/**
 * ELBv2 names: up to 32 letters, digits and hyphens, no leading, trailing or double hyphen. A
 * double hyphen can only come out of derivedAwsName on its hashed path, so collapsing it keeps
 * the name unique.
 */
export function targetGroupName(obj: TargetGroup): string {
  return obj.spec.name ?? derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 32, invalid: /[^a-zA-Z0-9-]/g, separator: "-" }).replace(/-{2,}/g, "-");
}

export function targetGroupTags(obj: TargetGroup): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

type HealthCheckSettings = Omit<ModifyTargetGroupCommandInput, "TargetGroupArn">;

/** Only the health check settings the spec sets: the others keep what AWS has (its defaults depend on protocol and target type). */
export function healthCheckSettings(obj: TargetGroup): HealthCheckSettings {
  const s = obj.spec;
  const matcher: Matcher | undefined = s.matcher ? { ...(s.matcher.httpCode !== undefined ? { HttpCode: s.matcher.httpCode } : {}), ...(s.matcher.grpcCode !== undefined ? { GrpcCode: s.matcher.grpcCode } : {}) } : undefined;
  return {
    ...(s.healthCheckProtocol !== undefined ? { HealthCheckProtocol: s.healthCheckProtocol } : {}),
    ...(s.healthCheckPort !== undefined ? { HealthCheckPort: s.healthCheckPort } : {}),
    ...(s.healthCheckEnabled !== undefined ? { HealthCheckEnabled: s.healthCheckEnabled } : {}),
    ...(s.healthCheckPath !== undefined ? { HealthCheckPath: s.healthCheckPath } : {}),
    ...(s.healthCheckIntervalSeconds !== undefined ? { HealthCheckIntervalSeconds: s.healthCheckIntervalSeconds } : {}),
    ...(s.healthCheckTimeoutSeconds !== undefined ? { HealthCheckTimeoutSeconds: s.healthCheckTimeoutSeconds } : {}),
    ...(s.healthyThresholdCount !== undefined ? { HealthyThresholdCount: s.healthyThresholdCount } : {}),
    ...(s.unhealthyThresholdCount !== undefined ? { UnhealthyThresholdCount: s.unhealthyThresholdCount } : {}),
    ...(matcher ? { Matcher: matcher } : {}),
  };
}

export function createTargetGroupInput(obj: TargetGroup): CreateTargetGroupCommandInput {
  const s = obj.spec;
  return {
    Name: targetGroupName(obj),
    Protocol: s.protocol,
    Port: s.port,
    VpcId: s.vpcId,
    TargetType: s.targetType ?? "instance",
    ...(s.protocolVersion !== undefined ? { ProtocolVersion: s.protocolVersion } : {}),
    ...(s.ipAddressType !== undefined ? { IpAddressType: s.ipAddressType } : {}),
    ...healthCheckSettings(obj),
    Tags: toUpperTagList(targetGroupTags(obj)),
  };
}

export interface TargetGroupDiff {
  /** Fields that differ and that ELBv2 cannot change in place: `field (spec x, AWS y)`. */
  immutable: string[];
  /** Health check settings (AWS names) that differ from the spec. */
  healthCheck: string[];
  /** Attributes to set: those the spec sets whose AWS value differs. */
  attributes: Record<string, string>;
  tags: { set: Record<string, string>; remove: string[] };
}

function immutableDifferences(obj: TargetGroup, tg: AwsTargetGroup): string[] {
  const s = obj.spec;
  const http = s.protocol === "HTTP" || s.protocol === "HTTPS";
  const pairs: [string, unknown, unknown][] = [
    ["protocol", s.protocol, tg.Protocol],
    ["port", s.port, tg.Port],
    ["vpcId", s.vpcId, tg.VpcId],
    ["targetType", s.targetType ?? "instance", tg.TargetType ?? "instance"],
    ["ipAddressType", s.ipAddressType ?? "ipv4", tg.IpAddressType ?? "ipv4"],
    // AWS reports a protocol version for HTTP and HTTPS target groups only.
    ...(http ? [["protocolVersion", s.protocolVersion ?? "HTTP1", tg.ProtocolVersion ?? "HTTP1"] as [string, unknown, unknown]] : []),
  ];
  return pairs.filter(([, want, have]) => want !== have).map(([field, want, have]) => `${field} (spec ${String(want)}, AWS ${String(have)})`);
}

function healthCheckDifferences(obj: TargetGroup, tg: AwsTargetGroup): string[] {
  const want = healthCheckSettings(obj);
  const differs: string[] = [];
  for (const [key, value] of Object.entries(want) as [keyof HealthCheckSettings, unknown][]) {
    if (key === "Matcher") continue;
    if (tg[key] !== value) differs.push(key);
  }
  if (want.Matcher && (want.Matcher.HttpCode !== tg.Matcher?.HttpCode || want.Matcher.GrpcCode !== tg.Matcher?.GrpcCode)) differs.push("Matcher");
  return differs;
}

export function diffTargetGroup(obj: TargetGroup, observed: ObservedTargetGroup): TargetGroupDiff {
  const attributes = Object.fromEntries(Object.entries(obj.spec.attributes ?? {}).filter(([key, value]) => observed.attributes[key] !== value));
  return {
    immutable: immutableDifferences(obj, observed.targetGroup),
    healthCheck: healthCheckDifferences(obj, observed.targetGroup),
    attributes,
    tags: tagDiff(observed.tags, targetGroupTags(obj)),
  };
}

export function describeDiff(diff: TargetGroupDiff): string[] {
  const out = diff.immutable.map((d) => `${d}, which cannot change in place`);
  if (diff.healthCheck.length > 0) out.push(`health check (${diff.healthCheck.join(", ")})`);
  const attributeKeys = Object.keys(diff.attributes);
  if (attributeKeys.length > 0) out.push(`attributes (${attributeKeys.sort().join(", ")})`);
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

/** DescribeTargetHealth's states folded into the four counts a printer column can show. */
export function targetHealthCounts(descriptions: readonly TargetHealthDescription[] | undefined): TargetHealthCounts {
  const counts: TargetHealthCounts = { healthy: 0, unhealthy: 0, draining: 0, other: 0 };
  for (const d of descriptions ?? []) {
    switch (d.TargetHealth?.State) {
      case "healthy":
        counts.healthy++;
        break;
      case "unhealthy":
        counts.unhealthy++;
        break;
      // A target that failed while deregistering is on its way out either way.
      case "draining":
      case "unhealthy.draining":
        counts.draining++;
        break;
      default:
        counts.other++;
    }
  }
  return counts;
}

export function targetGroupStatus(observed: ObservedTargetGroup | undefined): TargetGroupStatus {
  if (!observed) return {};
  const tg = observed.targetGroup;
  return {
    ...(tg.TargetGroupArn ? { arn: tg.TargetGroupArn } : {}),
    ...(tg.TargetGroupName ? { targetGroupName: tg.TargetGroupName } : {}),
    // Sorted and unique, so that the status does not churn; moto lists a load balancer once per rule that forwards here.
    loadBalancerArns: [...new Set(tg.LoadBalancerArns ?? [])].sort(),
    targetHealth: observed.health,
  };
}
