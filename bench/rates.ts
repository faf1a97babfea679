// AWS-like token buckets for the proxy (throttled converge), and the floor they put under it.
import * as ecs from "@aws-sdk/client-ecs";
import * as elbv2 from "@aws-sdk/client-elastic-load-balancing-v2";
import * as serviceDiscovery from "@aws-sdk/client-servicediscovery";
import { AWS_API_RATES, apiClassOf, rateOf, type Rate } from "../src/aws/rate-limits.js";
import type { BucketSpec } from "../test/env/aws-proxy-control.js";

/** Every operation the three SDK clients know, by the service name the proxy reports. */
function operations(): { service: string; operation: string }[] {
  const of = (service: string, sdk: object) =>
    Object.keys(sdk)
      .filter((k) => /^[A-Z]\w*Command$/.test(k))
      .map((k) => ({ service, operation: k.replace(/Command$/, "") }));
  return [...of("ecs", ecs), ...of("elasticloadbalancing", elbv2), ...of("servicediscovery", serviceDiscovery)];
}

/** The class of a `service:Operation` name, as the operator's own client-side buckets see it. */
export function classOf(name: string): string {
  const i = name.indexOf(":");
  return apiClassOf(name.slice(0, i), name.slice(i + 1));
}

/** One proxy bucket per class, shared by all the class's operations, as AWS shares them. */
export function bucketSpecs(rates: Record<string, Rate> = AWS_API_RATES): (BucketSpec & { apiClass: string })[] {
  const byClass = new Map<string, string[]>();
  for (const { service, operation } of operations()) {
    const apiClass = apiClassOf(service, operation);
    byClass.set(apiClass, [...(byClass.get(apiClass) ?? []), `${service}:${operation}`]);
  }
  return [...byClass].map(([apiClass, match]) => ({ apiClass, match, ...rateOf(apiClass, rates) }));
}

export interface Floor {
  /** The least time in which the calls could have been made: the slowest class's. */
  seconds: number;
  /** The class that sets it. */
  limitingClass: string;
  byClass: Record<string, { calls: number; ratePerSecond: number; burst: number; floorSeconds: number }>;
}

/**
 * A bucket that starts full lets `burst` calls through at once and then `rate` per second, so
 * `calls` calls of one class need at least max(0, calls - burst) / rate seconds. Classes fill and
 * drain independently, so the whole job needs at least the largest of these.
 */
export function floorOf(callsByOperation: Record<string, number>, rates: Record<string, Rate> = AWS_API_RATES): Floor {
  const calls = new Map<string, number>();
  for (const [name, n] of Object.entries(callsByOperation)) calls.set(classOf(name), (calls.get(classOf(name)) ?? 0) + n);
  const byClass: Floor["byClass"] = {};
  let seconds = 0;
  let limitingClass = "";
  for (const [apiClass, n] of [...calls].sort()) {
    const rate = rateOf(apiClass, rates);
    const floorSeconds = Math.max(0, n - rate.burst) / rate.ratePerSecond;
    byClass[apiClass] = { calls: n, ...rate, floorSeconds };
    if (floorSeconds > seconds) [seconds, limitingClass] = [floorSeconds, apiClass];
  }
  return { seconds, limitingClass, byClass };
}
