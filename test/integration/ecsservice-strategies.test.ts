// Releases that shift traffic, through the operator against moto with the ECS layer
// (docs/deployments.md, docs/local-aws.md): the blue/green example (examples/blue-green) paused by
// its hook, surviving an operator restart, continued by annotation and reaching 100% on the other
// target group; then the canary variant (examples/canary) rolled back by an alarm. Throughout, the
// operator never rewrites the listener rules whose weights ECS shifts.
import { DescribeServiceDeploymentsCommand, DescribeServicesCommand, ListServiceDeploymentsCommand, type ServiceDeployment } from "@aws-sdk/client-ecs";
import { DescribeRulesCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { ListenerRule } from "../../src/api/listenerrule.js";
import { argoHealth } from "../env/argocd.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { cloudWatchAlarm } from "../env/aws.js";
import { exampleManifests, prepareAccount, type Manifest, type MotoIds } from "../env/fleet.js";
import { useTestEnvironment } from "../env/fixture.js";
import { eventsFor, kubectl, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("strategies", { resyncSeconds: 3 });
const { stack, proxy, accountId } = env;
const { ecs, elbv2 } = env.aws;
const ALARM = "shop-web-5xx";

let ids: MotoIds;
let cluster: string;
const arns: Record<string, string> = {};

function applyAll(manifests: Manifest[]): void {
  env.apply(JSON.stringify({ apiVersion: "v1", kind: "List", items: manifests.map((m) => ({ ...m, metadata: { ...m.metadata, namespace: env.namespace } })) }));
}

const blueGreen = () => exampleManifests(ids, [], "examples/blue-green");
const withImage = (image: string) => blueGreen().filter((m) => m.kind === "TaskDefinition").map((m) => ({ ...m, spec: { ...m.spec, containerDefinitions: [{ name: "web", image, essential: true, portMappings: [{ containerPort: 80 }] }] } }));
const service = () => env.get<EcsService>("ecsservices", "shop-web");
const condition = (obj: EcsService | undefined, type: string) => obj?.status?.conditions?.find((c) => c.type === type);

/** The production rule's weights in AWS, by target group name (a or b). */
async function productionWeights(): Promise<Record<string, number>> {
  const rule = (await elbv2.send(new DescribeRulesCommand({ RuleArns: [arns.production ?? ""] }))).Rules?.[0];
  const groups = rule?.Actions?.find((a) => a.Type === "forward")?.ForwardConfig?.TargetGroups ?? [];
  return Object.fromEntries(groups.map((g) => [g.TargetGroupArn === arns.a ? "a" : "b", g.Weight ?? 1]));
}

async function latestRelease(): Promise<ServiceDeployment | undefined> {
  const listed = await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: `${env.namespace}_shop-web` }));
  const arn = listed.serviceDeployments?.[0]?.serviceDeploymentArn;
  return arn ? (await ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [arn] }))).serviceDeployments?.[0] : undefined;
}

/** Moves the stopped ECS clock until `done`, a bounded number of ticks. */
async function tickUntil(what: string, done: () => Promise<boolean>, limit = 100): Promise<void> {
  for (let tick = 0; !(await done()); tick++) {
    if (tick >= limit) throw new Error(`not ${what} after ${String(limit)} ticks`);
    await proxy.tickEcs(accountId);
  }
}

