import { describe, expect, it } from "vitest";
import { countAwsCall, countObjects, createMetrics, OUTDATED, UNRECONCILED, type CachedKind, type CachedObject, startCountingKind } from "../../src/runtime/metrics.js";
import type { Condition } from "../../src/runtime/object.js";
import { sumSamples } from "../env/operator-process.js";

const at = "2026-01-01T00:00:00Z";
const condition = (type: string, status: Condition["status"], reason: string, observedGeneration = 1): Condition => ({ type, status, reason, message: "", lastTransitionTime: at, observedGeneration });
const object = (namespace: string, conditions?: Condition[], generation = 1): CachedObject => ({ metadata: { namespace, generation }, ...(conditions ? { status: { conditions } } : {}) });

const ready = (ns = "team-a") => object(ns, [condition("Ready", "True", "Available"), condition("Synced", "True", "Available")]);
const throttled = (ns = "team-a") => object(ns, [condition("Ready", "False", "Throttled"), condition("Synced", "False", "Throttled")]);

describe("the objects gauge (ecs_operator_objects)", () => {
  it("counts objects by namespace, kind, condition, status and reason", () => {
    const counts = countObjects([
      { kind: "EcsService", objects: [ready(), ready(), throttled(), ready("team-b")] },
      { kind: "TargetGroup", objects: [ready()] },
    ]);
    const find = (labels: Record<string, string>) => counts.filter((c) => Object.entries(labels).every(([k, v]) => c[k as keyof typeof c] === v)).reduce((n, c) => n + c.count, 0);
    expect(find({ kind: "EcsService", condition: "Ready", status: "True", namespace: "team-a" })).toBe(2);
    expect(find({ kind: "EcsService", condition: "Ready", status: "True", namespace: "team-b" })).toBe(1);
    expect(find({ kind: "EcsService", condition: "Ready", status: "False", reason: "Throttled" })).toBe(1);
    expect(find({ kind: "EcsService", condition: "Synced", status: "False", reason: "Throttled" })).toBe(1);
    expect(find({ kind: "TargetGroup", condition: "Ready" })).toBe(1);
    // Every object is counted once per condition.
    expect(find({ condition: "Ready" })).toBe(5);
    expect(find({ condition: "Synced" })).toBe(5);
  });

  it("counts an object without conditions as Unknown, reason Unreconciled", () => {
    const counts = countObjects([{ kind: "EcsCluster", objects: [object("ns"), object("ns", [condition("Ready", "False", "Creating")])] }]);
    expect(counts).toContainEqual({ namespace: "ns", kind: "EcsCluster", condition: "Ready", status: "Unknown", reason: UNRECONCILED, count: 1 });
    expect(counts).toContainEqual({ namespace: "ns", kind: "EcsCluster", condition: "Synced", status: "Unknown", reason: UNRECONCILED, count: 2 });
    expect(counts).toContainEqual({ namespace: "ns", kind: "EcsCluster", condition: "Ready", status: "False", reason: "Creating", count: 1 });
  });

  it("counts a condition written for an older generation as Unknown, reason Outdated: Ready=True speaks only for its generation", () => {
    const stale = object("ns", [condition("Ready", "True", "Available", 1), condition("Synced", "True", "Available", 2)], 2);
    const counts = countObjects([{ kind: "TaskDefinition", objects: [stale] }]);
    expect(counts).toEqual([
      { namespace: "ns", kind: "TaskDefinition", condition: "Ready", status: "Unknown", reason: OUTDATED, count: 1 },
      { namespace: "ns", kind: "TaskDefinition", condition: "Synced", status: "True", reason: "Available", count: 1 },
    ]);
  });

  it("is read from the caches at each scrape: series appear, change and disappear with the objects", async () => {
    const caches: CachedKind[] = [];
    const metrics = createMetrics({ cachedObjects: () => caches });
    const scrape = async (labels: Record<string, string>) => sumSamples(await metrics.registry.metrics(), "ecs_operator_objects", labels);
    expect(await scrape({})).toBe(0);

    caches.push({ kind: "EcsService", objects: [ready(), throttled()] });
    expect(await scrape({ kind: "EcsService", condition: "Ready", status: "False", reason: "Throttled", namespace: "team-a" })).toBe(1);
    expect(await scrape({ kind: "EcsService", condition: "Ready" })).toBe(2);

    // The throttled service recovers: its old series must not linger at its last value.
    caches[0] = { kind: "EcsService", objects: [ready(), ready()] };
    const text = await metrics.registry.metrics();
    expect(text).not.toContain('reason="Throttled"');
    expect(sumSamples(text, "ecs_operator_objects", { kind: "EcsService", condition: "Ready", status: "True" })).toBe(2);

    caches.length = 0;
    expect(await metrics.registry.metrics()).not.toMatch(/^ecs_operator_objects\{/m);
  });

  it("exports no objects without a source (a standby replica), and keeps every other metric", async () => {
    const text = await createMetrics().registry.metrics();
    expect(text).toContain("# TYPE ecs_operator_objects gauge");
    expect(text).not.toMatch(/^ecs_operator_objects\{/m);
    for (const name of ["ecs_operator_reconcile_total", "ecs_operator_reconcile_errors_total", "ecs_operator_reconcile_duration_seconds", "ecs_operator_workqueue_depth", "ecs_operator_aws_calls_total", "ecs_operator_leader", "ecs_operator_watch_restarts_total", "process_resident_memory_bytes"]) {
      expect(text).toContain(`# TYPE ${name} `);
    }
  });
});

describe("counters that exist before their first event", () => {
  it("puts a kind's counters at 0 when its controller starts, so that rate() sees the first error and the first watch restart", async () => {
    const metrics = createMetrics();
    startCountingKind(metrics, "EcsService", "ecsservices");
    const text = await metrics.registry.metrics();
    for (const series of [
      'ecs_operator_reconcile_total{kind="EcsService",result="error"} 0',
      'ecs_operator_reconcile_errors_total{kind="EcsService",class="terminal"} 0',
      'ecs_operator_reconcile_errors_total{kind="EcsService",class="throttled"} 0',
      'ecs_operator_workqueue_retries_total{kind="EcsService"} 0',
      'ecs_operator_watch_restarts_total{resource="ecsservices"} 0',
    ]) {
      expect(text).toContain(series);
    }
  });

  it("counts an AWS call and puts the operation's other outcomes at 0", async () => {
    const metrics = createMetrics();
    countAwsCall(metrics, { service: "ecs", operation: "RegisterTaskDefinition", outcome: "success" });
    countAwsCall(metrics, { service: "ecs", operation: "RegisterTaskDefinition", outcome: "success" });
    const text = await metrics.registry.metrics();
    expect(sumSamples(text, "ecs_operator_aws_calls_total", { operation: "RegisterTaskDefinition", outcome: "success" })).toBe(2);
    expect(text).toContain('ecs_operator_aws_calls_total{service="ecs",operation="RegisterTaskDefinition",outcome="error"} 0');
    expect(text).toContain('ecs_operator_aws_calls_total{service="ecs",operation="RegisterTaskDefinition",outcome="throttled"} 0');
  });
});
