// EC2 capacity end to end: an Auto Scaling group capacity provider (the group made in moto's Auto
// Scaling first, its instances registered as the cluster's container instances as their agent
// would), a cluster with it beside FARGATE, the seed's bridge-mode pair (nginx linked to app) as an
// EC2 service behind a target group on dynamic host ports, a change of strategy that the ECS layer
// rolls, and deletion in reverse order with nothing left in moto. moto refuses Managed Instances
// providers: test/unit/capacityprovider-mapping.test.ts covers them on AWS-shaped answers. And a
// DAEMON service on the same kind of capacity: one task per container instance, following them.
import {
  DeregisterContainerInstanceCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTasksCommand,
  ListContainerInstancesCommand,
  ListTasksCommand,
  RegisterContainerInstanceCommand,
} from "@aws-sdk/client-ecs";
import { DescribeTargetHealthCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { CapacityProvider } from "../../src/api/capacityprovider.js";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import type { EcsService } from "../../src/api/ecsservice.js";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { autoScalingGroup, defaultVpc, runEc2Instance } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { eventsFor, getObject, kubectl, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("capacity", { resyncSeconds: 2 });
const { stack, proxy, accountId } = env;
const { ecs, elbv2 } = env.aws;

const manifest = (kind: string, name: string, spec: Record<string, unknown>): string =>
  JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind, metadata: { name, namespace: env.namespace }, spec });

/** The seed's bridge-mode pair (taskdefinition-application-stack.yaml): nginx linked to app, nginx's port left to ECS. */
const applicationStack = (family: string) => ({
  family,
  networkMode: "bridge",
  requiresCompatibilities: ["EC2"],
  containerDefinitions: [
    { name: "nginx", image: "public.ecr.aws/nginx/nginx:stable", memory: "256", cpu: "256", essential: true, portMappings: [{ containerPort: "80", protocol: "tcp" }], links: ["app"] },
    { name: "app", image: "public.ecr.aws/docker/library/httpd:2.4", memory: "256", cpu: "256", essential: true },
  ],
});