describe("deployment strategies, with ECS in motion", () => {
  beforeAll(async () => {
    ids = await prepareAccount(stack, accountId, "strategies-alb");
    cluster = `${env.namespace}_demo`;
    await cloudWatchAlarm(stack, accountId, ALARM);
    // One of ECS's minutes is one tick: the example's 10-minute bake lasts a second.
    await proxy.setEcsPace(accountId, { minuteTicks: 1 });
    applyAll([...exampleManifests(ids).filter((m) => m.kind === "EcsCluster"), ...blueGreen().filter((m) => m.kind !== "TaskDefinition"), ...withImage("httpd:2.4")]);
    const ready = await env.ready<EcsService>("ecsservices", "shop-web", 60_000);
    expect(ready.status?.taskDefinitionRevision).toBe(1);
    for (const [key, kind, name] of [["a", "targetgroups", "shop-web-a"], ["b", "targetgroups", "shop-web-b"], ["production", "listenerrules", "shop-web-production"]] as const) {
      arns[key] = (await env.get(kind, name))?.status?.arn as string;
    }
  });

  it("releases blue/green: paused by its hook across an operator restart, continued by annotation, then 100% on the other target group with the old one drained", async () => {
    // ECS took the rules over at the first deployment; their spec says the same.
    expect(await productionWeights()).toEqual({ a: 100, b: 0 });
    await proxy.setEcsPace(accountId, { tickMs: 0 });
    await proxy.reset(accountId);
    applyAll(withImage("httpd:2.5"));
    await waitFor("the release of revision 2 in ECS", async () => (await latestRelease())?.status === "IN_PROGRESS" && (await latestRelease())?.deploymentConfiguration?.strategy === "BLUE_GREEN");
    await tickUntil("paused by the hook", async () => (await latestRelease())?.lifecycleHookDetails?.some((h) => h.status === "AWAITING_ACTION") === true);

    const paused = await waitFor("the operator reporting the pause", async () => {
      const obj = await service();
      return obj?.status?.release?.awaitingAction?.length ? obj : undefined;
    });
    expect(paused.status?.release).toMatchObject({ strategy: "BLUE_GREEN", status: "IN_PROGRESS", stage: "POST_TEST_TRAFFIC_SHIFT", trafficPercent: 0, testTrafficPercent: 100 });
    const revision2 = "shop-web:2";
    expect(condition(paused, "Progressing")?.message).toContain(`paused at POST_TEST_TRAFFIC_SHIFT with 0% on ${revision2}: annotate ecs.operator.dev/continue=${revision2}`);
    expect(argoHealth(paused).status).toBe("Suspended");
    expect(kubectl(stack, ["get", "ecssvc", "shop-web", "-n", env.namespace])).toMatch(/shop-web\s+False\s+RolloutInProgress\s+\d+\s+2\s+2\s+IN_PROGRESS\s+POST_TEST_TRAFFIC_SHIFT/);

    // A restart mid-release: the new operator finds the release where it stands and starts nothing.
    await env.operator.stop();
    await proxy.reset(accountId);
    await env.startOperator();
    await waitFor("the restarted operator reading the release twice", async () => callsTo(await proxy.counts(accountId), "ecs:DescribeServiceDeployments") >= 2);
    expect((await service())?.status?.release).toMatchObject({ stage: "POST_TEST_TRAFFIC_SHIFT", serviceDeploymentArn: paused.status?.release?.serviceDeploymentArn });
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService") + callsTo(await proxy.counts(accountId), "ecs:CreateService")).toBe(0);
    expect((await ecs.send(new ListServiceDeploymentsCommand({ cluster, service: `${env.namespace}_shop-web` }))).serviceDeployments).toHaveLength(2);

    kubectl(stack, ["annotate", "ecssvc", "shop-web", "-n", env.namespace, `ecs.operator.dev/continue=${revision2}`]);
    await waitFor("the hook continued", async () => (await latestRelease())?.lifecycleHookDetails?.every((h) => h.status === "SUCCEEDED") === true);
    await proxy.setEcsPace(accountId, { tickMs: 100 });

    const done = await waitFor("revision 2 Ready", async () => {
      const obj = await service();
      return obj?.status?.taskDefinitionRevision === 2 && condition(obj, "Ready")?.status === "True" ? obj : undefined;
    }, 60_000);
    expect(done.status?.release).toMatchObject({ status: "SUCCESSFUL", trafficPercent: 100 });
    expect(await productionWeights()).toEqual({ a: 0, b: 100 });
    await waitFor("the old target group drained", async () => ((await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arns.a }))).TargetHealthDescriptions ?? []).length === 0);
    const live = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arns.b }))).TargetHealthDescriptions ?? [];
    expect(live.map((t) => t.TargetHealth?.State)).toEqual(["healthy", "healthy"]);
    // ECS swapped the target groups' roles; the operator leaves it so.
    const lb = (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${env.namespace}_shop-web`] }))).services?.[0]?.loadBalancers?.[0];
    expect([lb?.targetGroupArn, lb?.advancedConfiguration?.alternateTargetGroupArn]).toEqual([arns.b, arns.a]);
    expect(argoHealth(done).status).toBe("Healthy");

    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "elasticloadbalancing:ModifyRule")).toBe(0);
    // The annotation stays set: it was acted on once.
    expect(callsTo(counts, "ecs:ContinueServiceDeployment")).toBe(1);
    const rule = await env.get<ListenerRule>("listenerrules", "shop-web-production");
    expect(rule?.status?.forwardActionManagedBy).toBe(`EcsService ${env.namespace}/shop-web`);
    const stages = (await eventsFor(stack, env.namespace, "shop-web")).filter((e) => e.reason === "ReleaseStage").map((e) => e.message);
    expect(stages.some((m) => m.includes("POST_TEST_TRAFFIC_SHIFT"))).toBe(true);
  });

  it("rolls a canary back when its alarm fires: RolloutFailed with the alarm's name, traffic back on the old revision", async () => {
    applyAll(exampleManifests(ids, [], "examples/canary"));
    await env.ready("ecsservices", "shop-web");
    await proxy.setEcsPace(accountId, { tickMs: 0 });
    await proxy.reset(accountId);
    applyAll(withImage("httpd:2.6"));
    await waitFor("the canary release in ECS", async () => (await latestRelease())?.deploymentConfiguration?.strategy === "CANARY");
    // b is live since the blue/green release: the canary goes to a.
    await tickUntil("10% on the canary", async () => JSON.stringify(await productionWeights()) === JSON.stringify({ b: 90, a: 10 }));
    const revision3 = "shop-web:3";
    await waitFor("the operator reporting the canary", async () => condition(await service(), "Progressing")?.message.startsWith(`canary: 10% on ${revision3}, baking`));

    await cloudWatchAlarm(stack, accountId, ALARM, "ALARM");
    await proxy.setEcsPace(accountId, { tickMs: 100 });
    const failed = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "shop-web", { type: "Ready", status: "False", reason: "RolloutFailed" }, 30_000);
    expect(condition(failed, "Ready")?.message).toContain(`rollout of ${revision3} failed: alarm(s) ${ALARM} in ALARM state`);
    expect(argoHealth(failed).status).toBe("Degraded");
    await waitFor("the rollback completed", async () => (await latestRelease())?.status === "ROLLBACK_SUCCESSFUL");
    expect(await productionWeights()).toEqual({ b: 100, a: 0 });
    await waitFor("the operator reporting the rollback", async () => (await service())?.status?.release?.status === "ROLLBACK_SUCCESSFUL");
    expect((await service())?.status?.release).toMatchObject({ rollbackReason: `alarm(s) ${ALARM} in ALARM state`, alarms: [ALARM] });
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "elasticloadbalancing:ModifyRule")).toBe(0);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(1);
  });
});
