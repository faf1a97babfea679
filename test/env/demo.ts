import { CreateListenerCommand, CreateLoadBalancerCommand, DescribeRulesCommand, DescribeTargetGroupsCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeClustersCommand, DescribeServicesCommand, ListClustersCommand, ListServicesCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { ListNamespacesCommand, ListServicesCommand as ListCloudMapServicesCommand } from "@aws-sdk/client-servicediscovery";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseAllDocuments } from "yaml";
import { pluralOf } from "../../src/api/index.js";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { defaultSecurityGroup, defaultVpc, testAwsClients, vpcSubnets } from "./aws.js";
import { kubectl } from "./kube.js";
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
  listenerArn: string;
  /** The manifests as applied (placeholders replaced, namespace set), for `kubectl diff`. */
  applied: string;
  operator: OperatorProcess;
  notReady: string[];
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
  const manifests = readdirSync(dir)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) =>
      readFileSync(join(dir, f), "utf8")
        .replaceAll(PLACEHOLDERS.vpc, vpc)
        .replaceAll(PLACEHOLDERS.subnets[0] ?? "", subnets[0] ?? "")
        .replaceAll(PLACEHOLDERS.subnets[1] ?? "", subnets[1] ?? subnets[0] ?? "")
        .replaceAll(PLACEHOLDERS.securityGroup, securityGroup)
        .replace(PLACEHOLDERS.listener, listenerArn),
    );
  const objects = manifests.flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)).filter((o) => o?.kind !== undefined && pluralOf[o.kind]);
  log(`applying ${String(objects.length)} objects from examples/`);
  const applied = manifests.join("\n---\n").replace(/^(metadata:\n)/gm, `$1  namespace: ${namespace}\n`);
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
  return { ready: notReady.length === 0, listenerArn, applied, operator, notReady };
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
    }
  }
  const taskDefinitions = (await aws.ecs.send(new ListTaskDefinitionsCommand({ status: "ACTIVE" }))).taskDefinitionArns ?? [];
  lines.push(`ECS task definitions: ${taskDefinitions.map((a) => a.split("/").pop() ?? "").join(", ")}`);
  for (const tg of (await aws.elbv2.send(new DescribeTargetGroupsCommand({}))).TargetGroups ?? []) {
    lines.push(`ELBv2 target group ${tg.TargetGroupName ?? ""}: ${tg.Protocol ?? ""}:${String(tg.Port ?? "")} (${tg.TargetType ?? ""}), health check ${tg.HealthCheckPath ?? ""}`);
  }
  for (const rule of (await aws.elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []) {
    if (rule.IsDefault) continue;
    const paths = (rule.Conditions ?? []).flatMap((c) => c.PathPatternConfig?.Values ?? c.Values ?? []);
    lines.push(`ELBv2 listener rule priority ${rule.Priority ?? ""}: ${paths.join(", ")} -> ${(rule.Actions ?? []).map((a) => a.Type ?? "").join(", ")}`);
  }
  for (const ns of (await aws.serviceDiscovery.send(new ListNamespacesCommand({}))).Namespaces ?? []) lines.push(`Cloud Map namespace ${ns.Name ?? ""} (${ns.Type ?? ""}) ${ns.Id ?? ""}`);
  for (const svc of (await aws.serviceDiscovery.send(new ListCloudMapServicesCommand({}))).Services ?? []) lines.push(`Cloud Map service ${svc.Name ?? ""} ${svc.Id ?? ""}`);
  return lines.join("\n");
}
