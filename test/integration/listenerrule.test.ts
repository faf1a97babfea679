import {
  CreateListenerCommand,
  CreateLoadBalancerCommand,
  CreateRuleCommand,
  CreateTargetGroupCommand,
  DescribeRulesCommand,
  DescribeTargetGroupsCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { ListenerRule } from "../../src/api/listenerrule.js";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { describeElbv2Tags } from "../../src/aws/elbv2.js";
import { isAwsError } from "../../src/aws/errors.js";
import { UID_TAG } from "../../src/aws/tags.js";
import { writeCalls } from "../env/aws-proxy-control.js";
import { defaultVpc, vpcSubnets } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, eventsFor, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";
import { repoRoot } from "../env/paths.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("listenerrule", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { elbv2 } = env.aws;

let vpcId: string;
let loadBalancerArn: string;
let listenerArn: string;
/** A target group made outside the operator, named by ARN (targetGroupArn). */
let legacyArn: string;

async function rules(): Promise<Rule[]> {
  return ((await elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn }))).Rules ?? []).filter((r) => r.IsDefault !== true);
}

async function ruleAt(priority: number): Promise<Rule | undefined> {
  return (await rules()).find((r) => r.Priority === String(priority));
}

async function ruleByArn(arn: string): Promise<Rule | undefined> {
  try {
    return (await elbv2.send(new DescribeRulesCommand({ RuleArns: [arn] }))).Rules?.[0];
  } catch (err) {
    if (isAwsError(err, "RuleNotFoundException")) return undefined;
    throw err;
  }
}

async function targetGroupExists(arn: string): Promise<boolean> {
  try {
    await elbv2.send(new DescribeTargetGroupsCommand({ TargetGroupArns: [arn] }));
    return true;
  } catch (err) {
    if (isAwsError(err, "TargetGroupNotFoundException")) return false;
    throw err;
  }
}

async function tagsOf(arn: string): Promise<Record<string, string>> {
  return (await describeElbv2Tags(elbv2, [arn])).get(arn) ?? {};
}

const paths = (rule: Rule | undefined) => rule?.Conditions?.find((c) => c.Field === "path-pattern")?.PathPatternConfig?.Values;
const forwards = (rule: Rule | undefined) => rule?.Actions?.[0]?.ForwardConfig?.TargetGroups?.map((t) => ({ arn: t.TargetGroupArn, weight: t.Weight })).sort((a, b) => (a.arn ?? "").localeCompare(b.arn ?? ""));

/** A rule made outside the operator, as an existing one would be. */
async function createRuleOutside(priority: number, tags: Record<string, string>): Promise<string> {
  const out = await elbv2.send(
    new CreateRuleCommand({
      ListenerArn: listenerArn,
      Priority: priority,
      Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: [`/outside-${priority}/*`] } }],
      Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: legacyArn, Weight: 1 }] } }],
      Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }),
  );
  return out.Rules?.[0]?.RuleArn ?? "";
}

function ruleManifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "ListenerRule", metadata: { name, namespace: env.namespace }, spec: { listenerArn, ...spec } });
}

function targetGroupManifest(name: string): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "TargetGroup", metadata: { name, namespace: env.namespace }, spec: { protocol: "HTTP", port: 80, vpcId, targetType: "ip" } });
}

const pathRule = (path: string, targetGroups: Record<string, unknown>[]) => ({
  conditions: [{ field: "path-pattern", pathPatternConfig: { values: [path] } }],
  actions: [{ type: "forward", forwardConfig: { targetGroups } }],
});

const ready = (name: string) => waitForCondition<ListenerRule>(stack, "listenerrules", env.namespace, name, { type: "Ready", status: "True" });
const conflicted = (name: string) => waitForCondition<ListenerRule>(stack, "listenerrules", env.namespace, name, { type: "Ready", status: "False", reason: "ConflictExistingResource" });

