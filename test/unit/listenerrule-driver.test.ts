import { ElasticLoadBalancingV2Client, ListenerNotFoundException, PriorityInUseException, RuleNotFoundException, type Rule } from "@aws-sdk/client-elastic-load-balancing-v2";
import { describe, expect, it } from "vitest";
import type { ListenerRule } from "../../src/api/listenerrule.js";
import { UID_TAG } from "../../src/aws/tags.js";
import { listenerRuleDriver } from "../../src/controllers/listenerrule/driver.js";
import { ReconcileError } from "../../src/runtime/errors.js";
import type { Lookup } from "../../src/runtime/references.js";

/** No EcsService names any rule: the rule owns its forward action. */
const NO_SERVICES: Lookup = { get: () => undefined, list: () => [] };

const LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/front/50dc6c495c0c9188/f2f7dc8efc522ab2";
const TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/legacy/0a1b2c3d4e5f6a7b";
const ruleArn = (id: string) => `${LISTENER.replace(":listener/", ":listener-rule/")}/${id}`;

type Handler = (input: Record<string, unknown>) => unknown;

/** An ELBv2 client whose answers come from `handlers` by operation, in the shapes AWS gives; every call is recorded. */
function fakeElbv2(handlers: Record<string, Handler>) {
  const client = new ElasticLoadBalancingV2Client({ region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" } });
  const calls: { operation: string; input: Record<string, unknown> }[] = [];
  client.middlewareStack.add(
    (_next, context) => (args) => {
      const operation = (context.commandName ?? "").replace(/Command$/, "");
      const input = args.input as Record<string, unknown>;
      calls.push({ operation, input });
      const handler = handlers[operation];
      if (!handler) return Promise.reject(new Error(`unexpected ${operation}`));
      try {
        return Promise.resolve({ output: { $metadata: {}, ...(handler(input) as object) }, response: {} });
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
    },
    { step: "initialize", name: "fakeElbv2" },
  );
  return { client, calls };
}

function rule(status: ListenerRule["status"] = {}): ListenerRule {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "ListenerRule",
    metadata: { name: "web", namespace: "shop", uid: "u-1", generation: 1 },
    spec: {
      listenerArn: LISTENER,
      priority: 10,
      conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/shop/*"] } }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupArn: TG }] } }],
    },
    status,
  };
}

const awsRule = (id: string, priority: string): Rule => ({
  RuleArn: ruleArn(id),
  Priority: priority,
  IsDefault: false,
  Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/shop/*"] } }],
  Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: TG, Weight: 1 }] } }],
});

describe("ListenerRule driver against an AWS-shaped fake ELBv2", () => {
  it("reports a priority taken between look-up and CreateRule as a conflict, retried, not as an invalid spec", async () => {
    const { client } = fakeElbv2({
      CreateRule: () => {
        throw new PriorityInUseException({ message: "Priority '10' is currently in use", $metadata: { httpStatusCode: 400 } });
      },
    });
    const err = await listenerRuleDriver(client, NO_SERVICES).create(rule(), { targetGroupArns: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReconcileError);
    expect(err).toMatchObject({ errorClass: "retryable", reason: "ConflictExistingResource" });
    expect((err as Error).message).toMatch(/priority 10 on the listener is held by another rule/);
  });

  it("searches the listener when the rule in status is gone, and finds its rule by uid tag in batches of 20 ARNs", async () => {
    const others = Array.from({ length: 24 }, (_, i) => awsRule(`other-${i}`, String(100 + i)));
    const ours = awsRule("ours", "10");
    const { client, calls } = fakeElbv2({
      DescribeRules: (input) => {
        if (input.RuleArns) throw new RuleNotFoundException({ message: "One or more rules not found", $metadata: { httpStatusCode: 400 } });
        return { Rules: [...others, ours, { RuleArn: ruleArn("default"), Priority: "default", IsDefault: true }] };
      },
      DescribeTags: (input) => ({
        TagDescriptions: (input.ResourceArns as string[]).map((arn) => ({ ResourceArn: arn, Tags: arn === ours.RuleArn ? [{ Key: UID_TAG, Value: "u-1" }] : [] })),
      }),
    });
    const observation = await listenerRuleDriver(client, NO_SERVICES).observe(rule({ arn: ruleArn("deleted") }), { targetGroupArns: {} });
    expect(observation).toMatchObject({ exists: true, ownership: "ours", observed: { rule: { RuleArn: ours.RuleArn } } });
    const tagBatches = calls.filter((c) => c.operation === "DescribeTags").map((c) => (c.input.ResourceArns as string[]).length);
    expect(tagBatches).toEqual([20, 5]);
  });

  it("treats a missing listener as a missing rule, so that deletion is not stuck", async () => {
    const { client } = fakeElbv2({
      DescribeRules: () => {
        throw new ListenerNotFoundException({ message: "The specified listener does not exist.", $metadata: { httpStatusCode: 400 } });
      },
    });
    expect(await listenerRuleDriver(client, NO_SERVICES).observe(rule(), null)).toEqual({ exists: false });
  });

  it("takes a rule already gone as deleted", async () => {
    const { client } = fakeElbv2({
      DeleteRule: () => {
        throw new RuleNotFoundException({ message: "One or more rules not found", $metadata: { httpStatusCode: 400 } });
      },
    });
    expect(await listenerRuleDriver(client, NO_SERVICES).delete(rule(), null, { rule: awsRule("ours", "10"), tags: {} })).toBe(true);
  });
});
