import { afterEach, describe, expect, it } from "vitest";
import { startHttpServer, type HttpServer } from "../../src/runtime/http.js";
import { createMetrics } from "../../src/runtime/metrics.js";

const servers: HttpServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(ready: () => boolean = () => true): Promise<{ metrics: ReturnType<typeof createMetrics>; get: (path: string) => Promise<Response> }> {
  const metrics = createMetrics();
  const server = await startHttpServer({ port: 0, host: "127.0.0.1", metrics, ready });
  servers.push(server);
  return { metrics, get: (path) => fetch(`http://127.0.0.1:${server.port}${path}`) };
}

describe("the probe and metrics server", () => {
  it("answers /healthz while the process runs, ready or not", async () => {
    const { get } = await serve(() => false);
    const res = await get("/healthz");
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("ok\n");
  });

  it("answers /readyz with 200 only while ready() is true", async () => {
    let ready = false;
    const { get } = await serve(() => ready);
    expect((await get("/readyz")).status).toBe(503);
    ready = true;
    expect((await get("/readyz")).status).toBe(200);
    ready = false;
    expect((await get("/readyz")).status).toBe(503);
  });

  it("answers 500 when ready() throws", async () => {
    const { get } = await serve(() => {
      throw new Error("cache broken");
    });
    const res = await get("/readyz");
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("cache broken");
  });

  it("serves the registry's text exposition on /metrics", async () => {
    const { metrics, get } = await serve();
    metrics.reconcileTotal.inc({ kind: "EcsService", result: "success" });
    metrics.reconcileTotal.inc({ kind: "EcsService", result: "requeue" }, 2);
    metrics.reconcileErrorsTotal.inc({ kind: "TargetGroup", class: "throttled" });
    metrics.reconcileDurationSeconds.observe({ kind: "EcsService" }, 0.3);
    metrics.statusWritesTotal.inc({ kind: "EcsService" });
    metrics.workqueueDepth.set({ kind: "EcsService" }, 4);
    metrics.workqueueRetriesTotal.inc({ kind: "EcsService" });
    metrics.awsCallsTotal.inc({ service: "ecs", operation: "DescribeServices", outcome: "throttled" });
    metrics.leader.set(1);
    metrics.watchRestartsTotal.inc({ resource: "ecsservices" });

    const res = await get("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metrics.registry.contentType);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = await res.text();
    for (const line of [
      'ecs_operator_reconcile_total{kind="EcsService",result="success"} 1',
      'ecs_operator_reconcile_total{kind="EcsService",result="requeue"} 2',
      'ecs_operator_reconcile_errors_total{kind="TargetGroup",class="throttled"} 1',
      'ecs_operator_reconcile_duration_seconds_bucket{le="0.5",kind="EcsService"} 1',
      'ecs_operator_reconcile_duration_seconds_count{kind="EcsService"} 1',
      'ecs_operator_status_writes_total{kind="EcsService"} 1',
      'ecs_operator_workqueue_depth{kind="EcsService"} 4',
      'ecs_operator_workqueue_retries_total{kind="EcsService"} 1',
      'ecs_operator_aws_calls_total{service="ecs",operation="DescribeServices",outcome="throttled"} 1',
      "ecs_operator_leader 1",
      'ecs_operator_watch_restarts_total{resource="ecsservices"} 1',
    ]) {
      expect(body.split("\n")).toContain(line);
    }
    // prom-client's default process metrics come along.
    expect(body).toMatch(/^process_cpu_user_seconds_total /m);
    expect(body).toMatch(/^nodejs_heap_size_used_bytes /m);
  });

  it("keeps each registry's counts apart", async () => {
    const a = createMetrics();
    const b = createMetrics();
    a.reconcileTotal.inc({ kind: "EcsCluster", result: "error" });
    expect(await a.registry.metrics()).toContain('ecs_operator_reconcile_total{kind="EcsCluster",result="error"} 1');
    expect(await b.registry.metrics()).not.toContain('kind="EcsCluster"');
    expect(await b.registry.metrics()).toContain("ecs_operator_leader 0");
  });

  it("answers 404 for any other path, and ignores query strings on known ones", async () => {
    const { get } = await serve();
    expect((await get("/")).status).toBe(404);
    expect((await get("/metricsx")).status).toBe(404);
    expect((await get("/healthz?verbose")).status).toBe(200);
  });

  it("picks a free port for port 0 and stops listening on close()", async () => {
    const metrics = createMetrics();
    const server = await startHttpServer({ port: 0, host: "127.0.0.1", metrics, ready: () => true });
    expect(server.port).toBeGreaterThan(0);
    await server.close();
    await expect(fetch(`http://127.0.0.1:${server.port}/healthz`)).rejects.toThrow();
  });
});
