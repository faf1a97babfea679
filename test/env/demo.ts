import { CreateListenerCommand, CreateLoadBalancerCommand, DescribeRulesCommand, DescribeTargetGroupsCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeClustersCommand, DescribeServicesCommand, DescribeTasksCommand, ListClustersCommand, ListServicesCommand, ListTaskDefinitionsCommand, ListTasksCommand } from "@aws-sdk/client-ecs";
import { ListInstancesCommand, ListNamespacesCommand, ListServicesCommand as ListCloudMapServicesCommand } from "@aws-sdk/client-servicediscovery";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { pluralOf } from "../../src/api/index.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { defaultSecurityGroup, defaultVpc, testAwsClients, vpcSubnets } from "./aws.js";
import { kubectl, waitFor } from "./kube.js";
import { startOperatorProcess, type OperatorProcess } from "./operator-process.js";
import { repoRoot } from "./paths.js";
import type { StackInfo } from "./stack.js";

/** The placeholder ids the examples carry, and what stands in for them in moto. */
const PLACEHOLDERS = {
  vpc: "vpc-0123456789abcdef0",
  subnets: ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"],
  securityGroup: "sg-0123456789abcdef0",
  listener: /arn:aws:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener\/app\/my-alb\/[0-9a-f]+\/[0-9a-f]+/g,
};

export interface DemoResult {
  ready: boolean;
  /** `kubectl get ecssvc -w` of the README's first service while it came up. */
  firstRollout: string[];
  listenerArn: string;
  /** The manifests as applied (placeholders replaced, namespace set), for `kubectl diff`. */
  applied: string;
  operator: OperatorProcess;
  notReady: string[];
}

/** The README's "A first manifest" (a cluster, a task definition and a 2-task Fargate service). */
export function readmeFirstManifest(): string {
  const match = /## A first manifest\s+```yaml\n([\s\S]*?)```/.exec(readFileSync(join(repoRoot, "README.md"), "utf8"));
  if (match?.[1] === undefined) throw new Error("README.md has no yaml block under '## A first manifest'");
  return match[1];
}

/** The name of the README manifest's EcsService and TaskDefinition. */
export const FIRST_SERVICE = "web";

/**
 * `kubectl get ecssvc <name> -w` in the background; `stop` ends it and returns what it printed,
 * each row once (a row that differs only in AGE is the same row).
 */
export function watchService(stack: StackInfo, namespace: string, name: string): { stop(): string[] } {
  const child = spawn(stack.kubectl, ["--kubeconfig", stack.kubeconfigPath, "get", "ecssvc", "-n", namespace, "-w", "--field-selector", `metadata.name=${name}`], { stdio: ["ignore", "pipe", "ignore"] });
  let text = "";
  child.stdout.on("data", (chunk: Buffer) => (text += chunk.toString()));
  return {
    stop() {
      child.kill();
      const rows: string[] = [];
      for (const line of text.split("\n").filter((l) => l.trim() !== "")) {
        const withoutAge = line.replace(/\s+\S+\s*$/, "");
        if (rows.at(-1)?.replace(/\s+\S+\s*$/, "") !== withoutAge) rows.push(line);
      }
      return rows;
    },
  };
}

/**
 * The examples as a newcomer would run them: an ALB and listener stand in for the user's own,
 * the examples' placeholder VPC, subnet, security group and listener ids are swapped for moto's,
 * everything is applied at once, and the operator converges it.
 */
