import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { ErrorClass } from "./errors.js";
import type { Condition } from "./object.js";

const RECONCILE_RESULTS = ["success", "waiting", "error"] as const;
export type ReconcileResult = (typeof RECONCILE_RESULTS)[number];
const AWS_CALL_OUTCOMES = ["success", "error", "throttled"] as const;
export type AwsCallOutcome = (typeof AWS_CALL_OUTCOMES)[number];
const ERROR_CLASSES: readonly ErrorClass[] = ["terminal", "retryable", "throttled"];

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
  /** Objects by namespace, kind and the state of their Ready and Synced conditions, counted from
   * the informer caches at each scrape (see {@link countObjects}). */
  readonly objects: Gauge<"namespace" | "kind" | "condition" | "status" | "reason">;
}

/**
 * Puts a kind's counters at 0 before anything happens. A labelled series appears only when first
 * set, and rate() and increase() need a sample before a change to see it: without this the first
 * error of a kind (or the first watch restart) would never show on a dashboard or in an alert.
 */
export function startCountingKind(metrics: Metrics, kind: string, resource: string): void {
  for (const result of RECONCILE_RESULTS) metrics.reconcileTotal.inc({ kind, result }, 0);
  for (const errorClass of ERROR_CLASSES) metrics.reconcileErrorsTotal.inc({ kind, class: errorClass }, 0);
  metrics.statusWritesTotal.inc({ kind }, 0);
  metrics.workqueueRetriesTotal.inc({ kind }, 0);
  metrics.workqueueDepth.set({ kind }, 0);
  metrics.watchRestartsTotal.inc({ resource }, 0);
}

/** Counts one AWS call attempt; an operation's first call puts its other outcomes at 0, for the
 * same reason as {@link startCountingKind}. */
export function countAwsCall(metrics: Metrics, call: { service: string; operation: string; outcome: AwsCallOutcome }): void {
  const { service, operation, outcome } = call;
  for (const other of AWS_CALL_OUTCOMES) metrics.awsCallsTotal.inc({ service, operation, outcome: other }, 0);
  metrics.awsCallsTotal.inc({ service, operation, outcome });
}

/** An object as the metrics read it from an informer cache: only what the conditions gauge needs. */
export interface CachedObject {
  metadata: { namespace: string; generation?: number };
  status?: { conditions?: readonly Condition[] } | null;
}

/** The objects of one kind in this replica's caches (none on a standby: it runs no controllers). */
export interface CachedKind {
  kind: string;
  objects: readonly CachedObject[];
}

export interface MetricsOptions {
  /** Read at each scrape, so the gauge is exact without counting every write. */
  cachedObjects?: () => Iterable<CachedKind>;
}

/** The conditions the gauge reports: the summary and whether the last reconcile applied the spec. */
export const COUNTED_CONDITIONS = ["Ready", "Synced"] as const;
/** Reason label of an object that carries no such condition yet (the operator has not written it). */
export const UNRECONCILED = "Unreconciled";
/** Reason label of a condition written for an older generation: it no longer speaks for the spec
 * (docs/design.md, section 2), so its status counts as Unknown. */
export const OUTDATED = "Outdated";

export interface ObjectCount {
  namespace: string;
  kind: string;
  condition: (typeof COUNTED_CONDITIONS)[number];
  status: "True" | "False" | "Unknown";
  reason: string;
  count: number;
}

/** Counts objects by namespace, kind, condition, status and reason; pure, for the gauge and its tests. */
export function countObjects(kinds: Iterable<CachedKind>): ObjectCount[] {
  const counts = new Map<string, ObjectCount>();
  for (const { kind, objects } of kinds) {
    for (const obj of objects) {
      const generation = obj.metadata.generation;
      for (const type of COUNTED_CONDITIONS) {
        const condition = obj.status?.conditions?.find((c) => c.type === type);
        const outdated = condition?.observedGeneration !== undefined && generation !== undefined && condition.observedGeneration < generation;
        const status = !condition || outdated ? "Unknown" : condition.status;
        const reason = !condition ? UNRECONCILED : outdated ? OUTDATED : condition.reason;
        const key = [obj.metadata.namespace, kind, type, status, reason].join("\0");
        const entry = counts.get(key);
        if (entry) entry.count += 1;
        else counts.set(key, { namespace: obj.metadata.namespace, kind, condition: type, status, reason, count: 1 });
      }
    }
  }
  return [...counts.values()];
}

// A reconcile is a few AWS round trips, or many when throttled calls back off, so the buckets
// reach well past prom-client's default top of 10 s.
const RECONCILE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export function createMetrics(options: MetricsOptions = {}): Metrics {
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
    objects: new Gauge({
      name: "ecs_operator_objects",
      help:
        "Objects by namespace, kind and condition (Ready, Synced), with the condition's status and reason; " +
        `reason ${UNRECONCILED}: no such condition yet, ${OUTDATED}: written for an older generation (status Unknown). Counted from the caches at scrape time.`,
      labelNames: ["namespace", "kind", "condition", "status", "reason"] as const,
      registers,
      collect() {
        // Reset first: a combination that no object has any more must disappear, not stay at its last count.
        this.reset();
        for (const { count, ...labels } of countObjects(options.cachedObjects?.() ?? [])) this.set(labels, count);
      },
    }),
  };
}
