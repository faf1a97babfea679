import { CreateListenerCommand, CreateLoadBalancerCommand } from "@aws-sdk/client-elastic-load-balancing-v2";
import { DescribeServicesCommand, DescribeTaskDefinitionCommand } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import { renderManifests } from "../../src/compose/render.js";
import { defaultVpc, vpcSubnets } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { kubectl, waitForCondition } from "../env/kube.js";
import { convertFixture, fixtures, seedExample } from "../fixtures/compose/index.js";

const env = useTestEnvironment("compose", { startOperator: false });
const { stack, accountId } = env;
const { ecs, elbv2 } = env.aws;

describe("compose convert output against kube-apiserver and moto", () => {
  it.each([seedExample, ...fixtures].map((f) => [f.name, f] as const))("%s: the output passes kubectl apply --dry-run=server", (_name, f) => {
    const yaml = renderManifests(convertFixture(f, { namespace: env.namespace }).manifests);
    const out = kubectl(stack, ["apply", "--dry-run=server", "-f", "-"], yaml);
    expect(out.trim().split("\n").every((line) => / (created|configured|unchanged) \(server dry run\)$/.test(line))).toBe(true);
  });

  it("the seed example, applied, reconciles every object to Ready against moto", async () => {
    const vpcId = await defaultVpc(stack, accountId);
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "compose-seed", Subnets: (await vpcSubnets(stack, accountId, vpcId)).slice(0, 2), Type: "application" }));
    const listener = await elbv2.send(
      new CreateListenerCommand({ LoadBalancerArn: lb.LoadBalancers?.[0]?.LoadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] }),
    );
    const listenerArn = listener.Listeners?.[0]?.ListenerArn ?? "";
    const { manifests } = convertFixture(seedExample, { namespace: env.namespace, vpcId, listenerArn });
    expect(manifests.map((m) => m.kind).sort()).toEqual(["CloudMapNamespace", "CloudMapService", "EcsCluster", "EcsService", "ListenerRule", "TargetGroup", "TaskDefinition"]);
    await env.startOperator();
    kubectl(stack, ["apply", "-f", "-"], renderManifests(manifests));
    for (const m of manifests) {
      await waitForCondition(stack, `${m.kind.toLowerCase()}s`, env.namespace, m.metadata.name, { type: "Ready", status: "True" }, 60_000);
    }
    const service = (await ecs.send(new DescribeServicesCommand({ cluster: `${env.namespace}_hello-world`, services: [`${env.namespace}_nginx`] }))).services?.[0];
    expect(service?.launchType).toBe("EC2");
    expect(service?.loadBalancers?.[0]).toMatchObject({ containerName: "nginx", containerPort: 80 });
    const taskDefinition = (await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: service?.taskDefinition }))).taskDefinition;
    expect(taskDefinition?.containerDefinitions?.[0]).toMatchObject({ image: "nginx:latest", cpu: 256, memory: 512, memoryReservation: 512, logConfiguration: { logDriver: "awslogs" } });
  });
});