export async function runDemo(stack: StackInfo, opts: { namespace: string; accountId: string; log: (line: string) => void; timeoutMs?: number; resyncSeconds?: number }): Promise<DemoResult> {
  const { namespace, accountId, log } = opts;
  const aws = testAwsClients(stack, accountId);
  const vpc = await defaultVpc(stack, accountId);
  const subnets = await vpcSubnets(stack, accountId, vpc);
  const securityGroup = await defaultSecurityGroup(stack, accountId, vpc);
  const alb = await aws.elbv2.send(new CreateLoadBalancerCommand({ Name: "demo-alb", Subnets: subnets.slice(0, 2), Type: "application" }));
  const listener = await aws.elbv2.send(
    new CreateListenerCommand({ LoadBalancerArn: alb.LoadBalancers?.[0]?.LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] }),
  );
  const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? "";
  log(`an ALB with an HTTP listener stands in for yours: ${listenerArn}`);

  kubectl(stack, ["create", "namespace", namespace]);
  const operator = await startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: opts.resyncSeconds ?? 30 });
  log(`operator running (pid ${String(operator.pid)}), watching namespace ${namespace}`);

  const dir = join(repoRoot, "examples");
  // The README's first manifest comes first, as a newcomer would apply it.
  const manifests = [
    readmeFirstManifest(),
    ...readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => readFileSync(join(dir, f), "utf8")),
  ].map((text) =>
      text
        .replaceAll(PLACEHOLDERS.vpc, vpc)
        .replaceAll(PLACEHOLDERS.subnets[0] ?? "", subnets[0] ?? "")
        .replaceAll(PLACEHOLDERS.subnets[1] ?? "", subnets[1] ?? subnets[0] ?? "")
        .replaceAll(PLACEHOLDERS.securityGroup, securityGroup)
        .replace(PLACEHOLDERS.listener, listenerArn),
    );
  const objects = manifests.flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)).filter((o) => o?.kind !== undefined && pluralOf[o.kind]);
  log(`applying ${String(objects.length)} objects from examples/`);
  const applied = manifests.join("\n---\n").replace(/^(metadata:\n)/gm, `$1  namespace: ${namespace}\n`);
  const watch = watchService(stack, namespace, FIRST_SERVICE);
  // Server-side apply, as Argo CD does with ServerSideApply=true.
  kubectl(stack, ["apply", "--server-side", "-f", "-"], applied);

  const deadline = Date.now() + (opts.timeoutMs ?? 180_000);
  let notReady: string[] = [];
  for (;;) {
    notReady = [];
    for (const [kind, plural] of Object.entries(pluralOf)) {
      const list = JSON.parse(kubectl(stack, ["get", plural, "-n", namespace, "-o", "json"])) as { items: ManagedObject[] };
      for (const obj of list.items) {
        const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
        if (ready?.status !== "True" || obj.status?.observedGeneration !== obj.metadata.generation) notReady.push(`${kind}/${obj.metadata.name} (${ready?.reason ?? "pending"})`);
      }
    }
    log(`${String(objects.length - notReady.length)}/${String(objects.length)} Ready${notReady.length > 0 ? `; waiting for ${notReady.join(", ")}` : ""}`);
    if (notReady.length === 0 || Date.now() > deadline) break;
    await sleep(2000);
  }
  return { ready: notReady.length === 0, firstRollout: watch.stop(), listenerArn, applied, operator, notReady };
}

/**
 * A second revision of the README's task definition (a new image), rolled over the running
 * service; returns `kubectl get ecssvc -w` of the rollout, once the service is Ready on it.
 */
export async function rollSecondRevision(stack: StackInfo, namespace: string, image: string, timeoutMs = 60_000): Promise<string[]> {
  const taskDefinition = readmeFirstManifest()
    .split(/^---$/m)
    .find((doc) => /^kind: TaskDefinition$/m.test(doc));
  if (taskDefinition === undefined) throw new Error("the README's first manifest has no TaskDefinition");
  const changed = taskDefinition.replace(/image: \S+/, `image: ${image}`).replace(/^(metadata:\n)/m, `$1  namespace: ${namespace}\n`);
  const watch = watchService(stack, namespace, FIRST_SERVICE);
  kubectl(stack, ["apply", "--server-side", "-f", "-"], changed);
  try {
    await waitFor(
      "the second revision rolled out",
      () => {
        const obj = JSON.parse(kubectl(stack, ["get", "ecssvc", FIRST_SERVICE, "-n", namespace, "-o", "json"])) as ManagedObject & { status?: { taskDefinitionRevision?: number } };
        const ready = obj.status?.conditions?.find((c) => c.type === "Ready")?.status === "True";
        return Promise.resolve(ready && obj.status?.taskDefinitionRevision === 2 && obj.status.observedGeneration === obj.metadata.generation);
      },
      timeoutMs,
    );
  } finally {
    await sleep(300);
  }
  return watch.stop();
}

