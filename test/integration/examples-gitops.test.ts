import { execFileSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { argoHealth } from "../env/argocd.js";
import { AwsProxyControl, writeCalls } from "../env/aws-proxy-control.js";
import { uniqueAccountId } from "../env/aws.js";
import { runDemo, type DemoResult } from "../env/demo.js";
import { kubectl } from "../env/kube.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const namespace = `examples-${accountId.slice(-6)}`;
let demo: DemoResult;

describe("the examples, as make demo and Argo CD use them", () => {
  beforeAll(async () => {
    demo = await runDemo(stack, { namespace, accountId, log: () => undefined, timeoutMs: 90_000 });
  }, 120_000);

  afterAll(async () => {
    await demo.operator.stop();
  });

  it("all converge to Ready", () => {
    expect(demo.notReady).toEqual([]);
    expect(demo.ready).toBe(true);
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

  it("make no AWS write once converged (promise 2)", async () => {
    await sleep(2000);
    await proxy.reset(accountId);
    await sleep(8000);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
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
});