describe("CapacityProvider with an EC2 service against kube-apiserver and moto", () => {
  it("runs the bridge-mode pair on Auto Scaling group capacity, rolls a strategy change, and deletes in reverse order", async () => {
    const ns = env.namespace;
    const group = await autoScalingGroup(stack, accountId, `capacity-${ns}`, 2);
    const vpc = await defaultVpc(stack, accountId);
    const providerName = `${ns}_asg`;
    const clusterName = `${ns}_ec2`;
    const serviceName = `${ns}_web`;

    env.apply(manifest("CapacityProvider", "asg", { autoScalingGroupProvider: { autoScalingGroupArn: group.arn, managedScaling: { status: "ENABLED", targetCapacity: 90 } } }));
    env.apply(manifest("EcsCluster", "ec2", { capacityProviders: ["FARGATE"], capacityProviderRefs: [{ name: "asg" }], defaultCapacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, weight: 1 }] }));
    const provider = await env.ready<CapacityProvider>("capacityproviders", "asg");
    expect(provider.status).toMatchObject({ capacityProviderName: providerName, type: "EC2_AUTOSCALING", status: "ACTIVE" });
    const described = (await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [providerName] }))).capacityProviders?.[0];
    expect(described?.autoScalingGroupProvider).toMatchObject({ autoScalingGroupArn: group.arn, managedScaling: { status: "ENABLED", targetCapacity: 90 } });

    // What UpdateCapacityProvider takes changes in place: the same provider, its scaling updated.
    await proxy.reset(accountId);
    env.apply(manifest("CapacityProvider", "asg", { autoScalingGroupProvider: { autoScalingGroupArn: group.arn, managedScaling: { status: "ENABLED", targetCapacity: 80 } } }));
    await waitFor("the provider's scaling updated in place", async () => {
      const now = (await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [providerName] }))).capacityProviders?.[0];
      return now?.autoScalingGroupProvider?.managedScaling?.targetCapacity === 80 ? now : undefined;
    });
    const updateCalls = await proxy.counts(accountId);
    expect(callsTo(updateCalls, "ecs:UpdateCapacityProvider")).toBe(1);
    expect(callsTo(updateCalls, "ecs:CreateCapacityProvider") + callsTo(updateCalls, "ecs:DeleteCapacityProvider")).toBe(0);

    await env.ready<EcsCluster>("ecsclusters", "ec2");
    const cluster = (await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }))).clusters?.[0];
    expect([...(cluster?.capacityProviders ?? [])].sort()).toEqual(["FARGATE", providerName].sort());
    expect(cluster?.defaultCapacityProviderStrategy?.map((s) => s.capacityProvider)).toEqual([providerName]);

    // The group's instances join the cluster, as the ECS agent on them would; the status counts them.
    for (const instanceId of group.instanceIds) await ecs.send(new RegisterContainerInstanceCommand({ cluster: clusterName, instanceIdentityDocument: JSON.stringify({ instanceId }) }));
    const counted = await waitFor("the cluster's status to count its container instances", async () => {
      const obj = await env.get<EcsCluster>("ecsclusters", "ec2");
      return obj?.status?.containerInstances?.active === 2 ? obj : undefined;
    });
    expect(counted.status?.containerInstances).toEqual({ active: 2, draining: 0, registering: 0, deregistering: 0, other: 0, agentDisconnected: 0 });
    expect(kubectl(stack, ["get", "ecscluster", "ec2", "-n", ns])).toMatch(/INSTANCES\s+AGE[\s\S]*ec2\s+True\s+Available\s+\S+\s+\d+\s+\d+\s+2\s/);

    env.apply(manifest("TaskDefinition", "application-stack", applicationStack(`application-stack-${ns}`)));
    env.apply(manifest("TargetGroup", "web", { protocol: "HTTP", port: 80, vpcId: vpc, targetType: "instance" }));
    env.apply(
      manifest("EcsService", "web", {
        clusterRef: { name: "ec2" },
        taskDefinitionRef: { name: "application-stack" },
        desiredCount: 2,
        capacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, weight: 1 }],
        placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }, { type: "spread", field: "instanceId" }],
        loadBalancers: [{ targetGroupRef: { name: "web" }, containerName: "nginx", containerPort: 80 }],
      }),
    );
    const running = await env.ready<EcsService>("ecsservices", "web", 60_000);
    expect(running.status).toMatchObject({ runningCount: 2, desiredCount: 2, rolloutState: "COMPLETED" });

    // Tasks on the group's instances, registered in the target group by instance and dynamic host port.
    const taskArns = (await ecs.send(new ListTasksCommand({ cluster: clusterName, serviceName }))).taskArns ?? [];
    const tasks = (await ecs.send(new DescribeTasksCommand({ cluster: clusterName, tasks: taskArns }))).tasks ?? [];
    expect(tasks).toHaveLength(2);
    expect(tasks.every((t) => t.containerInstanceArn !== undefined)).toBe(true);
    const targetGroupArn = (await getObject<TargetGroup>(stack, "targetgroups", ns, "web"))?.status?.arn;
    let lastHealth: unknown;
    const targets = await waitFor("both tasks healthy in the target group", async () => {
      const health = (await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: targetGroupArn }))).TargetHealthDescriptions ?? [];
      lastHealth = health;
      return health.filter((h) => h.TargetHealth?.State === "healthy").length === 2 ? health : undefined;
    }, 15_000).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(lastHealth)} ${JSON.stringify(tasks.map((t) => [t.lastStatus, t.containers?.map((c) => c.networkBindings)]))}`);
    });
    expect(targets.map((t) => t.Target?.Id).sort()).toEqual(expect.arrayContaining([expect.stringMatching(/^i-/)]));
    expect(targets.every((t) => (t.Target?.Port ?? 0) >= 32768)).toBe(true);

    // A new strategy: ECS moves tasks only with a new deployment, which the operator asks for and says.
    const deploymentsBefore = running.status?.deployments?.map((d) => d.id) ?? [];
    await proxy.reset(accountId);
    env.apply(
      manifest("EcsService", "web", {
        clusterRef: { name: "ec2" },
        taskDefinitionRef: { name: "application-stack" },
        desiredCount: 2,
        capacityProviderStrategy: [{ capacityProviderRef: { name: "asg" }, base: 1, weight: 2 }],
        placementStrategy: [{ type: "spread", field: "attribute:ecs.availability-zone" }, { type: "spread", field: "instanceId" }],
        loadBalancers: [{ targetGroupRef: { name: "web" }, containerName: "nginx", containerPort: 80 }],
      }),
    );
    let lastSeen: unknown;
    const rolled = await waitFor(
      "the service rolled onto the new strategy",
      async () => {
        const obj = await env.get<EcsService>("ecsservices", "web");
        lastSeen = obj?.status;
        const ready = obj?.status?.conditions?.find((c) => c.type === "Ready");
        const primary = obj?.status?.deployments?.[0];
        return ready?.status === "True" && ready.observedGeneration === obj?.metadata.generation && primary && !deploymentsBefore.includes(primary.id) ? obj : undefined;
      },
      60_000,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}: ${JSON.stringify(lastSeen)}`);
    });
    expect(rolled.status?.rolloutState).toBe("COMPLETED");
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(1);
    const history = await proxy.ecsHistory(accountId, clusterName, serviceName);
    expect(history.some((h) => h.deployments.length === 2)).toBe(true);
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] }))).services?.[0];
    expect(service?.capacityProviderStrategy).toEqual([{ capacityProvider: providerName, base: 1, weight: 2 }]);
    const events = await eventsFor(stack, ns, "web");
    expect(events.find((e) => e.reason === "Updated")?.message).toContain("capacityProviderStrategy (with a new deployment, which ECS needs to move the tasks)");

    // Deleting the provider first waits, naming the cluster and the service that use it; nothing is deleted in AWS.
    kubectl(stack, ["delete", "capacityprovider", "asg", "-n", ns, "--wait=false"]);
    const held = await waitForCondition<CapacityProvider>(stack, "capacityproviders", ns, "asg", { type: "Ready", status: "False", reason: "Deleting" });
    expect(held.status?.conditions?.find((c) => c.type === "Ready")?.message).toContain(`deletion waits until EcsCluster ${ns}/ec2, EcsService ${ns}/web no longer uses it`);
    expect((await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [providerName] }))).capacityProviders).toHaveLength(1);

    // Then the rest in reverse order: the service, the instances (the group scaled in), the cluster.
    kubectl(stack, ["delete", "ecsservice", "web", "-n", ns, "--wait=true", "--timeout=60s"]);
    const instances = (await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }))).clusters?.[0]?.registeredContainerInstancesCount ?? 0;
    expect(instances).toBe(2);
    for (const arn of (await ecs.send(new ListContainerInstancesCommand({ cluster: clusterName }))).containerInstanceArns ?? []) {
      await ecs.send(new DeregisterContainerInstanceCommand({ cluster: clusterName, containerInstance: arn, force: true }));
    }
    kubectl(stack, ["delete", "ecscluster", "ec2", "-n", ns, "--wait=true", "--timeout=60s"]);
    await waitFor("the capacity provider object to go once no cluster lists it", async () => (await env.get("capacityproviders", "asg")) === undefined, 30_000);
    kubectl(stack, ["delete", "taskdefinition,targetgroup", "--all", "-n", ns, "--wait=true", "--timeout=60s"]);

    expect((await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [providerName] }))).capacityProviders ?? []).toEqual([]);
    expect((await ecs.send(new DescribeClustersCommand({ clusters: [clusterName] }))).clusters?.[0]?.status).toBe("INACTIVE");
    expect((await ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] }))).services?.filter((s) => s.status !== "INACTIVE") ?? []).toEqual([]);
  }, 240_000);

  it("runs a DAEMON service on the container instances of an Auto Scaling group provider's cluster", async () => {
    const ns = env.namespace;
    const group = await autoScalingGroup(stack, accountId, `daemon-${ns}`, 2);
    const clusterName = `${ns}_daemons`;
    const serviceName = `${ns}_agent`;

    env.apply(manifest("CapacityProvider", "daemon-asg", { autoScalingGroupProvider: { autoScalingGroupArn: group.arn } }));
    // With a default strategy on the cluster: a daemon names launchType EC2, as ECS needs.
    env.apply(manifest("EcsCluster", "daemons", { capacityProviderRefs: [{ name: "daemon-asg" }], defaultCapacityProviderStrategy: [{ capacityProviderRef: { name: "daemon-asg" }, weight: 1 }] }));
    await env.ready<EcsCluster>("ecsclusters", "daemons");
    const instanceArns: string[] = [];
    for (const instanceId of group.instanceIds) {
      const registered = await ecs.send(new RegisterContainerInstanceCommand({ cluster: clusterName, instanceIdentityDocument: JSON.stringify({ instanceId }) }));
      instanceArns.push(registered.containerInstance?.containerInstanceArn ?? "");
    }

    env.apply(
      manifest("TaskDefinition", "agent", {
        family: `agent-${ns}`,
        networkMode: "bridge",
        requiresCompatibilities: ["EC2"],
        containerDefinitions: [{ name: "agent", image: "public.ecr.aws/docker/library/busybox:stable", memory: "64", cpu: "64", essential: true }],
      }),
    );
    env.apply(manifest("EcsService", "agent", { clusterRef: { name: "daemons" }, taskDefinitionRef: { name: "agent" }, launchType: "EC2", schedulingStrategy: "DAEMON" }));
    const running = await env.ready<EcsService>("ecsservices", "agent", 60_000);
    expect(running.status).toMatchObject({ desiredCount: 2, runningCount: 2, rolloutState: "COMPLETED" });
    const placedOn = async () => {
      const arns = (await ecs.send(new ListTasksCommand({ cluster: clusterName, serviceName }))).taskArns ?? [];
      const described = arns.length > 0 ? ((await ecs.send(new DescribeTasksCommand({ cluster: clusterName, tasks: arns }))).tasks ?? []) : [];
      return described.filter((t) => t.lastStatus === "RUNNING").map((t) => t.containerInstanceArn ?? "").sort();
    };
    expect(await placedOn()).toEqual([...instanceArns].sort());

    // The group grows by one instance: the daemon follows it, and the service's status says so.
    const third = await runEc2Instance(stack, accountId);
    const joined = (await ecs.send(new RegisterContainerInstanceCommand({ cluster: clusterName, instanceIdentityDocument: JSON.stringify({ instanceId: third }) }))).containerInstance?.containerInstanceArn ?? "";
    await waitFor("the daemon's status to count three tasks", async () => {
      const obj = await env.get<EcsService>("ecsservices", "agent");
      return obj?.status?.desiredCount === 3 && obj.status.runningCount === 3 ? obj : undefined;
    }, 30_000);
    expect(await placedOn()).toEqual([...instanceArns, joined].sort());

    // Deleted without a scale-down (a daemon has no desiredCount to lower), then the rest.
    await proxy.reset(accountId);
    kubectl(stack, ["delete", "ecsservice", "agent", "-n", ns, "--wait=true", "--timeout=60s"]);
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(0);
    expect((await ecs.send(new DescribeServicesCommand({ cluster: clusterName, services: [serviceName] }))).services?.filter((s) => s.status !== "INACTIVE") ?? []).toEqual([]);
    for (const arn of (await ecs.send(new ListContainerInstancesCommand({ cluster: clusterName }))).containerInstanceArns ?? []) {
      await ecs.send(new DeregisterContainerInstanceCommand({ cluster: clusterName, containerInstance: arn, force: true }));
    }
    kubectl(stack, ["delete", "ecscluster", "daemons", "-n", ns, "--wait=true", "--timeout=60s"]);
    kubectl(stack, ["delete", "capacityprovider", "daemon-asg", "-n", ns, "--wait=true", "--timeout=60s"]);
    kubectl(stack, ["delete", "taskdefinition", "agent", "-n", ns, "--wait=true", "--timeout=60s"]);
    expect((await ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [`${ns}_daemon-asg`] }))).capacityProviders ?? []).toEqual([]);
  }, 180_000);
});
