// Issue 19 through the operator against moto with the ECS layer: the Service Connect example
// (examples/service-connect: an API reached as http://api:8080 and a front end in the cluster's
// default namespace) and the EBS volume example (examples/ebs-volume). DescribeServices reports
// Service Connect and volumes on the deployments only; the layer records them there as ECS does,
// so converging, staying converged and drifting are all checked against what AWS would say.
import { DescribeClustersCommand, DescribeServicesCommand, type Service } from "@aws-sdk/client-ecs";
import { GetNamespaceCommand } from "@aws-sdk/client-servicediscovery";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { CloudMapNamespace } from "../../src/api/cloudmapnamespace.js";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import type { EcsService } from "../../src/api/ecsservice.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { exampleManifests, prepareAccount, type Manifest, type MotoIds } from "../env/fleet.js";
import { useTestEnvironment } from "../env/fixture.js";
import { kubectl, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("connect", { resyncSeconds: 2 });
const { stack, proxy, accountId } = env;
const { ecs, serviceDiscovery } = env.aws;

let ids: MotoIds;
let namespaceArn: string;

function applyAll(manifests: Manifest[]): void {
  env.apply(JSON.stringify({ apiVersion: "v1", kind: "List", items: manifests.map((m) => ({ ...m, metadata: { ...m.metadata, namespace: env.namespace } })) }));
}
const connectExample = () => exampleManifests(ids, [], "examples/service-connect");
const ebsExample = () => exampleManifests(ids, [], "examples/ebs-volume");
const named = (manifests: Manifest[], kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in the example`);
  return found;
};
type Spec = Record<string, unknown> & EcsService["spec"];
const withSpec = (m: Manifest, change: (spec: Spec) => Spec): Manifest => ({ ...m, spec: change(structuredClone(m.spec)) });

async function describeService(cluster: string, name: string): Promise<Service | undefined> {
  return (await ecs.send(new DescribeServicesCommand({ cluster, services: [`${env.namespace}_${name}`] }))).services?.[0];
}
const primaryOf = (s: Service | undefined) => s?.deployments?.find((d) => d.status === "PRIMARY");
const writes = async (): Promise<number> => {
  const counts = await proxy.counts(accountId);
  return callsTo(counts, "ecs:UpdateService") + callsTo(counts, "ecs:CreateService") + callsTo(counts, "ecs:UpdateCluster");
};

describe("Service Connect and EBS volumes, with ECS in motion", () => {
  beforeAll(async () => {
    ids = await prepareAccount(stack, accountId, "connect-alb");
    applyAll([...exampleManifests(ids).filter((m) => m.kind === "EcsCluster"), ...connectExample(), ...ebsExample()]);
    for (const name of ["api", "web", "scratch-db"]) await env.ready<EcsService>("ecsservices", name, 90_000);
    namespaceArn = (await env.get<CloudMapNamespace>("cloudmapnamespaces", "shop"))?.status?.arn ?? "";
    expect(namespaceArn).toMatch(/^arn:aws:servicediscovery:/);
  }, 120_000);

  it("converges: the API in its namespace by reference, the front end in the cluster's default namespace", async () => {
    const cluster = await env.ready<EcsCluster>("ecsclusters", "shop");
    expect(cluster.status?.serviceConnectNamespace).toBe(namespaceArn);
    const inAws = (await ecs.send(new DescribeClustersCommand({ clusters: [cluster.status?.clusterName ?? ""] }))).clusters?.[0];
    expect(inAws?.serviceConnectDefaults?.namespace).toBe(namespaceArn);

    const api = await describeService(`${env.namespace}_shop`, "api");
    // AWS's shape: no top-level copy, the PRIMARY deployment carries it.
    expect(api).not.toHaveProperty("serviceConnectConfiguration");
    expect(primaryOf(api)?.serviceConnectConfiguration).toMatchObject({
      enabled: true,
      namespace: namespaceArn,
      services: [{ portName: "http", discoveryName: "api", clientAliases: [{ port: 8080, dnsName: "api" }], timeout: { perRequestTimeoutSeconds: 15 } }],
    });
    expect(primaryOf(await describeService(`${env.namespace}_shop`, "web"))?.serviceConnectConfiguration).toEqual({ enabled: true, namespace: namespaceArn });
    expect((await env.get<EcsService>("ecsservices", "api"))?.status?.serviceConnect?.namespace).toBe(namespaceArn);

    const db = await describeService(`${env.namespace}_demo`, "scratch-db");
    expect(primaryOf(db)?.volumeConfigurations).toEqual([
      {
        name: "data",
        managedEBSVolume: {
          roleArn: "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
          sizeInGiB: 20,
          volumeType: "gp3",
          throughput: 250,
          filesystemType: "ext4",
          encrypted: true,
          tagSpecifications: [{ resourceType: "volume", tags: [{ key: "app", value: "scratch-db" }], propagateTags: "SERVICE" }],
        },
      },
    ]);
  });

  it("stays converged over re-checks and a restart: no UpdateService, no UpdateCluster", async () => {
    await proxy.reset(accountId);
    const reads = async () => callsTo(await proxy.counts(accountId), "ecs:DescribeServices");
    // Re-checks every 2 s: several of them for each service.
    await waitFor("several re-checks", async () => (await reads()) >= 6, 30_000);
    expect(await writes()).toBe(0);

    await env.operator.stop();
    await proxy.reset(accountId);
    await env.startOperator();
    await waitFor("the restarted operator re-checking", async () => (await reads()) >= 6, 30_000);
    expect(await writes()).toBe(0);
  });

  it("a changed client alias: one UpdateService and a new deployment with it", async () => {
    const before = primaryOf(await describeService(`${env.namespace}_shop`, "api"));
    await proxy.reset(accountId);
    const api = named(connectExample(), "EcsService", "api");
    applyAll([
      withSpec(api, (s) => ({
        ...s,
        serviceConnectConfiguration: { enabled: true, namespaceRef: { name: "shop" }, services: [{ portName: "http", discoveryName: "api", clientAliases: [{ port: 9090, dnsName: "api" }], timeout: { perRequestTimeoutSeconds: 15 } }] },
      })),
    ]);
    const after = await waitFor("a new PRIMARY deployment with port 9090", async () => {
      const primary = primaryOf(await describeService(`${env.namespace}_shop`, "api"));
      return primary?.id !== before?.id && primary?.serviceConnectConfiguration?.services?.[0]?.clientAliases?.[0]?.port === 9090 ? primary : undefined;
    });
    expect(after.id).not.toBe(before?.id);
    await env.ready<EcsService>("ecsservices", "api", 60_000);
    // Converged again, and re-checked a few times more: still the one write.
    await sleep(5_000);
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(1);
  });

  it("a changed EBS volume configuration rolls a new deployment", async () => {
    const before = primaryOf(await describeService(`${env.namespace}_demo`, "scratch-db"));
    await proxy.reset(accountId);
    const db = named(ebsExample(), "EcsService", "scratch-db");
    applyAll([
      withSpec(db, (s) => ({
        ...s,
        volumeConfigurations: (s.volumeConfigurations ?? []).map((v) => ({ ...v, managedEBSVolume: { ...v.managedEBSVolume, sizeInGiB: 40 } })),
      })),
    ]);
    const after = await waitFor("a new PRIMARY deployment with 40 GiB", async () => {
      const primary = primaryOf(await describeService(`${env.namespace}_demo`, "scratch-db"));
      return primary?.id !== before?.id && primary?.volumeConfigurations?.[0]?.managedEBSVolume?.sizeInGiB === 40 ? primary : undefined;
    });
    expect(after.rolloutState).toBeDefined();
    await env.ready<EcsService>("ecsservices", "scratch-db", 60_000);
    await sleep(5_000);
    expect(callsTo(await proxy.counts(accountId), "ecs:UpdateService")).toBe(1);
  });

  it("a portName that is not a named port mapping of the task definition: Synced=False InvalidSpec saying so, nothing created", async () => {
    await proxy.reset(accountId);
    const api = named(connectExample(), "EcsService", "api");
    applyAll([
      withSpec({ ...api, metadata: { ...api.metadata, name: "grpc-api" } }, (s) => ({
        ...s,
        serviceConnectConfiguration: { enabled: true, services: [{ portName: "grpc", discoveryName: "grpc-api" }] },
      })),
    ]);
    const refused = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "grpc-api", { type: "Synced", status: "False", reason: "InvalidSpec" });
    expect(refused.status?.conditions?.find((c) => c.type === "Synced")?.message).toContain(
      "spec.serviceConnectConfiguration.services[0].portName grpc is not a named port mapping of the task definition (its named port mappings: http)",
    );
    expect(callsTo(await proxy.counts(accountId), "ecs:CreateService")).toBe(0);
    kubectl(stack, ["delete", "ecssvc", "grpc-api", "-n", env.namespace, "--wait=false"]);
  });

  it("holds the namespace's deletion while the service and the cluster that name it exist", async () => {
    const ns = await env.get<CloudMapNamespace>("cloudmapnamespaces", "shop");
    kubectl(stack, ["delete", "cmns", "shop", "-n", env.namespace, "--wait=false"]);
    const held = await waitForCondition<CloudMapNamespace>(stack, "cloudmapnamespaces", env.namespace, "shop", { type: "Ready", status: "False", reason: "Deleting" });
    const message = held.status?.conditions?.find((c) => c.type === "Ready")?.message ?? "";
    expect(message).toMatch(/^deletion waits until /);
    expect(message).toMatch(/EcsService .*\/api|EcsCluster .*\/shop/);
    expect((await serviceDiscovery.send(new GetNamespaceCommand({ Id: ns?.status?.id }))).Namespace?.Arn).toBe(namespaceArn);
  });
});
