import { DescribeServicesCommand, ListTaskDefinitionsCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import type { EcsService } from "../../src/api/ecsservice.js";
import { AwsProxyControl, callsTo } from "../env/aws-proxy-control.js";
import { testAwsClients, uniqueAccountId } from "../env/aws.js";
import { apply, createTestNamespace, getObject, waitFor, waitForCondition } from "../env/kube.js";
import { startOperatorProcess, type OperatorProcess } from "../env/operator-process.js";

const stack = inject("stack");
const proxy = new AwsProxyControl(stack.awsEndpoint);
const accountId = uniqueAccountId();
const { ecs } = testAwsClients(stack, accountId);

let namespace: string;
let operator: OperatorProcess;

function taskDefinition(name: string, image: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TaskDefinition",
    metadata: { name, namespace },
    spec: { family: `${name}-${namespace}`, containerDefinitions: [{ name: "web", image, memory: 128, essential: true }], ...extra },
  });
}

function service(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name, namespace }, spec: { clusterRef: { name: "main" }, launchType: "EC2", desiredCount: 1, ...spec } });
}

const activeRevisions = async (family: string): Promise<number[]> =>
  ((await ecs.send(new ListTaskDefinitionsCommand({ familyPrefix: family, status: "ACTIVE" }))).taskDefinitionArns ?? [])
    .filter((a) => a.includes(`/${family}:`))
    .map((a) => Number(a.split(":").pop()))
    .sort((a, b) => a - b);

describe("EcsService following a TaskDefinition object", () => {
  beforeAll(async () => {
    namespace = await createTestNamespace(stack, "svctd");
    operator = await startOperatorProcess(stack, { accountId, namespaces: [namespace], resyncSeconds: 3 });
    apply(stack, JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace }, spec: {} }));
  });

  afterAll(async () => {
    await operator.stop();
  });

  it("rolls to each new revision with exactly one UpdateService carrying the new ARN", async () => {
    apply(stack, taskDefinition("web", "nginx:1.25"));
    apply(stack, service("web", { taskDefinitionRef: { name: "web" } }));
    const first = await waitForCondition<EcsService>(stack, "ecsservices", namespace, "web", { type: "Ready", status: "True" });
    expect(first.status?.taskDefinitionArn).toMatch(new RegExp(`:task-definition/web-${namespace}:1$`));

    await proxy.reset(accountId);
    apply(stack, taskDefinition("web", "nginx:1.26"));
    const rolled = await waitFor("the service on revision 2", async () => {
      const obj = await getObject<EcsService>(stack, "ecsservices", namespace, "web");
      return obj?.status?.taskDefinitionArn?.endsWith(`web-${namespace}:2`) === true && obj.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? obj : undefined;
    });
    const inAws = await ecs.send(new DescribeServicesCommand({ cluster: `${namespace}_main`, services: [`${namespace}_web`] }));
    expect(inAws.services?.[0]?.taskDefinition).toBe(rolled.status?.taskDefinitionArn);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "ecs:RegisterTaskDefinition")).toBe(1);
    expect(callsTo(counts, "ecs:UpdateService")).toBe(1);
  });

  it("keeps the revision a service pins beyond revisionHistoryLimit, and deregisters the rest", async () => {
    const family = `pinned-${namespace}`;
    apply(stack, taskDefinition("pinned", "app:1", { revisionHistoryLimit: 2 }));
    const td = await waitForCondition<{ apiVersion: string; kind: string; metadata: { name: string; namespace: string; uid: string; generation?: number }; status?: { taskDefinitionArn?: string; conditions?: [] } }>(
      stack, "taskdefinitions", namespace, "pinned", { type: "Ready", status: "True" },
    );
    // A service outside the TaskDefinition's control pins revision 1 by its ARN.
    apply(stack, service("pinning", { taskDefinition: td.status?.taskDefinitionArn }));
    await waitForCondition(stack, "ecsservices", namespace, "pinning", { type: "Ready", status: "True" });
    for (const tag of ["app:2", "app:3", "app:4", "app:5"]) {
      apply(stack, taskDefinition("pinned", tag, { revisionHistoryLimit: 2 }));
      await waitFor(`revision for ${tag}`, async () => (await activeRevisions(family)).includes(Number(tag.split(":")[1])));
    }
    await waitFor("exactly the two newest plus the pinned revision ACTIVE", async () => JSON.stringify(await activeRevisions(family)) === JSON.stringify([1, 4, 5]), 30_000);
  });
});
