import { DescribeScalableTargetsCommand } from "@aws-sdk/client-application-auto-scaling";
import { DescribeClustersCommand, ListClustersCommand, ListServicesCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { DescribeRulesCommand, DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { ListNamespacesCommand, ListServicesCommand as ListCloudMapServicesCommand } from "@aws-sdk/client-servicediscovery";
import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { argoHealth } from "../env/argocd.js";
import { AwsProxyControl, writeCalls } from "../env/aws-proxy-control.js";
import { testAwsClients, uniqueAccountId } from "../env/aws.js";
import { runDemo, type DemoResult } from "../env/demo.js";
import { kubectl, waitFor } from "../env/kube.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const namespace = `examples-${accountId.slice(-6)}`;
let demo: DemoResult;

describe("the examples, as make demo and Argo CD use them", () => {
  beforeAll(async () => {
    // A re-check period longer than the test: whatever converges, converges on changes alone.
    demo = await runDemo(stack, { namespace, accountId, log: () => undefined, timeoutMs: 90_000, resyncSeconds: 600 });
  }, 120_000);

  afterAll(async () => {
    await demo.operator.stop();
  });

  async function inventory(): Promise<Record<string, number>> {
    const aws = testAwsClients(stack, accountId);
    const clusters = (await aws.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
    const active = clusters.length > 0 ? ((await aws.ecs.send(new DescribeClustersCommand({ clusters }))).clusters ?? []).filter((c) => c.status === "ACTIVE") : [];
    let services = 0;
    for (const c of active) services += ((await aws.ecs.send(new ListServicesCommand({ cluster: c.clusterArn }))).serviceArns ?? []).length;
    return {
      clusters: active.length,
      services,
      taskDefinitions: ((await aws.ecs.send(new ListTaskDefinitionsCommand({ status: "ACTIVE" }))).taskDefinitionArns ?? []).length,
      targetGroups: ((await aws.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []).length,
      rules: ((await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: demo.listenerArn }))).Rules ?? []).filter((r) => r.IsDefault !== true).length,
      namespaces: ((await aws.serviceDiscovery.send(new ListNamespacesCommand({}))).Namespaces ?? []).length,
      cloudMapServices: ((await aws.serviceDiscovery.send(new ListCloudMapServicesCommand({}))).Services ?? []).length,
      scalableTargets: ((await aws.applicationAutoScaling.send(new DescribeScalableTargetsCommand({ ServiceNamespace: "ecs" }))).ScalableTargets ?? []).length,
    };
  }

  it("all converge to Ready", () => {
    expect(demo.notReady).toEqual([]);
    expect(demo.ready).toBe(true);
  });

  it("show each cluster's running tasks once its services run, without waiting for a re-check", async () => {
    const services = (JSON.parse(kubectl(stack, ["get", "ecsservices", "-n", namespace, "-o", "json"])) as { items: ManagedObject[] }).items;
    const running = services.reduce((sum, s) => sum + Number(s.status?.runningCount ?? 0), 0);
    expect(running).toBeGreaterThan(0);
    await waitFor("the cluster's RUNNING column to count the services' tasks", () => {
      const clusters = (JSON.parse(kubectl(stack, ["get", "ecsclusters", "-n", namespace, "-o", "json"])) as { items: ManagedObject[] }).items;
      return Promise.resolve(clusters.reduce((sum, c) => sum + Number(c.status?.runningTasksCount ?? 0), 0) === running);
    }, 15_000);
  });

  it("leave kubectl diff --server-side empty: no defaulting or spec writes that would show OutOfSync", () => {
    let output = "";
    try {
      output = execFileSync(stack.kubectl, ["--kubeconfig", stack.kubeconfigPath, "diff", "--server-side", "-f", "-"], { input: demo.applied, encoding: "utf8" });
    } catch (err) {
      // kubectl diff exits 1 when it finds a difference.
      throw new Error(`kubectl diff found differences:\n${String((err as { stdout?: string }).stdout)}`);
    }
    expect(output).toBe("");
  });

  it("show the operator as the manager of their status and finalizer only, never of the spec", () => {
    interface ManagedFieldsEntry { manager?: string; operation?: string; subresource?: string; fieldsV1?: Record<string, unknown> }
    const items = (JSON.parse(kubectl(stack, ["get", "ecs", "-n", namespace, "-o", "json", "--show-managed-fields"])) as { items: (ManagedObject & { metadata: { managedFields?: ManagedFieldsEntry[] } })[] }).items;
    expect(items.length).toBeGreaterThanOrEqual(11);
    for (const obj of items) {
      const ours = (obj.metadata.managedFields ?? []).filter((entry) => entry.manager === "ecs-operator");
      const where = `${obj.kind}/${obj.metadata.name}`;
      expect(ours.map((entry) => entry.subresource ?? "main").sort(), where).toEqual(["main", "status"]);
      expect(Object.keys(ours.find((entry) => entry.subresource === undefined)?.fieldsV1 ?? {}), `${where}: main resource fields`).toEqual(["f:metadata"]);
      expect((obj.metadata.managedFields ?? []).map((entry) => entry.manager), where).not.toContain("node-fetch");
    }
  });

  it("make no AWS write once converged (promise 2)", async () => {
    await sleep(2000);
    await proxy.reset(accountId);
    await sleep(8000);
    const counts = await proxy.counts(accountId);
    expect(writeCalls(counts), JSON.stringify(counts)).toBe(0);
  });

  it("are Healthy by the Argo CD health check, on the live objects", () => {
    const items = (JSON.parse(kubectl(stack, ["get", "ecs", "-n", namespace, "-o", "json"])) as { items: ManagedObject[] }).items;
    expect(items.length).toBeGreaterThanOrEqual(11);
    for (const obj of items) expect(argoHealth(obj), `${obj.kind}/${obj.metadata.name}`).toMatchObject({ status: "Healthy" });
  });

  it("explain themselves: kubectl explain has descriptions, kubectl describe shows Events", () => {
    expect(kubectl(stack, ["explain", "ecsservice.spec.deploymentConfiguration.deploymentCircuitBreaker"])).toContain("Roll back to the last completed deployment");
    expect(kubectl(stack, ["describe", "ecsservice", "sample-fargate-app", "-n", namespace])).toMatch(/Events:[\s\S]*Created/);
  });
  it("are all deleted at once in a valid order, leaving nothing in AWS and no error behind", async () => {
    expect(Object.values(await inventory()).every((n) => n > 0)).toBe(true);
    kubectl(stack, ["delete", "-f", "-", "--wait=true", "--timeout=90s"], demo.applied);
    expect(kubectl(stack, ["get", "ecs", "-n", namespace, "-o", "name"]).trim()).toBe("");
    expect(await inventory()).toEqual({ clusters: 0, services: 0, taskDefinitions: 0, targetGroups: 0, rules: 0, namespaces: 0, cloudMapServices: 0, scalableTargets: 0 });
    const warnings = kubectl(stack, ["get", "events", "-n", namespace, "--field-selector", "type=Warning", "-o", "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}"]);
    expect(warnings.trim()).toBe("");
  }, 120_000);
});
