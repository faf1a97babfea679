import {
  AddTagsCommand,
  CreateTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  RegisterTargetsCommand,
  type TargetGroup as AwsTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { beforeAll, describe, expect, it } from "vitest";
import type { TargetGroup } from "../../src/api/targetgroup.js";
import { describeElbv2Tags } from "../../src/aws/elbv2.js";
import { isAwsError } from "../../src/aws/errors.js";
import { UID_TAG } from "../../src/aws/tags.js";
import { callsTo, writeCalls } from "../env/aws-proxy-control.js";
import { defaultVpc } from "../env/aws.js";
import { useTestEnvironment } from "../env/fixture.js";
import { apply, eventsFor, getObject, kubectl, kubectlFails, waitFor, waitForCondition } from "../env/kube.js";
import { repoRoot } from "../env/paths.js";

const RESYNC_SECONDS = 2;
const env = useTestEnvironment("targetgroup", { resyncSeconds: RESYNC_SECONDS });
const { stack, proxy, accountId } = env;
const { elbv2 } = env.aws;

let vpcId: string;

async function describeTargetGroup(name: string): Promise<AwsTargetGroup | undefined> {
  try {
    return (await elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] }))).TargetGroups?.[0];
  } catch (err) {
    if (isAwsError(err, "TargetGroupNotFoundException")) return undefined;
    throw err;
  }
}

async function tagsOf(arn: string): Promise<Record<string, string>> {
  return (await describeElbv2Tags(elbv2, [arn])).get(arn) ?? {};
}

async function attributesOf(arn: string): Promise<Record<string, string>> {
  const out = await elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn }));
  return Object.fromEntries((out.Attributes ?? []).map((a) => [a.Key ?? "", a.Value ?? ""]));
}

async function registeredTargets(arn: string): Promise<string[]> {
  const out = await elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn }));
  return (out.TargetHealthDescriptions ?? []).map((d) => d.Target?.Id ?? "").sort();
}

/** A group made outside the operator, as an existing one would be. */
async function createOutside(name: string, tags: Record<string, string>): Promise<string> {
  const out = await elbv2.send(
    new CreateTargetGroupCommand({ Name: name, Protocol: "HTTP", Port: 80, VpcId: vpcId, TargetType: "ip", Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }),
  );
  return out.TargetGroups?.[0]?.TargetGroupArn ?? "";
}

function manifest(name: string, spec: Record<string, unknown>): string {
  return JSON.stringify({ apiVersion: "ecs.operator.dev/v1alpha1", kind: "TargetGroup", metadata: { name, namespace: env.namespace }, spec: { protocol: "HTTP", port: 80, vpcId, targetType: "ip", ...spec } });
}

const ready = (name: string) => waitForCondition<TargetGroup>(stack, "targetgroups", env.namespace, name, { type: "Ready", status: "True" });
const conflicted = (name: string) => waitForCondition<TargetGroup>(stack, "targetgroups", env.namespace, name, { type: "Ready", status: "False", reason: "ConflictExistingResource" });

