import { STSClient } from "@aws-sdk/client-sts";
import { describe, expect, it } from "vitest";
import type { AwsAccount } from "../../src/api/awsaccount.js";
import { CredentialCache } from "../../src/accounts/credentials.js";
import { grantSignature, placementFor, selects, type OwnAccount } from "../../src/accounts/grants.js";
import type { ManagedObject } from "../../src/runtime/driver.js";

function account(name: string, spec: Partial<AwsAccount["spec"]>, generation = 1): AwsAccount {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "AwsAccount",
    metadata: { name, namespace: "", uid: `u-${name}`, generation },
    spec: { roleArn: `arn:aws:iam::11112222${name.length.toString().padStart(4, "0")}:role/ecs-operator`, regions: ["eu-west-1", "us-east-1"], namespaces: {}, ...spec },
  };
}

function object(namespace: string, spec: { account?: string; region?: string } = {}, status?: Record<string, unknown>): ManagedObject & { spec: { account?: string; region?: string } } {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsCluster", metadata: { name: "main", namespace, uid: "u1", generation: 1 }, spec, ...(status ? { status } : {}) };
}

const own: OwnAccount = { enabled: true, accountId: "999999999999", region: "us-east-1" };
const teamA = { name: "team-a", labels: { team: "a" } };
const teamB = { name: "team-b", labels: { team: "b", stage: "prod" } };

describe("grants", () => {
  it("select namespaces by name and by label selector, as Kubernetes selectors do", () => {
    expect(selects({ names: ["team-a"] }, teamA)).toBe(true);
    expect(selects({ selector: { matchLabels: { team: "b" } } }, teamB)).toBe(true);
    expect(selects({ selector: { matchLabels: { team: "b" } } }, teamA)).toBe(false);
    expect(selects({ selector: { matchExpressions: [{ key: "stage", operator: "In", values: ["prod"] }] } }, teamB)).toBe(true);
    expect(selects({ selector: { matchExpressions: [{ key: "stage", operator: "NotIn", values: ["prod"] }] } }, teamB)).toBe(false);
    expect(selects({ selector: { matchExpressions: [{ key: "stage", operator: "Exists" }] } }, teamA)).toBe(false);
    expect(selects({ selector: { matchExpressions: [{ key: "stage", operator: "DoesNotExist" }] } }, teamA)).toBe(true);
    // An empty selector selects every namespace; no selection selects none.
    expect(selects({ selector: {} }, teamA)).toBe(true);
    expect(selects({}, teamA)).toBe(false);
  });

  it("place an object in the account it names, in the region it names or the account's first", () => {
    const a = account("a", { namespaces: { names: ["team-a"] } });
    expect(placementFor(object("team-a", { account: "a" }), [a], teamA, own)).toMatchObject({ target: { kind: "granted" }, accountId: "111122220001", region: "eu-west-1" });
    expect(placementFor(object("team-a", { account: "a", region: "us-east-1" }), [a], teamA, own)).toMatchObject({ region: "us-east-1" });
    expect(placementFor(object("team-a", { account: "a", region: "ap-south-1" }), [a], teamA, own)).toEqual({ refused: expect.stringContaining("region ap-south-1 (spec.region) is not allowed in AwsAccount a: one of eu-west-1, us-east-1") as string });
  });

  it("refuse an account that is not granted to the namespace, or does not exist", () => {
    const a = account("a", { namespaces: { names: ["team-a"] } });
    expect(placementFor(object("team-b", { account: "a" }), [a], teamB, own)).toEqual({ refused: "AwsAccount a is not granted to namespace team-b (see its spec.namespaces)" });
    expect(placementFor(object("team-b", { account: "zz" }), [a], teamB, own)).toEqual({ refused: "AwsAccount zz (spec.account) not found" });
  });

  it("use the namespace's default account, else the operator's own, unless that is not offered", () => {
    const b = account("bb", { namespaces: { selector: { matchLabels: { team: "b" } } }, defaultFor: { selector: { matchLabels: { team: "b" } } } });
    expect(placementFor(object("team-b"), [b], teamB, own)).toMatchObject({ accountId: "111122220002", region: "eu-west-1" });
    expect(placementFor(object("team-a"), [b], teamA, own)).toMatchObject({ target: { kind: "own" }, accountId: own.accountId, region: "us-east-1" });
    expect(placementFor(object("team-a", { region: "eu-west-1" }), [b], teamA, own)).toMatchObject({ refused: expect.stringContaining("not allowed in the operator's own account") as string });
    expect(placementFor(object("team-a"), [b], teamA, { ...own, enabled: false })).toMatchObject({ refused: expect.stringContaining("no AWS account for namespace team-a") as string });
    // A default that is not also granted is no default.
    const notGranted = account("cc", { namespaces: { names: [] }, defaultFor: { names: ["team-a"] } });
    expect(placementFor(object("team-a"), [notGranted], teamA, own)).toMatchObject({ target: { kind: "own" } });
    const twice = account("ddd", { namespaces: { selector: {} }, defaultFor: { selector: { matchLabels: { team: "b" } } } });
    expect(placementFor(object("team-b"), [b, twice], teamB, own)).toMatchObject({ refused: expect.stringContaining("2 default AwsAccounts (bb, ddd)") as string });
  });

  it("keep a placed resource where it is: a changed default or grant is refused, not followed", () => {
    const b = account("bb", { namespaces: { names: ["team-a"] }, defaultFor: { names: ["team-a"] } });
    const placedInOwn = object("team-a", {}, { account: own.accountId, region: "us-east-1" });
    expect(placementFor(placedInOwn, [b], teamA, own)).toMatchObject({ refused: expect.stringContaining("the resource lives in account 999999999999 region us-east-1") as string });
    expect(placementFor(placedInOwn, [], teamA, own)).toMatchObject({ target: { kind: "own" } });
  });

  it("sum up a namespace's grants so that a change of them can be noticed", () => {
    const a = account("a", { namespaces: { names: ["team-a"] } });
    const before = grantSignature([a], teamA);
    expect(grantSignature([a], teamA)).toBe(before);
    expect(grantSignature([account("a", { namespaces: { names: [] } })], teamA)).not.toBe(before);
    expect(grantSignature([account("a", { namespaces: { names: ["team-a"] }, regions: ["eu-west-1"] })], teamA)).not.toBe(before);
    expect(grantSignature([a], teamB)).toBe(grantSignature([], teamB));
  });
});

