import { DescribeServicesCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { beforeAll, describe, expect, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { callsTo } from "../env/aws-proxy-control.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, getObject, waitFor, waitForCondition } from "../env/kube.js";

const env = useTestEnvironment("svctd", { resyncSeconds: 3 });
const { stack, proxy, accountId } = env;
const { ecs } = env.aws;

function taskDefinition(name: string, image: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TaskDefinition",
    metadata: { name, namespace: env.namespace },
    spec: { family: `${name}-${env.namespace}`, containerDefinitions: [{ name: "web", image, memory: 128, essential: true }], ...extra },
  });
}

function service(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name, namespace: env.namespace }, spec: { clusterRef: { name: "main" }, launchType: "EC2", desiredCount: 1, ...spec } });
}

const activeRevisions = async (family: string): Promise<number[]> =>
  ((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE" }))).taskDefinitionArns ?? [])
    .filter((a) => a.includes(`/${family}:`))
    .map((a) => Number(a.split(":").pop()))
    .sort((a, b) => a - b);

describe("EcsService following a TaskDefinition object", () => {
  beforeAll(() => {
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace: env.namespace }, spec: {} }));
  });

  it("rolls to each new revision with exactly one UpdateService carrying the new ARN", async () => {
    apply(stack, taskDefinition("web", "nginx:1.25"));
    apply(stack, service("web", { taskDefinitionRef: { name: "web" } }));
    const first = await waitForCondition<EcsService>(stack, "ecsservices", env.namespace, "web", { type: "Ready", status: "True" });
    expect(first.status?.taskDefinitionArn).toMatch(new RegExp(`:task-definition/web-${env.namespace}:1$`));

    await proxy.reset(accountId);
    apply(stack, taskDefinition("web", "nginx:1.26"));
    const rolled = await waitFor("the service on revision 2", async () => {
      const obj = await getObject<EcsService>(stack, "ecsservices", env.namespace, "web");
      return obj?.status?.taskDefinitionArn?.endsWith(`web-${env.namespace}:2`) === true && obj.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? obj : undefined;
    });
    const inAws = await ecs.send(new DescribeServicesCommand({ cluster: `${env.namespace}_main`, services: [`${env.namespace}_web`] }));
    expect(inAws.services?.[0]?.taskDefinition).toBe(rolled.status?.taskDefinitionArn);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:RegisterTaskDefinition")).toBe(1);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(1);
  });

  it("keeps the revision a service pins beyond revisionHistoryLimit, and deregisters the rest", async () => {
    const family = `pinned-${env.namespace}`;
    apply(stack, taskDefinition("pinned", "app:1", { revisionHistoryLimit: 2 }));
    const td = await waitForCondition<{ apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid: string; generation?: number }; status?: { taskDefinitionArn?: string; conditions?: [] } }>(
      stack, "taskdefinitions", env.namespace, "pinned", { type: "Ready", status: "True" },
    );
    // A service outside the TaskDefinition's control pins revision 1 by its ARN.
    apply(stack, service("pinning", { taskDefinition: td.status?.taskDefinitionArn }));
    await waitForCondition(stack, "ecsservices", env.namespace, "pinning", { type: "Ready", status: "True" });
    for (const tag of ["app:2", "app:3", "app:4", "app:5"]) {
      apply(stack, taskDefinition("pinned", tag, { revisionHistoryLimit: 2 }));
      await waitFor(`revision for ${tag}`, async () => (await activeRevisions(family)).includes(Number(tag.split(":")[1])));
    }
    await waitFor("exactly the two newest plus the pinned revision ACTIVE", async () => JSON.stringify(await activeRevisions(family)) === JSON.stringify([1, 4, 5]), 30_000);
  });
});
