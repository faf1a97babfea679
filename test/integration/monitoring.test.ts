// A real Prometheus scrapes the operator process while objects converge and fail, AWS throttles,
// watches are cut and the operator restarts; then every panel of the chart's Grafana dashboard
// must show something through Prometheus' HTTP API, and the chart's alerts evaluate and fire.
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { AwsProxyControl } from "../env/aws-proxy-control.js";
import { uniqueAccountId } from "../env/aws.js";
import { apply, createTestNamespace, waitFor, waitForCondition } from "../env/kube.js";
import { DASHBOARD_FILE, renderRuleGroups, writeRuleFile } from "../env/monitoring.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";
import { freePort } from "../env/processes.js";
import { startPrometheus, type Prometheus, type Series } from "../env/prometheus.js";
import { TcpProxy } from "../env/tcp-proxy.js";

const stack = inject("stack");
const awsProxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const JOB = "ecs-operator";
const RATE_INTERVAL = "10s";

interface Target {
  refId: string;
  expr: string;
  instant?: boolean;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
}

let namespace: string;
let relay: TcpProxy;
let prometheus: Prometheus | undefined;
let operator: OperatorProcess | undefined;
let httpPort: number;
let kubeconfigPath: string;
const startedAt = Date.now() / 1000;

const manifest = (kind: string, name: string, spec: Record<string, unknown>): string => JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace }, spec });

const startOperator = (): Promise<OperatorProcess> =>
  startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: 3, leaderElection: true, leaderElectionNamespace: namespace, kubeconfigPath, httpPort });

/** A dashboard query as Grafana sends it, its variables replaced: every job, every namespace. */
function substitute(expr: string, rangeSeconds: number): string {
  return expr.replaceAll("$job", JOB).replaceAll("$namespace", ".*").replaceAll("$__rate_interval", RATE_INTERVAL).replaceAll("$__range", `${Math.ceil(rangeSeconds)}s`);
}

const samples = (series: Series[]): number[] => series.flatMap((s) => (s.values ?? (s.value ? [s.value] : [])).map(([, v]) => Number(v)));

