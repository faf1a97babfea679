// Many AWS accounts and regions from one operator (docs/accounts.md): AwsAccount grants, objects
// landing where they say, a namespace without a grant refused with no AWS call, references across
// accounts refused, a revoked grant stopping writes, and sessions renewed before they expire.
// moto keeps accounts apart by the assumed role's account; the proxy counts per account and makes
// the sessions it relays short-lived (and refuses them afterwards, as AWS does).
import { DescribeClustersCommand, type Cluster } from "@aws-sdk/client-ecs";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { EcsCluster } from "../../src/api/ecscluster.js";
import { createAwsClients } from "../../src/aws/clients.js";
import { fromLowerTagList, UID_TAG } from "../../src/aws/tags.js";
import { callsTo, totalsFor } from "../env/aws-proxy-control.js";
import { uniqueAccountId } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, createTestNamespace, getObject, kubectl, waitFor, waitForCondition } from "../env/kube.js";

// The operator runs as the fixture's account (its own), watching the fixture's namespace (ns1) and two more.
const env = useTestEnvironment("acct1", { resyncSeconds: 600, startOperator: false });
const { stack, proxy, accountId: own } = env;
const [A, B, C, D] = [uniqueAccountId(), uniqueAccountId(), uniqueAccountId(), uniqueAccountId()];
const suffix = randomBytes(3).toString("hex");
const EAST = stack.region;
const WEST = "eu-west-1";
const SESSION_SECONDS = 8;

let ns1: string;
let ns2: string;
let ns3: string;

const role = (account: string): string => `arn:aws:iam::${account}:role/ecs-operator`;
const accountName = (x: string): string => `${x}-${suffix}`;

function awsAccount(x: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "AwsAccount", metadata: { name: accountName(x) }, spec });
}

function cluster(namespace: string, name: string, spec: Record<string, unknown> = {}): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name, namespace }, spec });
}

/** A cluster as moto holds it in one account and region, read past the proxy's counts. */
async function clusterIn(account: string, region: string, name: string): Promise<Cluster | undefined> {
  const { ecs } = createAwsClients({ region, endpoint: stack.motoUrl, credentials: { accessKeyId: account, secretAccessKey: "x" } });
  ecs.middlewareStack.add(
    (next) => (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (request.headers) request.headers["x-moto-account-id"] = account;
      return next(args);
    },
    { step: "build", name: "motoAccount" },
  );
  const out = await ecs.send(new DescribeClustersCommand({ clusters: [name], include: ["TAGS"] }));
  return out.clusters?.find((c) => c.status === "ACTIVE");
}

const ready = (namespace: string, name: string) => waitForCondition<EcsCluster>(stack, "ecsclusters", namespace, name, { type: "Ready", status: "True" }, 45_000);