/** An STS client whose AssumeRole is answered by `answer` (no network): the cache's logic alone. */
function sts(answer: () => Promise<unknown>): { client: STSClient; calls: () => number } {
  let calls = 0;
  const client = new STSClient({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  client.send = (() => {
    calls++;
    return answer();
  }) as typeof client.send;
  return { client, calls: () => calls };
}

describe("CredentialCache", () => {
  const a = account("a", { namespaces: { names: ["team-a"] }, sessionDurationSeconds: 3600 });

  it("assumes the role once for concurrent callers, and renews a quarter of a short session before it ends", async () => {
    let now = 1_000_000;
    const fake = sts(() => Promise.resolve({ Credentials: { AccessKeyId: `k${String(now)}`, SecretAccessKey: "s", SessionToken: "t", Expiration: new Date(now + 20_000) } }));
    const cache = new CredentialCache({ sts: fake.client, now: () => now });
    const [x, y] = await Promise.all([cache.get(a), cache.get(a)]);
    expect(fake.calls()).toBe(1);
    expect(x.accessKeyId).toBe(y.accessKeyId);
    now += 14_000;
    await cache.get(a);
    expect(fake.calls()).toBe(1);
    now += 2000;
    const renewed = await cache.get(a);
    expect(fake.calls()).toBe(2);
    expect(renewed.accessKeyId).not.toBe(x.accessKeyId);
  });

  it("fails every caller for a growing while after AssumeRole fails, without asking STS again", async () => {
    let now = 0;
    const fake = sts(() => Promise.reject(Object.assign(new Error("not authorized to perform sts:AssumeRole"), { name: "AccessDenied" })));
    const cache = new CredentialCache({ sts: fake.client, now: () => now });
    await expect(cache.get(a)).rejects.toMatchObject({ reason: "AssumeRoleFailed", message: expect.stringContaining("AccessDenied") as string });
    for (let i = 0; i < 10; i++) await expect(cache.get(a)).rejects.toMatchObject({ reason: "AssumeRoleFailed" });
    expect(fake.calls()).toBe(1);
    expect(cache.failure(a)?.message).toContain("AccessDenied");
    now += 31_000;
    await expect(cache.get(a)).rejects.toMatchObject({ reason: "AssumeRoleFailed" });
    expect(fake.calls()).toBe(2);
    // The second failure waits twice as long.
    now += 31_000;
    await expect(cache.get(a)).rejects.toMatchObject({ reason: "AssumeRoleFailed" });
    expect(fake.calls()).toBe(2);
    // A changed spec (a fixed role) is tried at once.
    const fixed = account("a", { namespaces: { names: ["team-a"] }, roleArn: "arn:aws:iam::111122220001:role/fixed" }, 2);
    expect(cache.failure(fixed)).toBeUndefined();
  });
});
