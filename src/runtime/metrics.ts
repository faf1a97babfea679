import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export type ReconcileResult = "success" | "waiting" | "error";
export type AwsCallOutcome = "success" | "error" | "throttled";

/** The operator's metrics, as typed handles so that callers never look a metric up by name. */
export interface Metrics {
  /** Its own registry rather than prom-client's global one, so that tests can make several. */
  readonly registry: Registry;
  /** `result`: a {@link ReconcileResult}. */
  readonly reconcileTotal: Counter<"kind" | "result">;
  /** `class`: the error's class as the reconciler saw it (terminal, retryable, throttled). */
  readonly reconcileErrorsTotal: Counter<"kind" | "class">;
  readonly reconcileDurationSeconds: Histogram<"kind">;
  /** Stays flat once everything has converged: a rising count means status writes that change
   * nothing, which the API server and every watcher pay for. */
  readonly statusWritesTotal: Counter<"kind">;
  readonly workqueueDepth: Gauge<"kind">;
  readonly workqueueRetriesTotal: Counter<"kind">;
  /** `outcome`: an {@link AwsCallOutcome}. */
  readonly awsCallsTotal: Counter<"service" | "operation" | "outcome">;
  /** 1 while this replica holds the leader lease, else 0. */
  readonly leader: Gauge;
  readonly watchRestartsTotal: Counter<"resource">;
}

// A reconcile is a few AWS round trips, or many when throttled calls back off, so the buckets
// reach well past prom-client's default top of 10 s.
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const leader = new Gauge({ name: "ecs_operator_leader", help: "1 while this replica holds the leader lease, else 0.", registers });
  leader.set(0);
  return {
    registry,
    reconcileTotal: new Counter({
      name: "ecs_operator_reconcile_total",
      help: "Reconciles by kind and result (success, waiting: for something outside the operator's view, error).",
      labelNames: ["kind", "result"] as const,
      registers,
    }),
    reconcileErrorsTotal: new Counter({
      name: "ecs_operator_reconcile_errors_total",
      help: "Failed reconciles by kind and error class.",
      labelNames: ["kind", "class"] as const,
      registers,
    }),
    reconcileDurationSeconds: new Histogram({
      name: "ecs_operator_reconcile_duration_seconds",
      help: "Time taken by one reconcile, by kind.",
      labelNames: ["kind"] as const,
      buckets: RECONCILE_BUCKETS,
      registers,
    }),
    statusWritesTotal: new Counter({
      name: "ecs_operator_status_writes_total",
      help: "Writes to the status subresource, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    workqueueDepth: new Gauge({
      name: "ecs_operator_workqueue_depth",
      help: "Keys waiting in the work queue, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    workqueueRetriesTotal: new Counter({
      name: "ecs_operator_workqueue_retries_total",
      help: "Keys put back in the work queue with backoff, by kind.",
      labelNames: ["kind"] as const,
      registers,
    }),
    awsCallsTotal: new Counter({
      name: "ecs_operator_aws_calls_total",
      help: "AWS API calls by service, operation and outcome (success, error, throttled).",
      labelNames: ["service", "operation", "outcome"] as const,
      registers,
    }),
    leader,
    watchRestartsTotal: new Counter({
      name: "ecs_operator_watch_restarts_total",
      help: "Watches restarted after an error or expiry, by resource.",
      labelNames: ["resource"] as const,
      registers,
    }),
  };
}