describe("AWS accounts and regions", () => {
  beforeAll(async () => {
    ns1 = env.namespace;
    [ns2, ns3] = await Promise.all([createTestNamespace(stack, "acct2"), createTestNamespace(stack, "acct3")]);
    kubectl(stack, ["label", "namespace", ns2, `team=b-${suffix}`]);
    // Every session the proxy relays lasts SESSION_SECONDS: the test outlives several.
    await proxy.setSessionSeconds(SESSION_SECONDS);
    apply(stack, awsAccount("a", { roleArn: role(A), regions: [EAST, WEST], namespaces: { names: [ns1] }, defaultFor: { names: [ns1] } }));
    apply(stack, awsAccount("b", { roleArn: role(B), regions: [WEST, EAST], namespaces: { selector: { matchLabels: { team: `b-${suffix}` } } } }));
    apply(stack, awsAccount("c", { roleArn: role(C), regions: [EAST], namespaces: { names: [ns1, ns2] } }));
    apply(stack, awsAccount("d", { roleArn: role(D), regions: [EAST], namespaces: { names: ["nobody-here"] } }));
    await env.startOperator({ namespaces: [ns1, ns2, ns3] });
  });

  afterAll(async () => {
    await proxy.setSessionSeconds(undefined);
    kubectl(stack, ["delete", "ecsclusters,ecsservices", "--all", "-n", ns1, "--wait=true", "--timeout=60s"]);
    kubectl(stack, ["delete", "ecsclusters", "--all", "-n", ns2, "--wait=true", "--timeout=60s"]);
    kubectl(stack, ["delete", "awsaccounts", ...["a", "b", "c", "d"].map(accountName), "--wait=false"]);
  });

  it("says in each AwsAccount's status that its role can be assumed, and which account it is", async () => {
    const a = await waitFor("AwsAccount a to be Ready", async () => {
      const obj = await getObject(stack, "awsaccounts", "", accountName("a")).catch(() => undefined);
      return obj?.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ? obj : undefined;
    }, 30_000);
    expect(a.status?.accountId).toBe(A);
  });

  it("puts each object in the account and region it says, or its namespace's default, or the operator's own", async () => {
    apply(stack, [cluster(ns1, "default"), cluster(ns1, "west", { region: WEST }), cluster(ns1, "in-c", { account: accountName("c") })].join("\n---\n"));
    apply(stack, [cluster(ns2, "in-b", { account: accountName("b") }), cluster(ns2, "in-b-east", { account: accountName("b"), region: EAST }), cluster(ns2, "own")].join("\n---\n"));
    const expected: [string, string, string, string][] = [
      [ns1, "default", A, EAST],
      [ns1, "west", A, WEST],
      [ns1, "in-c", C, EAST],
      [ns2, "in-b", B, WEST],
      [ns2, "in-b-east", B, EAST],
      [ns2, "own", own, EAST],
    ];
    for (const [namespace, name, account, region] of expected) {
      const obj = await ready(namespace, name);
      expect(obj.status, `${namespace}/${name}`).toMatchObject({ account, region });
      const inAws = await clusterIn(account, region, `${namespace}_${name}`);
      expect(fromLowerTagList(inAws?.tags)[UID_TAG], `${namespace}/${name} in ${account} ${region}`).toBe(obj.metadata.uid);
      // And nowhere else.
      for (const [other, otherRegion] of [[own, EAST], [A, EAST], [A, WEST], [B, WEST], [C, EAST]] as const) {
        if (other === account && otherRegion === region) continue;
        expect(await clusterIn(other, otherRegion, `${namespace}_${name}`), `${namespace}/${name} not in ${other} ${otherRegion}`).toBeUndefined();
      }
    }
  }, 120_000);

  it("refuses a namespace the account is not granted to, with a condition and no AWS call in that account", async () => {
    await proxy.reset(D);
    apply(stack, cluster(ns3, "not-mine", { account: accountName("d") }));
    const refused = await waitForCondition<EcsCluster>(stack, "ecsclusters", ns3, "not-mine", { type: "Ready", status: "False", reason: "AccountNotGranted" });
    expect(refused.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe(`AwsAccount ${accountName("d")} is not granted to namespace ${ns3} (see its spec.namespaces)`);
    await sleep(3000);
    expect(totalsFor(await proxy.counts(D), "*").calls).toBe(0);
    // Without a finalizer (nothing was ever created), it deletes at once.
    kubectl(stack, ["delete", "ecscluster", "not-mine", "-n", ns3, "--wait=true", "--timeout=20s"]);
  });

  it("refuses a reference to an object in another account", async () => {
    apply(
      stack,
      JSON.stringify({
        apiVersion: "ecs.operator.dev/v1alpha1",
        kind: "EcsService",
        metadata: { name: "across", namespace: ns1 },
        spec: { account: accountName("c"), clusterRef: { name: "default" }, taskDefinition: "web:1", desiredCount: 1, launchType: "EC2" },
      }),
    );
    const waiting = await waitForCondition(stack, "ecsservices", ns1, "across", { type: "Ready", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(new RegExp(`EcsCluster ${ns1}/default .* it is in account ${A}, this object in account ${C} \\(references across them are refused\\)`));
    kubectl(stack, ["delete", "ecsservice", "across", "-n", ns1, "--wait=true", "--timeout=20s"]);
  });

  it("stops writing to an account when its grant is revoked, and resumes when it is restored", async () => {
    apply(stack, awsAccount("c", { roleArn: role(C), regions: [EAST], namespaces: { names: [ns2] } }));
    await waitForCondition(stack, "ecsclusters", ns1, "in-c", { type: "Ready", status: "False", reason: "AccountNotGranted" });
    await proxy.reset(C);
    apply(stack, cluster(ns1, "in-c", { account: accountName("c"), tags: { changed: "yes" } }));
    await waitForCondition(stack, "ecsclusters", ns1, "in-c", { type: "Ready", status: "False", reason: "AccountNotGranted" });
    await sleep(3000);
    expect(totalsFor(await proxy.counts(C), "*").calls).toBe(0);

    apply(stack, awsAccount("c", { roleArn: role(C), regions: [EAST], namespaces: { names: [ns1, ns2] } }));
    await ready(ns1, "in-c");
    expect(callsTo(await proxy.counts(C), "ecs:TagResource")).toBe(1);
    expect(fromLowerTagList((await clusterIn(C, EAST, `${ns1}_in-c`))?.tags).changed).toBe("yes");
  }, 90_000);

  it("renews sessions before they expire: no call is refused for an expired token and no reconcile fails", async () => {
    // The test has run for several session lifetimes by now; make sure of it, with work going on.
    await sleep(SESSION_SECONDS * 1000);
    apply(stack, cluster(ns1, "late", { tags: { at: "the-end" } }));
    await ready(ns1, "late");
    const counts = await proxy.counts();
    const assumed = Object.values(counts).reduce((sum, byOperation) => sum + (byOperation["sts:AssumeRole"]?.calls ?? 0), 0);
    // At least one renewal per account used (a, b, c) beyond the first session of each.
    expect(assumed).toBeGreaterThanOrEqual(6);
    for (const account of [A, B, C]) expect(totalsFor(await proxy.counts(account), "*").injected, `expired-token refusals in ${account}`).toBe(0);
    expect(await env.operator.metric("ecs_operator_reconcile_errors_total")).toBe(0);
  }, 60_000);
});
