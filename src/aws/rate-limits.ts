import { unlessCancelled } from "../runtime/cancellation.js";
import type { Client, MetadataBearer } from "@smithy/types";

export interface Rate {
  /** Sustained requests per second (the bucket's refill). */
  ratePerSecond: number;
  /** Requests allowed at once (the bucket's size). */
  burst: number;
}

/**
 * AWS throttles per account and region with token buckets per class of API. These are the
 * classes and default rates the operator keeps under: for ECS the published defaults of the
 * "Request throttling for the Amazon ECS API" page
 * (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html, bucket
 * size = burst, refill = sustained); for ELBv2 and Cloud Map, which publish no per-action
 * limits, conservative values. Accounts with raised quotas raise them with
 * ECS_OPERATOR_AWS_RATES (JSON, same shape), e.g. a task definition registration quota above 1/s.
 */
export const AWS_API_RATES: Record<string, Rate> = {
  "ecs:cluster-read": { ratePerSecond: 20, burst: 50 },
  "ecs:cluster-modify": { ratePerSecond: 1, burst: 20 },
  "ecs:service-read": { ratePerSecond: 20, burst: 100 },
  "ecs:service-modify": { ratePerSecond: 5, burst: 50 },
  "ecs:taskdefinition-read": { ratePerSecond: 20, burst: 50 },
  "ecs:taskdefinition-modify": { ratePerSecond: 1, burst: 20 },
  "ecs:tag-read": { ratePerSecond: 20, burst: 50 },
  "ecs:tag-modify": { ratePerSecond: 10, burst: 20 },
  "ecs:other": { ratePerSecond: 20, burst: 50 },
  // The service-deployment operations (ListServiceDeployments, DescribeServiceDeployments,
  // StopServiceDeployment, ContinueServiceDeployment) are not on the throttling page: a class of
  // their own at conservative rates, so that reading releases never eats the services' bucket.
  "ecs:servicedeployment-read": { ratePerSecond: 10, burst: 20 },
  "ecs:servicedeployment-modify": { ratePerSecond: 1, burst: 5 },
  "elasticloadbalancing:read": { ratePerSecond: 10, burst: 40 },
  "elasticloadbalancing:modify": { ratePerSecond: 5, burst: 20 },
  "servicediscovery:read": { ratePerSecond: 10, burst: 50 },
  "servicediscovery:modify": { ratePerSecond: 5, burst: 20 },
  // RunTask, StopTask, DescribeTasks, ListTasks (EcsTask, EcsSchedule): below the ECS page's task rates.
  "ecs:task-read": { ratePerSecond: 20, burst: 50 },
  "ecs:task-modify": { ratePerSecond: 5, burst: 20 },
  // ListContainerInstances and DescribeContainerInstances (a cluster's instances by status): the
  // ECS page's container instance read rate. Capacity provider operations are cluster operations there.
  "ecs:container-instance-read": { ratePerSecond: 20, burst: 50 },
  // EventBridge Scheduler publishes 250 to 5,000 requests per second per schedule operation and 10
  // per schedule-group operation (https://docs.aws.amazon.com/scheduler/latest/UserGuide/scheduler-quotas.html).
  "scheduler:read": { ratePerSecond: 50, burst: 100 },
  "scheduler:modify": { ratePerSecond: 50, burst: 100 },
  "scheduler:group-read": { ratePerSecond: 5, burst: 10 },
  "scheduler:group-modify": { ratePerSecond: 5, burst: 10 },
  // Application Auto Scaling publishes no per-action rates
  // (https://docs.aws.amazon.com/autoscaling/application/userguide/application-auto-scaling-limits.html
  // lists resource quotas only): conservative values, as for ELBv2. Scaling activities are read per
  // service, so they have a smaller bucket of their own that cannot starve the reads of drift.
  "application-autoscaling:read": { ratePerSecond: 10, burst: 20 },
  "application-autoscaling:modify": { ratePerSecond: 5, burst: 10 },
  "application-autoscaling:activity-read": { ratePerSecond: 2, burst: 5 },
};

const READ = /^(Describe|List|Get)/;

/** The throttling class of one AWS operation. */
export function apiClassOf(service: string, operation: string): string {
  const mode = READ.test(operation) ? "read" : "modify";
  if (service === "scheduler" && /ScheduleGroup/.test(operation)) return `scheduler:group-${mode}`;
  if (service === "application-autoscaling" && operation === "DescribeScalingActivities") return "application-autoscaling:activity-read";
  if (service !== "ecs") return `${service}:${mode}`;
  // Before the others: "UntagResource" would otherwise look like nothing, "TagResource" on a
  // service like a service write.
  if (/^(Tag|Untag|ListTagsFor)Resource$/.test(operation)) return `ecs:tag-${mode}`;
  if (/ContainerInstance/.test(operation)) return `ecs:container-instance-${mode}`;
  if (/Cluster|CapacityProvider/.test(operation)) return `ecs:cluster-${mode}`;
  if (/TaskDefinition/.test(operation)) return `ecs:taskdefinition-${mode}`;
  if (/ServiceDeployment/.test(operation)) return `ecs:servicedeployment-${mode}`;
  if (/Service/.test(operation)) return `ecs:service-${mode}`;
  if (/^(RunTask|StartTask|StopTask|DescribeTasks|ListTasks)$/.test(operation)) return `ecs:task-${mode}`;
  return "ecs:other";
}

/** The rate of a class: its own, else its service's read or modify rate, else a cautious default. */
export function rateOf(apiClass: string, rates: Record<string, Rate> = AWS_API_RATES): Rate {
  const service = apiClass.slice(0, apiClass.indexOf(":"));
  return rates[apiClass] ?? rates[`${service}:${apiClass.endsWith("read") ? "read" : "modify"}`] ?? { ratePerSecond: 10, burst: 10 };
}

/** A token bucket that makes callers wait (in order) instead of failing: we throttle ourselves. */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly rate: Rate,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = rate.burst;
    this.last = now();
  }

  take(): Promise<void> {
    const turn = this.queue.then(async () => {
      this.refill();
      if (this.tokens < 1) {
        const waitMs = ((1 - this.tokens) / this.rate.ratePerSecond) * 1000;
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        this.refill();
      }
      this.tokens -= 1;
    });
    this.queue = turn;
    return turn;
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.rate.burst, this.tokens + ((now - this.last) / 1000) * this.rate.ratePerSecond);
    this.last = now;
  }
}

/** Reads rate overrides: a JSON object of class → {ratePerSecond, burst}. */
export function ratesFrom(overrides: string | undefined): Record<string, Rate> {
  if (!overrides) return AWS_API_RATES;
  return { ...AWS_API_RATES, ...(JSON.parse(overrides) as Record<string, Rate>) };
}

/**
 * Makes every request of the client wait for a token of its API class. Added at the
 * "finalizeRequest" step, inside the SDK's retry loop, so that retries also pay.
 */
export function limitClient(client: Client<object, MetadataBearer, unknown>, service: string, buckets: Map<string, TokenBucket>, rates: Record<string, Rate>): void {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const apiClass = apiClassOf(service, (context.commandName ?? "").replace(/Command$/, ""));
      let bucket = buckets.get(apiClass);
      if (!bucket) {
        bucket = new TokenBucket(rateOf(apiClass, rates));
        buckets.set(apiClass, bucket);
      }
      // A reconcile cancelled while it queues for a token gives up at once.
      await unlessCancelled(bucket.take());
      return next(args);
    },
    { step: "finalizeRequest", name: "ecsOperatorRateLimit", priority: "low" },
  );
}