/** What now exists in ECS, ELBv2 and Cloud Map for the demo's account, as a few readable lines. */
export async function awsSummary(stack: StackInfo, accountId: string, listenerArn: string): Promise<string> {
  const aws = testAwsClients(stack, accountId);
  const lines: string[] = [];
  const clusterArns = (await aws.ecs.send(new ListClustersCommand({}))).clusterArns ?? [];
  const clusters = clusterArns.length > 0 ? ((await aws.ecs.send(new DescribeClustersCommand({ clusters: clusterArns }))).clusters ?? []) : [];
  for (const cluster of clusters) {
    lines.push(`ECS cluster ${cluster.clusterName ?? ""} (${cluster.status ?? ""}), capacity providers ${(cluster.capacityProviders ?? []).join(", ")}`);
    const arns = (await aws.ecs.send(new ListServicesCommand({ cluster: cluster.clusterArn }))).serviceArns ?? [];
    if (arns.length === 0) continue;
    const services = await aws.ecs.send(new DescribeServicesCommand({ cluster: cluster.clusterArn, services: arns }));
    for (const s of services.services ?? []) {
      lines.push(`  service ${s.serviceName ?? ""}: ${s.status ?? ""}, ${String(s.runningCount ?? 0)}/${String(s.desiredCount ?? 0)} running ${s.taskDefinition?.split("/").pop() ?? ""} (${s.launchType ?? "capacity providers"})`);
      const taskArns = (await aws.ecs.send(new ListTasksCommand({ cluster: cluster.clusterArn, serviceName: s.serviceName }))).taskArns ?? [];
      const tasks = taskArns.length > 0 ? ((await aws.ecs.send(new DescribeTasksCommand({ cluster: cluster.clusterArn, tasks: taskArns }))).tasks ?? []) : [];
      for (const t of tasks) {
        const ip = t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address;
        lines.push(`    task ${t.taskArn?.split("/").pop() ?? ""} ${t.lastStatus ?? ""} ${t.taskDefinitionArn?.split("/").pop() ?? ""}${ip ? ` ${ip}` : ""}`);
      }
    }
  }
  const taskDefinitions = (await aws.ecs.send(new ListTaskDefinitionsCommand({ status: "ACTIVE" }))).taskDefinitionArns ?? [];
  lines.push(`ECS task definitions: ${taskDefinitions.map((a) => a.split("/").pop() ?? "").join(", ")}`);
  for (const tg of (await aws.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []) {
    const health = (await aws.elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }))).TargetHealthDescriptions ?? [];
    const targets = health.map((h) => `${h.Target?.Id ?? ""} ${h.TargetHealth?.State ?? ""}`).join(", ");
    lines.push(`ELBv2 target group ${tg.TargetGroupName ?? ""}: ${tg.Protocol ?? ""}:${String(tg.Port ?? "")} (${tg.TargetType ?? ""}), health check ${tg.HealthCheckPath ?? ""}; targets: ${targets || "none"}`);
  }
  for (const rule of (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []) {
    if (rule.IsDefault) continue;
    const paths = (rule.Conditions ?? []).flatMap((c) => c.PathPatternConfig?.Values ?? c.Values ?? []);
    lines.push(`ELBv2 listener rule priority ${rule.Priority ?? ""}: ${paths.join(", ")} -> ${(rule.Actions ?? []).map((a) => a.Type ?? "").join(", ")}`);
  }
  for (const ns of (await aws.serviceDiscovery.send(new ListNamespacesCommand({}))).Namespaces ?? []) lines.push(`Cloud Map namespace ${ns.Name ?? ""} (${ns.Type ?? ""}) ${ns.Id ?? ""}`);
  for (const svc of (await aws.serviceDiscovery.send(new ListCloudMapServicesCommand({}))).Services ?? []) {
    const instances = (await aws.serviceDiscovery.send(new ListInstancesCommand({ ServiceId: svc.Id }))).Instances ?? [];
    lines.push(`Cloud Map service ${svc.Name ?? ""} ${svc.Id ?? ""}: instances ${instances.map((i) => `${i.Id ?? ""} ${i.Attributes?.AWS_INSTANCE_IPV4 ?? ""}`).join(", ") || "none"}`);
  }
  return lines.join("\n");
}
