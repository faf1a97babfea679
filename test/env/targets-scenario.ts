// "The operator never deregisters targets ECS registered" (docs/design.md, promise 2), in a real
// flow: N services of M tasks behind their target groups roll to new revisions while the operator
// re-checks everything every few seconds and is restarted (or SIGKILLed) mid-rollout; ECS (the
// layer inside moto, docs/local-aws.md) registers and drains every task's target. Short version:
// test/integration/ecsservice-targets.test.ts; long: test/reliability/targets.test.ts.
import { DescribeTasksCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { setTimeout as sleep } from "node:timers/promises";
import { expect } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { AwsProxyControl, callsTo } from "./aws-proxy-control.js";
import { seededRandom } from "./aws-proxy.js";
import { testAwsClients, uniqueAccountId } from "./aws.js";
import { awsvpcNetwork, fargateTaskDefinition, manifest, networkConfiguration } from "./ecs-rollout.js";
import { apply, createTestNamespace, kubectl, waitFor } from "./kube.js";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.js";
import { logger, scenarioSeed } from "./reliability.js";
import type { StackInfo } from "./stack.js";

export interface TargetsScenario {
  services: number;
  tasks: number;
  /** New revisions rolled one after the other. */
  rollouts: number;
  /** How the operator goes down once in each rollout: a graceful stop, or SIGKILL. */
  restart: "stop" | "kill";
  convergeTimeoutMs?: number;
}

export async function targetsScenario(stack: StackInfo, opts: TargetsScenario): Promise<void> {
  const log = logger("targets");
  const seed = scenarioSeed();
  const random = seededRandom(seed);
  log(`seed ${String(seed)} (replay with RELIABILITY_SEED=${String(seed)}), ${String(opts.services)} services x ${String(opts.tasks)} tasks, ${String(opts.rollouts)} rollouts`);
  const proxy = new AwsProxyControl(stack.awsEndpoint);
  const accountId = uniqueAccountId();
  const { ecs, elbv2 } = testAwsClients(stack, accountId);
  const namespace = await createTestNamespace(stack, "targets");
  const network = await awsvpcNetwork(stack, accountId);
  const names = Array.from({ length: opts.services }, (_, i) => `web-${String(i)}`);
  const timeoutMs = opts.convergeTimeoutMs ?? 120_000;
  const start = () => startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: 3, workers: 8 });
  let operator: OperatorProcess = await start();

  const list = <T>(plural: string): T[] => (JSON.parse(kubectl(stack, ["get", plural, "-n", namespace, "-o", "json"])) as { items: T[] }).items;
  const allReady = (revision: number): boolean =>
    list<EcsService>("ecsservices").filter(
      (o) => o.status?.taskDefinitionRevision === revision && o.status.runningCount === opts.tasks && o.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") && o.status.observedGeneration === o.metadata.generation,
    ).length === opts.services;
  const targets = async (): Promise<Map<string, string>[]> => {
    const out = [];
    for (const tg of list<TargetGroup>("targetgroups")) {
      const health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.status?.arn }))).TargetHealthDescriptions ?? [];
      out.push(new Map(health.map((h) => [h.Target?.Id ?? "", h.TargetHealth?.State ?? ""])));
    }
    return out;
  };
  const taskIps = async (): Promise<Set<string>> => {
    const arns = (await ecs.send(new ListTasksCommand({ cluster: `${namespace}_main` }))).taskArns ?? [];
    const ips = new Set<string>();
    for (let i = 0; i < arns.length; i += 100) {
      for (const t of (await ecs.send(new DescribeTasksCommand({ cluster: `${namespace}_main`, tasks: arns.slice(i, i + 100) }))).tasks ?? []) ips.add(t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address ?? "");
    }
    return ips;
  };
  /** Every group holds exactly the running tasks' IPs, all healthy. */
  const expectTargetsAreTheTasks = async (): Promise<Set<string>> => {
    const groups = await targets();
    const ips = await taskIps();
    expect(groups).toHaveLength(opts.services);
    expect(ips.size).toBe(opts.services * opts.tasks);
    for (const states of groups) expect([...states.values()]).toEqual(Array<string>(opts.tasks).fill("healthy"));
    expect(new Set(groups.flatMap((s) => [...s.keys()]))).toEqual(ips);
    return ips;
  };

  try {
    apply(stack, [manifest("EcsCluster", namespace, "main", {}), fargateTaskDefinition(namespace, "web", "httpd:2.4.0")].join("\n"));
    apply(
      stack,
      names
        .flatMap((name) => [
          manifest("TargetGroup", namespace, name, { protocol: "HTTP", port: 80, vpcId: network.vpc, targetType: "ip", healthCheckPath: "/" }),
          manifest("EcsService", namespace, name, {
            clusterRef: { name: "main" },
            taskDefinitionRef: { name: "web" },
            desiredCount: opts.tasks,
            launchType: "FARGATE",
            networkConfiguration: networkConfiguration(network),
            loadBalancers: [{ targetGroupRef: { name }, containerName: "web", containerPort: 80 }],
          }),
        ])
        .join("\n"),
    );
    await waitFor(`${String(opts.services)} services Ready on revision 1`, () => Promise.resolve(allReady(1)), timeoutMs);
    let ips = await expectTargetsAreTheTasks();

    for (let rollout = 1; rollout <= opts.rollouts; rollout++) {
      const revision = rollout + 1;
      apply(stack, fargateTaskDefinition(namespace, "web", `httpd:2.4.${String(rollout)}`));
      // Down while the services roll (or are about to): the new process re-reads everything from
      // scratch, with targets moving.
      await waitFor(`revision ${String(revision)} registered`, () =>
        Promise.resolve(list<{ status?: { revision?: number } } & ManagedObject>("taskdefinitions").some((o) => o.status?.revision === revision)),
      );
      await sleep(Math.floor(random() * 1500));
      if (opts.restart === "kill") await operator.kill();
      else await operator.stop();
      operator = await start();
      await waitFor(`${String(opts.services)} services Ready on revision ${String(revision)}`, () => Promise.resolve(allReady(revision)), timeoutMs);
      const before = ips;
      ips = await expectTargetsAreTheTasks();
      // Targets came and went: no task, hence no target, survived the rollout.
      expect([...ips].filter((ip) => before.has(ip))).toEqual([]);
      log(`rollout ${String(rollout)}: ${String(ips.size)} new targets, none of the ${String(before.size)} old ones left`);
    }
    // The operator saw the targets too: its re-checks read DescribeTargetHealth.
    await waitFor("every TargetGroup reporting its healthy targets", () =>
      Promise.resolve(list<TargetGroup>("targetgroups").every((tg) => tg.status?.targetHealth?.healthy === opts.tasks && tg.status.targetHealth.draining === 0)),
    );
    const counts = await proxy.counts(accountId);
    log(`DescribeTargetHealth ${String(callsTo(counts, "elasticloadbalancing:DescribeTargetHealth"))}, RegisterTargets ${String(callsTo(counts, "elasticloadbalancing:RegisterTargets"))}, DeregisterTargets ${String(callsTo(counts, "elasticloadbalancing:DeregisterTargets"))}`);
    expect(callsTo(counts, "elasticloadbalancing:DescribeTargetHealth")).toBeGreaterThan(opts.services);
    expect(callsTo(counts, "elasticloadbalancing:RegisterTargets")).toBe(0);
    expect(callsTo(counts, "elasticloadbalancing:DeregisterTargets")).toBe(0);
  } finally {
    await operator.stop();
  }
}