describe("monitoring with a real Prometheus", () => {
  beforeAll(async () => {
    namespace = await createTestNamespace(stack, "monitoring");
    // The operator reaches the API server through a relay that can cut its watches.
    const inFront = await TcpProxy.inFrontOf(stack.kubeServer);
    relay = inFront.proxy;
    kubeconfigPath = join(mkdtempSync(join(tmpdir(), "monitoring-")), "kubeconfig");
    writeFileSync(kubeconfigPath, readFileSync(stack.kubeconfigPath, "utf8").replaceAll(stack.kubeServer, inFront.url));
    httpPort = await freePort();
    operator = await startOperator();
    // The chart's rules, selecting this job, with durations short enough to fire within the test.
    const rules = renderRuleGroups(stack.helm, [
      "--set", `metrics.prometheusRule.selector=job="${JOB}"`,
      "--set", "metrics.prometheusRule.notReady.for=5s",
      "--set", "metrics.prometheusRule.reconcileErrors.for=5s",
      "--set", "metrics.prometheusRule.awsThrottling.for=5s",
      "--set", "metrics.prometheusRule.watchRestarts.for=5s",
      "--set", "metrics.prometheusRule.watchRestarts.per15m=0",
    ]);
    const prom = await startPrometheus({ targets: [`127.0.0.1:${httpPort}`], job: JOB, ruleFiles: [writeRuleFile(rules)] });
    prometheus = prom;
    // Scraping before anything happens, as in a running cluster: the counters' zeros are samples
    // that the first increments are then seen against.
    await waitFor("Prometheus scraping the operator", async () => samples(await prom.query(`sum_over_time(up{job="${JOB}"}[1m])`)).some((v) => v >= 3) || undefined);
  });

  afterAll(async () => {
    await awsProxy.clearFaults(accountId);
    await operator?.stop();
    await prometheus?.stop();
    await relay.close();
  });

  it("every dashboard panel shows data while objects converge and fail, and the alerts fire", { timeout: 240_000 }, async () => {
    const prom = prometheus;
    if (!prom) throw new Error("prometheus did not start");

    // Converging objects, and three kinds of failure: a missing dependency, a spec AWS rejects, throttling.
    apply(stack, manifest("EcsCluster", "main", {}));
    apply(stack, manifest("TaskDefinition", "web", { containerDefinitions: [{ name: "web", image: "nginx:1.27", memory: 128, essential: true }] }));
    apply(stack, manifest("EcsService", "web", { clusterRef: { name: "main" }, taskDefinitionRef: { name: "web" }, launchType: "EC2", desiredCount: 1 }));
    apply(stack, manifest("EcsService", "orphan", { clusterRef: { name: "missing" }, taskDefinitionRef: { name: "web" }, launchType: "EC2", desiredCount: 1 }));
    await waitForCondition(stack, "ecsservices", namespace, "web", { type: "Ready", status: "True" }, 60_000);
    // Later, a spec only AWS rejects (on EC2 a container needs memory or memoryReservation): its
    // error is then a change of a series Prometheus has already seen at 0, as in a running cluster.
    await waitFor("RegisterTaskDefinition errors at 0 in Prometheus", async () => (await prom.query(`ecs_operator_aws_calls_total{job="${JOB}", operation="RegisterTaskDefinition", outcome="error"} == 0`)).length > 0 || undefined);
    apply(stack, manifest("TaskDefinition", "rejected", { containerDefinitions: [{ name: "app", image: "httpd:2.4" }] }));
    await waitForCondition(stack, "taskdefinitions", namespace, "rejected", { type: "Synced", status: "False", reason: "InvalidSpec" });
    await waitForCondition(stack, "ecsservices", namespace, "orphan", { type: "Ready", status: "False", reason: "WaitingForDependency" });

    // "How many services are not Ready, and why" is one query.
    await waitFor("the objects gauge in Prometheus", async () => {
      const notReady = await prom.query(`sum by (reason) (ecs_operator_objects{job="${JOB}", kind="EcsService", condition="Ready", status!="True"})`);
      const ready = await prom.query(`sum(ecs_operator_objects{job="${JOB}", kind="EcsService", condition="Ready", status="True"})`);
      return notReady.length === 1 && notReady[0]?.metric.reason === "WaitingForDependency" && notReady[0].value?.[1] === "1" && ready[0]?.value?.[1] === "1" ? true : undefined;
    });

    // AWS throttles every DescribeClusters of this account from now on.
    await awsProxy.addFault({ kind: "throttle", operations: ["ecs:DescribeClusters"], accountId });
    await waitForCondition(stack, "ecsclusters", namespace, "main", { type: "Synced", status: "False", reason: "Throttled" }, 60_000);

    // Cut the operator's connections to the API server: its watches restart.
    const running = operator;
    if (!running) throw new Error("operator did not start");
    await waitFor("watch restarts", async () => {
      relay.cut();
      await sleep(500);
      return (await running.metric("ecs_operator_watch_restarts_total")) > 0 ? true : undefined;
    });
    // Prometheus must have scraped the count before this process goes, or the panel never sees it.
    await waitFor("the watch restarts in Prometheus", async () => samples(await prom.query(`sum(ecs_operator_watch_restarts_total{job="${JOB}"})`)).some((v) => v > 0) || undefined, 60_000);

    // Restart the operator on the same port: one more process start for Prometheus to see.
    await running.stop();
    operator = await startOperator();
    await waitFor("the restart in Prometheus", async () => samples(await prom.query(`changes(process_start_time_seconds{job="${JOB}"}[5m])`)).some((v) => v >= 1) || undefined, 60_000);
    await waitFor("the restarted operator leading", async () => samples(await prom.query(`ecs_operator_leader{job="${JOB}"}`)).some((v) => v === 1) || undefined, 60_000);
    await sleep(3000);

    // Every panel, every query, as the dashboard asks it.
    const dashboard = JSON.parse(readFileSync(DASHBOARD_FILE, "utf8")) as { panels: Panel[] };
    const panels = dashboard.panels.filter((p) => p.type !== "row");
    const empty: string[] = [];
    const flat: string[] = [];
    const end = Date.now() / 1000;
    for (const panel of panels) {
      const values: number[] = [];
      for (const target of panel.targets ?? []) {
        const expr = substitute(target.expr, end - startedAt);
        const result = target.instant ? await prom.query(expr) : await prom.queryRange(expr, startedAt, end, 2);
        if (samples(result).length === 0) empty.push(`${panel.title} [${target.refId}]: ${expr}`);
        values.push(...samples(result));
      }
      if (!values.some((v) => Number.isFinite(v) && v > 0)) flat.push(panel.title);
    }
    expect(panels.length).toBeGreaterThanOrEqual(15);
    expect(empty, "queries that return no data").toEqual([]);
    expect(flat, "panels with nothing but zeros").toEqual([]);

    // The alerts load, evaluate without error, and fire for what went wrong.
    await waitFor("the alerts firing", async () => {
      const rules = await prom.rules();
      const firing = (name: string) => rules.find((r) => r.name === name)?.alerts?.filter((a) => a.state === "firing").map((a) => a.labels) ?? [];
      const notReady = firing("EcsOperatorObjectsNotReady");
      return notReady.some((l) => l.kind === "EcsService" && l.namespace === namespace) &&
        notReady.some((l) => l.kind === "TaskDefinition" && l.namespace === namespace) &&
        firing("EcsOperatorReconcileErrors").some((l) => l.kind === "EcsCluster") &&
        firing("EcsOperatorAwsThrottling").some((l) => l.service === "ecs" && l.operation === "DescribeClusters") &&
        firing("EcsOperatorWatchRestarts").length > 0
        ? true
        : undefined;
    }, 60_000);
    const rules = await prom.rules();
    expect(rules.map((r) => r.name).sort()).toEqual(["EcsOperatorAwsThrottling", "EcsOperatorNoLeader", "EcsOperatorObjectsNotReady", "EcsOperatorReconcileErrors", "EcsOperatorWatchRestarts"]);
    expect(rules.filter((r) => r.health !== "ok").map((r) => `${r.name}: ${r.lastError ?? r.health}`)).toEqual([]);
    const description = rules.find((r) => r.name === "EcsOperatorObjectsNotReady")?.alerts?.find((a) => a.labels.kind === "EcsService")?.annotations.description;
    expect(description).toContain(`kubectl get ecsservice -n ${namespace}`);
  });
});