describe("TargetGroup against kube-apiserver and moto", () => {
  beforeAll(async () => {
    vpcId = await defaultVpc(stack, accountId);
  });

  it("creates the group with its settings, attributes and owner tags, reports Ready and shows in kubectl get ecs", async () => {
    apply(stack, manifest("web", { healthCheckPath: "/health", matcher: { httpCode: "200-299" }, attributes: { "deregistration_delay.timeout_seconds": "30" }, tags: { team: "web" } }));
    const obj = await ready("web");
    const name = obj.status?.targetGroupName ?? "";
    expect(name.length).toBeLessThanOrEqual(32);
    expect(name.startsWith(`${env.namespace}-web`)).toBe(true);
    expect(obj.status?.arn).toMatch(/^arn:aws:elasticloadbalancing:us-east-1:\d{12}:targetgroup\//);
    expect(obj.status?.targetHealth).toEqual({ healthy: 0, unhealthy: 0, draining: 0, other: 0 });

    const tg = await describeTargetGroup(name);
    expect(tg).toMatchObject({ Protocol: "HTTP", Port: 80, VpcId: vpcId, TargetType: "ip", HealthCheckPath: "/health", Matcher: { HttpCode: "200-299" } });
    expect(await tagsOf(tg?.TargetGroupArn ?? "")).toEqual({ team: "web", "ecs-operator.dev/owner": `${env.namespace}/web`, [UID_TAG]: obj.metadata.uid, "ecs-operator.dev/kind": "TargetGroup" });
    expect((await attributesOf(tg?.TargetGroupArn ?? ""))["deregistration_delay.timeout_seconds"]).toBe("30");

    const table = kubectl(stack, ["get", "ecs", "-n", env.namespace]);
    expect(table).toMatch(/NAME\s+READY\s+REASON\s+TARGETGROUP\s+HEALTHY\s+UNHEALTHY\s+DRAINING\s+AGE/);
    expect(table).toMatch(new RegExp(`(targetgroup.ecs.operator.dev/)?web\\s+True\\s+Available\\s+${name}\\s+0\\s+0\\s+0`));
    expect(kubectl(stack, ["get", "tg", "web", "-n", env.namespace, "-o", "name"]).trim()).toBe("targetgroup.ecs.operator.dev/web");
  });

  it("updates health check settings and attributes in place, and refuses changes ELBv2 cannot make", async () => {
    const before = await ready("web");
    apply(stack, manifest("web", { healthCheckPath: "/ready", matcher: { httpCode: "200-299" }, attributes: { "deregistration_delay.timeout_seconds": "60", "slow_start.duration_seconds": "30" }, tags: { team: "web" } }));
    const name = before.status?.targetGroupName ?? "";
    await waitFor("the new health check path in AWS", async () => (await describeTargetGroup(name))?.HealthCheckPath === "/ready");
    const after = await ready("web");
    expect(after.metadata.generation).toBe(2);
    expect(after.status?.arn).toBe(before.status?.arn);
    expect(await attributesOf(after.status?.arn ?? "")).toMatchObject({ "deregistration_delay.timeout_seconds": "60", "slow_start.duration_seconds": "30" });

    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("web", { port: 8080 }))).toMatch(/port is immutable/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("web", { targetType: "instance" }))).toMatch(/targetType is immutable/);
    expect(kubectlFails(stack, ["apply", "-f", "-"], manifest("web", { name: "renamed" }))).toMatch(/name is immutable/);
  });

  it("corrects drift made in AWS on the next re-check, with an Event", async () => {
    const obj = await ready("web");
    const arn = obj.status?.arn ?? "";
    await elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, HealthCheckPath: "/hijacked" }));
    await elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: [{ Key: "deregistration_delay.timeout_seconds", Value: "5" }] }));
    await elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: [{ Key: "team", Value: "hijacked" }] }));
    await waitFor(
      "drift corrected in AWS",
      async () => {
        const tg = await describeTargetGroup(obj.status?.targetGroupName ?? "");
        return tg?.HealthCheckPath === "/ready" && (await attributesOf(arn))["deregistration_delay.timeout_seconds"] === "60" && (await tagsOf(arn)).team === "web";
      },
      RESYNC_SECONDS * 1000 * 5,
    );
    // A re-check may fall between the three changes above and correct them in two rounds.
    const corrections = await waitFor("DriftCorrected events naming all three", async () => {
      const messages = (await eventsFor(stack, env.namespace, "web")).filter((e) => e.reason === "DriftCorrected").map((e) => e.message).join("\n");
      return /HealthCheckPath/.test(messages) && /deregistration_delay/.test(messages) && /tags \(team\)/.test(messages) ? messages : undefined;
    });
    expect(corrections).toMatch(/^corrected drift in AWS: /);
  });

  it("deletes the AWS group with deletionPolicy Delete and keeps it with Retain", async () => {
    apply(stack, manifest("gone", {}));
    apply(stack, manifest("kept", { deletionPolicy: "Retain" }));
    const gone = await ready("gone");
    const kept = await ready("kept");
    kubectl(stack, ["delete", "targetgroup", "gone", "kept", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(await getObject(stack, "targetgroups", env.namespace, "gone")).toBeUndefined();
    expect(await getObject(stack, "targetgroups", env.namespace, "kept")).toBeUndefined();
    expect(await describeTargetGroup(gone.status?.targetGroupName ?? "")).toBeUndefined();
    expect((await describeTargetGroup(kept.status?.targetGroupName ?? ""))?.TargetGroupArn).toBe(kept.status?.arn);
  });

  it("reports an untagged group of the same name as a conflict and leaves it alone unless adopt is set", async () => {
    const arn = await createOutside("legacy-web", { owner: "ops" });
    await proxy.reset(accountId);
    apply(stack, manifest("legacy", { name: "legacy-web", healthCheckPath: "/health" }));
    const obj = await conflicted("legacy");
    expect(obj.status?.conditions?.find((c) => c.type === "Ready")?.message).toMatch(/adopt/);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect(await tagsOf(arn)).toEqual({ owner: "ops" });

    apply(stack, manifest("legacy", { name: "legacy-web", healthCheckPath: "/health", adopt: true }));
    const adopted = await ready("legacy");
    expect(adopted.status?.arn).toBe(arn);
    expect(await tagsOf(arn)).toMatchObject({ [UID_TAG]: adopted.metadata.uid });
    expect((await describeTargetGroup("legacy-web"))?.HealthCheckPath).toBe("/health");
    expect((await eventsFor(stack, env.namespace, "legacy")).map((e) => e.reason)).toContain("Adopted");
  });

  it("never touches a group owned by another object, even with adopt", async () => {
    const arn = await createOutside("theirs-web", { [UID_TAG]: "someone-else" });
    await proxy.reset(accountId);
    apply(stack, manifest("theirs", { name: "theirs-web", adopt: true, healthCheckPath: "/mine" }));
    await conflicted("theirs");
    kubectl(stack, ["delete", "targetgroup", "theirs", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await describeTargetGroup("theirs-web"))?.HealthCheckPath).toBe("/");
    expect(await tagsOf(arn)).toEqual({ [UID_TAG]: "someone-else" });
  });

  it("fills status, target health included, and makes no write with managementPolicy Observe", async () => {
    const arn = await createOutside("observed-web", {});
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: "10.0.1.10", Port: 8080 }] }));
    await proxy.reset(accountId);
    apply(stack, manifest("observed", { name: "observed-web", managementPolicy: "Observe", healthCheckPath: "/differs", attributes: { "deregistration_delay.timeout_seconds": "1" } }));
    const obj = await ready("observed");
    expect(obj.status).toMatchObject({ arn, targetGroupName: "observed-web", targetHealth: { healthy: 1, unhealthy: 0, draining: 0, other: 0 } });
    expect(obj.status?.conditions?.find((c) => c.type === "Synced")?.message).toMatch(/differs from spec.*health check \(HealthCheckPath\); attributes/);
    kubectl(stack, ["delete", "targetgroup", "observed", "-n", env.namespace, "--wait=true", "--timeout=30s"]);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
    expect((await describeTargetGroup("observed-web"))?.HealthCheckPath).toBe("/");
    expect(await registeredTargets(arn)).toEqual(["10.0.1.10"]);
  });

  it("keeps targets registered by someone else (as ECS does) through every reconcile: updates, drift corrections and re-checks", async () => {
    const obj = await ready("web");
    const arn = obj.status?.arn ?? "";
    await proxy.reset(accountId);
    await elbv2.send(new RegisterTargetsCommand({ TargetGroupArn: arn, Targets: [{ Id: "10.0.2.10", Port: 8080 }, { Id: "10.0.2.11", Port: 8080 }] }));
    // moto reports every registered target healthy at once: it runs no health checks.
    await waitFor("two healthy targets in status", async () => (await getObject<TargetGroup>(stack, "targetgroups", env.namespace, "web"))?.status?.targetHealth?.healthy === 2, RESYNC_SECONDS * 1000 * 5);
    expect(kubectl(stack, ["get", "tg", "web", "-n", env.namespace])).toMatch(/web\s+True\s+Available\s+\S+\s+2\s+0\s+0/);

    apply(stack, manifest("web", { healthCheckPath: "/live", matcher: { httpCode: "200-299" }, attributes: { "deregistration_delay.timeout_seconds": "60", "slow_start.duration_seconds": "30" }, tags: { team: "web" } }));
    await waitFor("the update in AWS", async () => (await describeTargetGroup(obj.status?.targetGroupName ?? ""))?.HealthCheckPath === "/live");
    await elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, HealthCheckPath: "/hijacked" }));
    await waitFor("the drift corrected", async () => (await describeTargetGroup(obj.status?.targetGroupName ?? ""))?.HealthCheckPath === "/live", RESYNC_SECONDS * 1000 * 5);
    await ready("web");

    // Several quiet re-checks: reads only.
    const quietFrom = await proxy.counts(accountId);
    await sleep(RESYNC_SECONDS * 1000 * 3);
    const counts = await proxy.counts(accountId);
    expect(callsTo(counts, "elasticloadbalancing:DescribeTargetHealth") - callsTo(quietFrom, "elasticloadbalancing:DescribeTargetHealth")).toBeGreaterThan(2);
    expect(writeCalls(counts) - writeCalls(quietFrom)).toBe(0);

    expect(await registeredTargets(arn)).toEqual(["10.0.2.10", "10.0.2.11"]);
    expect(callsTo(counts, "elasticloadbalancing:DeregisterTargets")).toBe(0);
    // The operator's own count since it started, which no proxy reset clears.
    expect(await env.operator.metric("ecs_operator_aws_calls_total", { operation: "DeregisterTargets" })).toBe(0);
    expect(await env.operator.metric("ecs_operator_aws_calls_total", { operation: "RegisterTargets" })).toBe(0);
  });

  it("after a crash that lost the status, finds its group by name and creates no second one", async () => {
    const before = await ready("web");
    await env.operator.kill();
    kubectl(stack, ["patch", "targetgroup", "web", "-n", env.namespace, "--subresource=status", "--type=json", "-p", '[{"op":"remove","path":"/status"}]']);
    await proxy.reset(accountId);
    await env.startOperator();
    const after = await ready("web");
    expect(after.status?.arn).toBe(before.status?.arn);
    // The look-up by name before create is what prevents a duplicate: moto's CreateTargetGroup
    // fails on an existing name, and AWS's answers with the existing group only when every
    // setting is identical, so neither may be relied on.
    expect(callsTo(await proxy.counts(accountId), "elasticloadbalancing:CreateTargetGroup")).toBe(0);
    expect(writeCalls(await proxy.counts(accountId))).toBe(0);
  });

  it("accepts the example manifest", () => {
    expect(kubectl(stack, ["apply", "--dry-run=server", "-n", env.namespace, "-f", join(repoRoot, "examples/targetgroup-sample-fargate-app.yaml")])).toMatch(/created \(server dry run\)/);
  });
});