describe("ListenerRule against kube-apiserver and moto", () => {
  beforeAll(async () => {
    vpcId = await defaultVpc(stack, accountId);
    const subnets = await vpcSubnets(stack, accountId, vpcId);
    const lb = await elbv2.send(new CreateLoadBalancerCommand({ Name: "front", Type: "application", Subnets: subnets.slice(0, 2) }));
    loadBalancerArn = lb.LoadBalancers?.[0]?.LoadBalancerArn ?? "";
    const listener = await elbv2.send(
      new CreateListenerCommand({ LoadBalancerArn: loadBalancerArn, Protocol: "HTTP", Port: 80, DefaultActions: [{ Type: "fixed-response", FixedResponseConfig: { StatusCode: "404" } }] }),
    );
    listenerArn = listener.Listeners?.[0]?.ListenerArn ?? "";
    const legacy = await elbv2.send(new CreateTargetGroupCommand({ Name: "legacy", Protocol: "HTTP", Port: 80, VpcId: vpcId, TargetType: "ip" }));
    legacyArn = legacy.TargetGroups?.[0]?.TargetGroupArn ?? "";
  });

  it("waits for its TargetGroup, then creates the rule with owner tags, reports Ready and shows in kubectl get ecs", async () => {
    apply(stack, ruleManifest("web", { priority: 10, ...pathRule("/web/*", [{ targetGroupRef: { name: "web" } }]), tags: { team: "web" } }));
    const waiting = await waitForCondition<ListenerRule>(stack, "listenerrules", env.namespace, "web", { type: "Ready", status: "False", reason: "WaitingForDependency" });
    expect(waiting.status?.conditions?.find((c) => c.type === "Ready")?.message).toBe(`waiting for TargetGroup ${env.namespace}/web (spec.actions[].forwardConfig.targetGroups[].targetGroupRef) not found`);
    expect(await rules()).toEqual([]);

    apply(stack, targetGroupManifest("web"));
    const obj = await ready("web");
    const tg = await getObject<TargetGroup>(stack, "targetgroups", env.namespace, "web");
    const rule = await ruleAt(10);
    expect(obj.status).toMatchObject({ arn: rule?.RuleArn, priority: 10, listenerArn });
    expect(paths(rule)).toEqual(["/web/*"]);
    expect(forwards(rule)).toEqual([{ arn: tg?.status?.arn, weight: 1 }]);
    expect(await tagsOf(rule?.RuleArn ?? "")).toEqual({ team: "web", "ecs-operator.dev/owner": `${env.namespace}/web`, [UID_TAG]: obj.metadata.uid, "ecs-operator.dev/kind": "ListenerRule" });

    // The target group reports the load balancer that now uses it, at its next re-check.
    await waitFor("the load balancer in the TargetGroup's status", async () => (await getObject<TargetGroup>(stack, "targetgroups", env.namespace, "web"))?.status?.loadBalancerArns?.includes(loadBalancerArn));
    expect(kubectl(stack, ["get", "lrule", "-n", env.namespace])).toMatch(/NAME\s+READY\s+REASON\s+PRIORITY\s+AGE\n(listenerrule.ecs.operator.dev\/)?web\s+True\s+Available\s+10\s/);
    expect(kubectl(stack, ["get", "ecs", "-n", env.namespace, "-o", "name"]).split("\n")).toEqual(expect.arrayContaining(["listenerrule.ecs.operator.dev/web", "targetgroup.ecs.operator.dev/web"]));
  });

  it("updates priority, conditions and weighted target groups in place", async () => {
    const before = await ready("web");
    apply(
      stack,
      ruleManifest("web", {
        priority: 11,
        conditions: [
          { field: "path-pattern", pathPatternConfig: { values: ["/web/*"] } },
          { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Canary", values: ["1"] } },
        ],
        actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" }, weight: 3 }, { targetGroupArn: legacyArn, weight: 1 }] } }],
        tags: { team: "web" },
      }),
    );
    const after = await waitForCondition<ListenerRule>(stack, "listenerrules", env.namespace, "web", { type: "Ready", status: "True" });
    await waitFor("the rule at priority 11 in AWS", async () => (await ruleByArn(before.status?.arn ?? ""))?.Priority === "11");
    const rule = await ruleByArn(before.status?.arn ?? "");
    expect(after.metadata.generation).toBe(2);
    expect(after.status).toMatchObject({ arn: before.status?.arn, priority: 11 });
    expect(rule?.Conditions?.map((c) => c.Field).sort()).toEqual(["http-header", "path-pattern"]);
    const tg = await getObject<TargetGroup>(stack, "targetgroups", env.namespace, "web");
    expect(forwards(rule)).toEqual([{ arn: tg?.status?.arn, weight: 3 }, { arn: legacyArn, weight: 1 }].sort((a, b) => (a.arn ?? "").localeCompare(b.arn ?? "")));
    expect(await rules()).toHaveLength(1);
  });

  it("corrects drift made in AWS on the next re-check, with an Event", async () => {
    const obj = await ready("web");
    const arn = obj.status?.arn ?? "";
    await elbv2.send(
      new ModifyRuleCommand({
        RuleArn: arn,
        Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/hijacked/*"] } }],
        Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: legacyArn, Weight: 1 }] } }],
      }),
    );
    await elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: arn, Priority: 12 }] }));
    await waitFor(
      "drift corrected in AWS",
      async () => {
        const rule = await ruleByArn(arn);
        return rule?.Priority === "11" && paths(rule)?.[0] === "/web/*" && forwards(rule)?.length === 2;
      },
      RESYNC_SECONDS * 1000 * 5,
    );
    // A re-check may fall between the two changes above and correct them in two rounds.
    const corrections = await waitFor("DriftCorrected events naming all changes", async () => {
      const messages = (await eventsFor(stack, env.namespace, "web")).filter((e) => e.reason === "DriftCorrected").map((e) => e.message).join("\n");
      return /priority \(12 → 11\)/.test(messages) && /conditions/.test(messages) && /actions/.test(messages) ? messages : undefined;
    });
    expect(corrections).toMatch(/^corrected drift in AWS: /);
  });

  it("finds its rule by its uid tag when the status lost the ARN (a crash between create and status write), without a duplicate", async () => {
    const before = await ready("web");
    await proxy.reset(accountId);
    kubectl(stack, ["patch", "listenerrule", "web", "-n", env.namespace, "--subresource=status", "--type=json", "-p", '[{"op":"remove","path":"/status/arn"}]']);
    const restored = await waitFor("the ARN back in status", async () => {
      const current = await getObject<ListenerRule>(stack, "listenerrules", env.namespace, "web");
      return current?.status?.arn !== undefined ? current : undefined;
    }, RESYNC_SECONDS * 1000 * 5);
    expect(restored.status?.arn).toBe(before.status?.arn);
    expect(await rules()).toHaveLength(1);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
  });

  it("deletes the rule with deletionPolicy Delete, before its target group, and keeps it with Retain", async () => {
    apply(stack, targetGroupManifest("gone"));
    apply(stack, ruleManifest("gone", { priority: 20, ...pathRule("/gone/*", [{ targetGroupRef: { name: "gone" } }]) }));
    apply(stack, ruleManifest("kept", { priority: 21, deletionPolicy: "Retain", ...pathRule("/kept/*", [{ targetGroupArn: legacyArn }]) }));
    const gone = await ready("gone");
    const kept = await ready("kept");
    const goneGroup = await getObject<TargetGroup>(stack, "targetgroups", env.namespace, "gone");
    // Deleted together: the target group's deletion waits for the rule that uses it, and the
    // rule's deletion does not wait for the (no longer Ready) target group.
    kubectl(stack, ["delete", "targetgroup/gone", "listenerrule/gone", "listenerrule/kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await getObject(stack, "listenerrules", env.namespace, "gone")).toBeUndefined();
    expect(await getObject(stack, "listenerrules", env.namespace, "kept")).toBeUndefined();
    expect(await getObject(stack, "targetgroups", env.namespace, "gone")).toBeUndefined();
    expect(await ruleByArn(gone.status?.arn ?? "")).toBeUndefined();
    expect((await ruleAt(21))?.RuleArn).toBe(kept.status?.arn);
    expect(await targetGroupExists(goneGroup?.status?.arn ?? "")).toBe(false);
  });

  it("reports an untagged rule at its priority as a conflict and leaves it alone unless adopt is set", async () => {
    const arn = await createRuleOutside(30, { owner: "ops" });
    await proxy.reset(accountId);
    apply(stack, ruleManifest("legacy", { priority: 30, ...pathRule("/legacy/*", [{ targetGroupArn: legacyArn }]) }));
    const obj = await conflicted("legacy");
    expect(obj.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/adopt/);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(await tagsOf(arn)).toEqual({ owner: "ops" });

    apply(stack, ruleManifest("legacy", { priority: 30, adopt: true, ...pathRule("/legacy/*", [{ targetGroupArn: legacyArn }]) }));
    const adopted = await waitFor("the adopted rule Ready with its ARN", async () => {
      const current = await getObject<ListenerRule>(stack, "listenerrules", env.namespace, "legacy");
      return current?.status?.arn === arn && current.status.conditions?.find((c) => c.type === "Ready")?.status === "True" ? current : undefined;
    });
    // Once adopted, the spec's tags are the rule's whole tag set.
    expect(await tagsOf(arn)).toEqual({ "ecs-operator.dev/owner": `${env.namespace}/legacy`, [UID_TAG]: adopted.metadata.uid, "ecs-operator.dev/kind": "ListenerRule" });
    expect(paths(await ruleByArn(arn))).toEqual(["/legacy/*"]);
    expect((await rules()).filter((r) => r.Priority === "30")).toHaveLength(1);
    expect((await eventsFor(stack, env.namespace, "legacy")).map((e) => e.reason)).toContain("Adopted");
  });

  it("never touches a rule owned by another object, even with adopt", async () => {
    const arn = await createRuleOutside(40, { [UID_TAG]: "someone-else" });
    await proxy.reset(accountId);
    apply(stack, ruleManifest("theirs", { priority: 40, adopt: true, ...pathRule("/mine/*", [{ targetGroupArn: legacyArn }]) }));
    await conflicted("theirs");
    kubectl(stack, ["delete", "listenerrule", "theirs", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(paths(await ruleByArn(arn))).toEqual(["/outside-40/*"]);
    expect(await tagsOf(arn)).toEqual({ [UID_TAG]: "someone-else" });
  });

  it("fills status and makes no write with managementPolicy Observe", async () => {
    const arn = await createRuleOutside(50, {});
    await proxy.reset(accountId);
    apply(stack, ruleManifest("observed", { priority: 50, managementPolicy: "Observe", ...pathRule("/differs/*", [{ targetGroupArn: legacyArn }]) }));
    const obj = await ready("observed");
    expect(obj.status).toMatchObject({ arn, priority: 50, listenerArn });
    expect(obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/differs from spec.*conditions/);
    kubectl(stack, ["delete", "listenerrule", "observed", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(paths(await ruleByArn(arn))).toEqual(["/outside-50/*"]);
  });

  it("refuses at apply time what the schema knows to be wrong, and accepts the example manifest", () => {
    const forwardTo = (targetGroup: Record<string, unknown>) => ruleManifest("bad", { priority: 60, ...pathRule("/bad/*", [targetGroup]) });
    expect(kubectlFails(stack, ["apply", "-f", "-"], forwardTo({ targetGroupRef: { name: "web" }, targetGroupArn: legacyArn }))).toMatch(/set exactly one of targetGroupRef and targetGroupArn/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], forwardTo({ weight: 1 }))).toMatch(/set exactly one of targetGroupRef and targetGroupArn/);
    const mismatched = ruleManifest("bad", { priority: 60, conditions: [{ field: "host-header", pathPatternConfig: { values: ["/x"] } }], actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupArn: legacyArn }] } }] });
    expect(kubectlFails(stack, ["apply", "-f", "-"], mismatched)).toMatch(/a condition sets exactly the config of its field/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], ruleManifest("web", { listenerArn: `${listenerArn}0`, priority: 11, ...pathRule("/web/*", [{ targetGroupRef: { name: "web" } }]) }))).toMatch(
      /listenerArn is immutable/,
    );
    expect(kubectl(stack, ["apply", "--dry-run=server", "-n", env.namespace, "-f", join(repoRoot, "examples/listenerrule-sample-fargate-app-path.yaml")])).toMatch(/created \(server dry run\)/);
  });
});
