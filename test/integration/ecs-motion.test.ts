// The ECS layer (test/env/ecs_motion, docs/local-aws.md) in the shared moto server, through the
// AWS proxy and the SDK, without the operator: the server-mode wiring, the control routes the
// proxy forwards, per-account pace, and that the layer's own registrations are nobody's calls.
import { CreateClusterCommand, DescribeServicesCommand, DescribeTasksCommand, ListTasksCommand, RegisterTaskDefinitionCommand, CreateServiceCommand, RunTaskCommand } from "@aws-sdk/client-ecs";
import { CreateTargetGroupCommand, DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { afterAll, describe, expect, inject, it } from "vitest";
import { AwsProxyControl, callsTo } from "../env/aws-proxy-control.js";
import { defaultSecurityGroup, defaultVpc, testAwsClients, uniqueAccountId, vpcSubnets } from "../env/aws.js";
import { waitFor } from "../env/kube.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);

async function fargateService(accountId: string, opts: { desired: number; targetGroup?: boolean }) {
  const { ecs, elbv2 } = testAwsClients(stack, accountId);
  const vpc = await defaultVpc(stack, accountId);
  const subnets = (await vpcSubnets(stack, accountId, vpc)).slice(0, 2);
  const securityGroup = await defaultSecurityGroup(stack, accountId, vpc);
  await ecs.send(new CreateClusterCommand({ clusterName: "main" }));
  const td = await ecs.send(
    new RegisterTaskDefinitionCommand({
      family: "web",
      networkMode: "awsvpc",
      requiresCompatibilities: ["FARGATE"],
      cpu: "256",
      memory: "512",
      // moto's RunTask sums the containers' memory, so each names its own.
      containerDefinitions: [{ name: "web", image: "httpd:2.4", memory: 128, essential: true, portMappings: [{ containerPort: 80 }] }],
    }),
  );
  const tg = opts.targetGroup
    ? (await elbv2.send(new CreateTargetGroupCommand({ Name: "web", Protocol: "HTTP", Port: 80, VpcId: vpc, TargetType: "ip" }))).TargetGroups?.[0]?.TargetGroupArn
    : undefined;
  await ecs.send(
    new CreateServiceCommand({
      cluster: "main",
      serviceName: "web",
      taskDefinition: td.taskDefinition?.taskDefinitionArn,
      desiredCount: opts.desired,
      launchType: "FARGATE",
      networkConfiguration: { awsvpcConfiguration: { subnets, securityGroups: [securityGroup] } },
      ...(tg ? { loadBalancers: [{ targetGroupArn: tg, containerName: "web", containerPort: 80 }] } : {}),
    }),
  );
  return { ecs, elbv2, tg, network: { awsvpcConfiguration: { subnets, securityGroups: [securityGroup] } }, taskDefinition: td.taskDefinition?.taskDefinitionArn ?? "" };
}

const describeWeb = async (ecs: ReturnType<typeof testAwsClients>["ecs"]) => (await ecs.send(new DescribeServicesCommand({ cluster: "main", services: ["web"] }))).services?.[0];

describe("ECS in motion, in the shared moto server", () => {
  const accounts: string[] = [];
  const account = (): string => {
    const id = uniqueAccountId();
    accounts.push(id);
    return id;
  };

  afterAll(async () => {
    for (const id of accounts) await proxy.resetEcs(id);
    expect(await proxy.ecsErrors()).toEqual([]);
  });

  it("runs a service's tasks, registers them as targets itself, and no AWS call is counted for it", async () => {
    const accountId = account();
    const { ecs, elbv2, tg } = await fargateService(accountId, { desired: 2, targetGroup: true });
    const service = await waitFor("2 running and the deployment COMPLETED", async () => {
      const s = await describeWeb(ecs);
      return s?.runningCount === 2 && s.deployments?.[0]?.rolloutState === "COMPLETED" ? s : undefined;
    });
    expect(service.events?.[0]?.message).toBe("(service web) has reached a steady state.");
    const arns = (await ecs.send(new ListTasksCommand({ cluster: "main", serviceName: "web" }))).taskArns ?? [];
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: "main", tasks: arns }))).tasks ?? [];
    const ips = tasks.map((t) => t.containers?.[0]?.networkInterfaces?.[0]?.privateIpv4Address).sort();
    const health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg }))).TargetHealthDescriptions ?? [];
    expect(health.map((h) => h.Target?.Id).sort()).toEqual(ips);
    expect(health.map((h) => h.TargetHealth?.State)).toEqual(["healthy", "healthy"]);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "elasticloadbalancing:RegisterTargets") + callsTo(counts, "elasticloadbalancing:DeregisterTargets")).toBe(0);
    expect(callsTo(counts, "ecs:DescribeServices")).toBeGreaterThan(0);
  });

  it("keeps each account's pace: a stopped clock moves only when the test ticks it", async () => {
    const still = account();
    await proxy.setEcsPace(still, { tickMs: 0 });
    expect((await proxy.ecsSettings(still)).pace).toMatchObject({ tickMs: 0, pendingTicks: 1 });
    const { ecs } = await fargateService(still, { desired: 1 });
    const moving = account();
    const other = await fargateService(moving, { desired: 1 });
    await waitFor("the other account's task running", async () => (await describeWeb(other.ecs))?.runningCount === 1);
    expect(await describeWeb(ecs)).toMatchObject({ runningCount: 0, pendingCount: 0 });

    await proxy.tickEcs(still);
    expect(await describeWeb(ecs)).toMatchObject({ runningCount: 0, pendingCount: 1 });
    await proxy.tickEcs(still, 2);
    expect(await describeWeb(ecs)).toMatchObject({ runningCount: 1, pendingCount: 0 });
    const history = await proxy.ecsHistory(still, "main", "web");
    // One entry per tick that changed what the history shows: PROVISIONING -> PENDING does not.
    expect(history.map((h) => [h.tick, h.pending, h.running])).toEqual([
      [1, 1, 0],
      [3, 0, 1],
    ]);
    expect(history.at(-1)?.deployments[0]).toMatchObject({ status: "PRIMARY", rolloutState: "COMPLETED", runningCount: 1 });
  });

  it("runs a RunTask task and stops it with the exit codes a rule gives", async () => {
    const accountId = account();
    await proxy.setEcsPace(accountId, { tickMs: 0 });
    const { ecs, network, taskDefinition } = await fargateService(accountId, { desired: 0 });
    const rule = await proxy.addEcsTaskRule(accountId, { family: "web", launchedBy: "task", outcome: "exit", exitCode: 2, runTicks: 1 });
    expect((await proxy.ecsSettings(accountId)).rules).toEqual([{ id: rule, family: "web", launchedBy: "task", outcome: "exit", exitCode: 2, runTicks: 1 }]);
    const task = (await ecs.send(new RunTaskCommand({ cluster: "main", taskDefinition, launchType: "FARGATE", networkConfiguration: network }))).tasks?.[0];
    expect(task?.lastStatus).toBe("PROVISIONING");
    await proxy.tickEcs(accountId, 6);
    const done = (await ecs.send(new DescribeTasksCommand({ cluster: "main", tasks: [task?.taskArn ?? ""] }))).tasks?.[0];
    expect(done).toMatchObject({ lastStatus: "STOPPED", stopCode: "EssentialContainerExited" });
    expect(done?.containers?.[0]?.exitCode).toBe(2);
    await expect(proxy.addEcsTaskRule(accountId, { outcome: "explode" } as never)).rejects.toThrow(/outcome must be one of/);
  });
});
