import { CreateClusterCommand, ListClustersCommand } from "@aws-sdk/client-ecs";
import {
  CreateTargetGroupCommand,
  DescribeTargetGroupsCommand,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { CreateHttpNamespaceCommand, ListNamespacesCommand } from "@aws-sdk/client-servicediscovery";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { createAwsClients } from "../../src/aws/clients.js";
import { AwsProxyControl, callsTo, totalsFor, writeCalls } from "../env/aws-proxy-control.js";
import { startAwsProxy, type AwsProxy } from "../env/aws-proxy.js";
import { defaultVpc, uniqueAccountId } from "../env/aws.js";

const stack = inject("stack");
let proxy: AwsProxy;
let control: AwsProxyControl;
const clients: { destroy(): void }[] = [];

// A proxy of its own in front of the shared moto: these tests reconfigure faults and buckets
// globally and want a fixed seed, which must not disturb other test files.
beforeAll(async () => {
  proxy = await startAwsProxy({ target: stack.motoUrl, seed: 7 });
  control = new AwsProxyControl(proxy.url);
}, 60_000);

afterEach(() => {
  clients.splice(0).forEach((c) => {
    c.destroy();
  });
});

afterAll(async () => {
  await proxy.close();
});

function aws(accountId: string, maxAttempts?: number) {
  const made = createAwsClients({
    region: stack.region,
    endpoint: proxy.url,
    credentials: { accessKeyId: accountId, secretAccessKey: "x" },
    ...(maxAttempts === undefined ? {} : { maxAttempts }),
  });
  clients.push(made.ecs, made.elbv2, made.serviceDiscovery);
  return { ecs: made.ecs, elb: made.elbv2, sd: made.serviceDiscovery };
}

const defaultVpcId = (account: string): Promise<string> => defaultVpc(stack, account);

describe("aws proxy in front of moto", { timeout: 30_000 }, () => {
  it("forwards calls of all three services and counts them per operation", async () => {
    const account = uniqueAccountId();
    const { ecs, elb, sd } = aws(account);
    await ecs.send(new CreateClusterCommand({ clusterName: "c1" }));
    const tg = await elb.send(
      new CreateTargetGroupCommand({ Name: "tg1", Protocol: "HTTP", Port: 80, TargetType: "ip", VpcId: await defaultVpcId(account) }),
    );
    expect(tg.TargetGroups?.[0]?.TargetGroupArn).toContain(`:${account}:targetgroup/tg1/`);
    await sd.send(new CreateHttpNamespaceCommand({ Name: "ns1" }));
    await ecs.send(new ListClustersCommand({}));

    const counts = await control.counts(account);
    expect(Object.keys(counts)).toEqual([account]);
    expect(counts[account]).toEqual({
      "ecs:CreateCluster": { calls: 1, ok: 1, throttled: 0, injected: 0, upstreamError: 0 },
      "elasticloadbalancing:CreateTargetGroup": { calls: 1, ok: 1, throttled: 0, injected: 0, upstreamError: 0 },
      "servicediscovery:CreateHttpNamespace": { calls: 1, ok: 1, throttled: 0, injected: 0, upstreamError: 0 },
      "ecs:ListClusters": { calls: 1, ok: 1, throttled: 0, injected: 0, upstreamError: 0 },
    });
    expect(writeCalls(counts)).toBe(3);

    await control.reset(account);
    expect(await control.counts(account)).toEqual({});
  });

  it("counts upstream errors", async () => {
    const account = uniqueAccountId();
    const { elb } = aws(account);
    await expect(
      elb.send(new CreateTargetGroupCommand({ Name: "tg", Protocol: "HTTP", Port: 80, VpcId: "vpc-12345678" })),
    ).rejects.toMatchObject({ name: "ValidationError" });
    expect(totalsFor(await control.counts(account), "CreateTargetGroup")).toMatchObject({ calls: 1, upstreamError: 1 });
  });

  it("throttles a JSON-protocol call twice and the SDK retries to success", async () => {
    const account = uniqueAccountId();
    await control.addFault({ kind: "throttle", operations: ["ecs:CreateCluster"], accountId: account, remaining: 2 });
    const out = await aws(account).ecs.send(new CreateClusterCommand({ clusterName: "retried" }));
    expect(out.$metadata.attempts).toBe(3);
    expect(totalsFor(await control.counts(account), "ecs:CreateCluster")).toEqual({
      calls: 3,
      ok: 1,
      throttled: 2,
      injected: 0,
      upstreamError: 0,
    });
  });

  it("throttles a query-protocol call twice and the SDK retries to success", async () => {
    const account = uniqueAccountId();
    const vpcId = await defaultVpcId(account);
    await control.addFault({ kind: "throttle", operations: ["elasticloadbalancing:CreateTargetGroup"], accountId: account, remaining: 2 });
    const out = await aws(account).elb.send(new CreateTargetGroupCommand({ Name: "tg", Protocol: "HTTP", Port: 80, VpcId: vpcId }));
    expect(out.$metadata.attempts).toBe(3);
    expect(totalsFor(await control.counts(account), "CreateTargetGroup")).toMatchObject({ calls: 3, ok: 1, throttled: 2 });
  });

  it("surfaces throttling once the SDK runs out of attempts", async () => {
    const account = uniqueAccountId();
    const { sd, elb } = aws(account);
    await control.addFault({ kind: "throttle", operations: ["ListNamespaces", "DescribeTargetGroups"], accountId: account, remaining: 10 });
    await expect(sd.send(new ListNamespacesCommand({}))).rejects.toMatchObject({
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400, attempts: 3 },
    });
    await expect(elb.send(new DescribeTargetGroupsCommand({}))).rejects.toMatchObject({
      name: "Throttling",
      $metadata: { httpStatusCode: 400, attempts: 3 },
    });
    const counts = await control.counts(account);
    expect(totalsFor(counts, "servicediscovery:ListNamespaces")).toMatchObject({ calls: 3, throttled: 3 });
    expect(totalsFor(counts, "elasticloadbalancing:DescribeTargetGroups")).toMatchObject({ calls: 3, throttled: 3 });
    await control.clearFaults(account);
    await expect(sd.send(new ListNamespacesCommand({}))).resolves.toMatchObject({ $metadata: { attempts: 1 } });
  });

  it("retries injected 503s and dropped connections, and surfaces a persistent 500", async () => {
    const account = uniqueAccountId();
    const { ecs, elb } = aws(account);
    const only = { operations: ["ecs:ListClusters"], accountId: account, remaining: 1 };
    await control.addFault({ kind: "error503", ...only });
    expect((await ecs.send(new ListClustersCommand({}))).$metadata.attempts).toBe(2);
    await control.addFault({ kind: "drop", ...only });
    expect((await ecs.send(new ListClustersCommand({}))).$metadata.attempts).toBe(2);
    expect(totalsFor(await control.counts(account), "ecs:ListClusters")).toMatchObject({ calls: 4, ok: 2, injected: 2 });

    await control.addFault({ kind: "error500", operations: ["DescribeTargetGroups"], accountId: account });
    await expect(elb.send(new DescribeTargetGroupsCommand({}))).rejects.toMatchObject({
      name: "InternalFailure",
      $metadata: { httpStatusCode: 500, attempts: 3 },
    });
    await control.clearFaults(account);
  });

  it("delays calls with latency rules and removes rules by id", async () => {
    const account = uniqueAccountId();
    const { ecs } = aws(account);
    const id = await control.addFault({ kind: "latency", latencyMs: 300, accountId: account });
    let start = performance.now();
    await ecs.send(new ListClustersCommand({}));
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    await control.removeFault(id);
    start = performance.now();
    await ecs.send(new ListClustersCommand({}));
    expect(performance.now() - start).toBeLessThan(290);
  });

  it("throttles a burst beyond the token bucket, like AWS without queuing", async () => {
    const account = uniqueAccountId();
    const { ecs } = aws(account, 1);
    await control.setBuckets([{ match: "ecs:ListClusters", ratePerSecond: 0.01, burst: 2 }]);
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => ecs.send(new ListClustersCommand({}))));
      expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(2);
      for (const r of results) {
        if (r.status === "rejected") expect(r.reason).toMatchObject({ name: "ThrottlingException" });
      }
      expect(totalsFor(await control.counts(account), "ListClusters")).toMatchObject({ calls: 5, ok: 2, throttled: 3 });
    } finally {
      await control.setBuckets([]);
    }
  });

  it("isolates accounts: resources and counts", async () => {
    const [a, b] = [uniqueAccountId(), uniqueAccountId()];
    await aws(a).ecs.send(new CreateClusterCommand({ clusterName: "iso-a" }));
    await aws(b).ecs.send(new CreateClusterCommand({ clusterName: "iso-b" }));
    const listed = await aws(a).ecs.send(new ListClustersCommand({}));
    expect(listed.clusterArns).toEqual([`arn:aws:ecs:us-east-1:${a}:cluster/iso-a`]);

    const all = await control.counts();
    expect(callsTo({ [a]: all[a] ?? {} }, "ecs:CreateCluster")).toBe(1);
    expect(callsTo({ [b]: all[b] ?? {} }, "ecs:CreateCluster")).toBe(1);
    expect(Object.keys(await control.counts(b))).toEqual([b]);
    expect(callsTo(await control.counts(b), "ListClusters")).toBe(0);
  });

  it("rejects malformed fault rules on the control API", async () => {
    await expect(control.addFault({ kind: "latency" })).rejects.toThrow(/400.*latencyMs/);
  });
});
