import type { Rule } from "@aws-sdk/client-elastic-load-balancing-v2";
import { referencedObjects } from "../../src/runtime/references.js";
import { describe, expect, it } from "vitest";
import type { ListenerRule } from "../../src/api/listenerrule.js";
import { fromUpperTagList, UID_TAG } from "../../src/aws/tags.js";
import {
  createRuleInput,
  describeDiff,
  diffRule,
  forwardWeights,
  listenerArnOf,
  pickRule,
  ruleReferences,
  ruleStatus,
  ruleTags,
  type ObservedRule,
  type RuleDeps,
} from "../../src/controllers/listenerrule/mapping.js";

const LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/front/50dc6c495c0c9188/f2f7dc8efc522ab2";
const RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/front/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
const WEB_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-web/73e2d6bc24d8a067";
const LEGACY_TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/legacy/0a1b2c3d4e5f6a7b";
const deps: RuleDeps = { targetGroupArns: { web: WEB_TG } };

function rule(spec: Partial<ListenerRule["spec"]> = {}): ListenerRule {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "ListenerRule",
    metadata: { name: "web", namespace: "shop", uid: "u-1", generation: 1 },
    spec: {
      listenerArn: LISTENER,
      priority: 10,
      conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/shop/*", "/cart/*"] } }],
      actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" } }] } }],
      ...spec,
    },
  };
}

/**
 * What DescribeRules reports for the rule createRuleInput asked for, as AWS writes it: the legacy
 * `Values` beside each host/path config, a single target group also as `TargetGroupArn`, weights
 * and stickiness filled in, an `Order`, and its own order of conditions and values.
 */
function asAwsReports(obj: ListenerRule): ObservedRule {
  const input = createRuleInput(obj, deps);
  const actions = (input.Actions ?? []).map((a, i) => {
    const groups = a.ForwardConfig?.TargetGroups ?? [];
    return {
      Type: a.Type,
      Order: i + 1,
      ...(groups.length === 1 ? { TargetGroupArn: groups[0]?.TargetGroupArn } : {}),
      ForwardConfig: { TargetGroups: [...groups].reverse().map((g) => ({ ...g, Weight: g.Weight ?? 1 })), TargetGroupStickinessConfig: a.ForwardConfig?.TargetGroupStickinessConfig ?? { Enabled: false } },
    };
  });
  const conditions = (input.Conditions ?? []).map((c) => {
    const values = c.PathPatternConfig?.Values ?? c.HostHeaderConfig?.Values;
    return {
      ...c,
      ...(values ? { Values: [...values] } : {}),
      ...(c.PathPatternConfig ? { PathPatternConfig: { Values: [...(c.PathPatternConfig.Values ?? [])].reverse() } } : {}),
    };
  });
  return { rule: { RuleArn: RULE, Priority: String(input.Priority), Conditions: [...conditions].reverse(), Actions: actions, IsDefault: false }, tags: fromUpperTagList(input.Tags) };
}

describe("ListenerRule mapping", () => {
  it("asks for the rule in AWS's names, with resolved target group ARNs, weight 1 by default, and ownership tags", () => {
    const input = createRuleInput(rule({ tags: { team: "shop" } }), deps);
    expect(input).toMatchObject({
      ListenerArn: LISTENER,
      Priority: 10,
      Conditions: [{ Field: "path-pattern", PathPatternConfig: { Values: ["/shop/*", "/cart/*"] } }],
      Actions: [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: WEB_TG, Weight: 1 }] } }],
    });
    expect(fromUpperTagList(input.Tags)).toEqual({ team: "shop", "ecs-operator.dev/owner": "shop/web", "ecs-operator.dev/uid": "u-1", "ecs-operator.dev/kind": "ListenerRule" });
  });

  it("maps every condition field to its AWS config", () => {
    const input = createRuleInput(
      rule({
        conditions: [
          { field: "host-header", hostHeaderConfig: { values: ["shop.example.com"] } },
          { field: "http-header", httpHeaderConfig: { httpHeaderName: "X-Canary", values: ["1"] } },
          { field: "query-string", queryStringConfig: { values: [{ key: "v", value: "2" }, { value: "beta" }] } },
          { field: "http-request-method", httpRequestMethodConfig: { values: ["GET", "HEAD"] } },
          { field: "source-ip", sourceIpConfig: { values: ["10.0.0.0/8"] } },
        ],
      }),
      deps,
    );
    expect(input.Conditions).toEqual([
      { Field: "host-header", HostHeaderConfig: { Values: ["shop.example.com"] } },
      { Field: "http-header", HttpHeaderConfig: { HttpHeaderName: "X-Canary", Values: ["1"] } },
      { Field: "query-string", QueryStringConfig: { Values: [{ Key: "v", Value: "2" }, { Value: "beta" }] } },
      { Field: "http-request-method", HttpRequestMethodConfig: { Values: ["GET", "HEAD"] } },
      { Field: "source-ip", SourceIpConfig: { Values: ["10.0.0.0/8"] } },
    ]);
  });

  it.each([
    ["one path and one target group", {}],
    [
      "weighted target groups with stickiness and several conditions",
      {
        conditions: [
          { field: "host-header" as const, hostHeaderConfig: { values: ["shop.example.com", "www.shop.example.com"] } },
          { field: "path-pattern" as const, pathPatternConfig: { values: ["/api/*"] } },
          { field: "http-header" as const, httpHeaderConfig: { httpHeaderName: "X-Canary", values: ["1"] } },
        ],
        actions: [
          {
            type: "forward" as const,
            forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" }, weight: 90 }, { targetGroupArn: LEGACY_TG, weight: 10 }], targetGroupStickinessConfig: { enabled: true, durationSeconds: 300 } },
          },
        ],
      },
    ],
  ])("sees no difference once AWS reports what was created from %s", (_name, spec) => {
    const obj = rule(structuredClone(spec));
    expect(describeDiff(diffRule(obj, deps, asAwsReports(obj)))).toEqual([]);
  });

  it("reads a condition that has only AWS's legacy Values like its config", () => {
    const obj = rule({ conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/shop/*"] } }] });
    const aws = asAwsReports(obj);
    aws.rule.Conditions = [{ Field: "path-pattern", Values: ["/shop/*"] }];
    expect(describeDiff(diffRule(obj, deps, aws))).toEqual([]);
  });

  it("reports a moved priority, changed conditions and actions, and tags as differences", () => {
    const obj = rule({ tags: { team: "shop" } });
    const aws = asAwsReports(obj);
    aws.rule.Priority = "12";
    aws.rule.Conditions = [{ Field: "path-pattern", PathPatternConfig: { Values: ["/other/*"] } }];
    aws.rule.Actions = [{ Type: "forward", ForwardConfig: { TargetGroups: [{ TargetGroupArn: WEB_TG, Weight: 1 }, { TargetGroupArn: LEGACY_TG, Weight: 1 }] } }];
    aws.tags = { ...aws.tags, team: "x" };
    expect(describeDiff(diffRule(obj, deps, aws))).toEqual(["priority (12 → 10)", "conditions", "actions", "tags (team)"]);
  });

  it("sees a changed weight or stickiness as a difference in actions", () => {
    const obj = rule({ actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" }, weight: 3 }] } }] });
    const reweighted = asAwsReports(obj);
    const forward = reweighted.rule.Actions?.[0]?.ForwardConfig;
    if (forward?.TargetGroups?.[0]) forward.TargetGroups[0].Weight = 1;
    expect(diffRule(obj, deps, reweighted).actions).toBe(true);
    const sticky = asAwsReports(obj);
    const stickyForward = sticky.rule.Actions?.[0]?.ForwardConfig;
    if (stickyForward) stickyForward.TargetGroupStickinessConfig = { Enabled: true, DurationSeconds: 60 };
    expect(diffRule(obj, deps, sticky).actions).toBe(true);
  });

  describe("pickRule, when the status holds no ARN", () => {
    const rules: Rule[] = [
      { RuleArn: "r-default", Priority: "default", IsDefault: true },
      { RuleArn: "r-10", Priority: "10", IsDefault: false },
      { RuleArn: "r-20", Priority: "20", IsDefault: false },
    ];

    it("finds the rule carrying the object's uid tag wherever it is, before any rule at the spec's priority", () => {
      const tags = new Map<string, Record<string, string>>([["r-10", { owner: "ops" }], ["r-20", { [UID_TAG]: "u-1" }]]);
      expect(pickRule(rules, tags, "u-1", 10)?.rule.RuleArn).toBe("r-20");
    });

    it("otherwise takes the rule at the spec's priority, with its tags for the ownership check", () => {
      const tags = new Map([["r-10", { [UID_TAG]: "someone-else" }]]);
      expect(pickRule(rules, tags, "u-1", 10)).toEqual({ rule: rules[1], tags: { [UID_TAG]: "someone-else" } });
    });

    it("finds nothing when no rule is ours and the priority is free, and never the listener's default rule", () => {
      expect(pickRule(rules, new Map(), "u-1", 30)).toBeUndefined();
      expect(pickRule(rules, new Map([["r-default", { [UID_TAG]: "u-1" }]]), "u-1", 30)).toBeUndefined();
    });
  });

  it("declares each referenced TargetGroup once", () => {
    const obj = rule({ actions: [{ type: "forward", forwardConfig: { targetGroups: [{ targetGroupRef: { name: "web" } }, { targetGroupRef: { name: "web" } }, { targetGroupArn: LEGACY_TG }, { targetGroupRef: { name: "api" } }] } }] });
    expect(referencedObjects(obj, ruleReferences)).toEqual([
      { kind: "TargetGroup", namespace: "shop", name: "web" },
      { kind: "TargetGroup", namespace: "shop", name: "api" },
    ]);
  });

  it("maps the observed rule to status, with the listener named by the rule's ARN", () => {
    expect(listenerArnOf(RULE)).toBe(LISTENER);
    expect(ruleStatus(asAwsReports(rule()))).toEqual({ arn: RULE, priority: 10, listenerArn: LISTENER, forwardWeights: [{ targetGroupArn: WEB_TG, weight: 1 }] });
    expect(ruleStatus(asAwsReports(rule()), ["EcsService shop/web"])).toMatchObject({ forwardActionManagedBy: "EcsService shop/web" });
    expect(ruleStatus(undefined)).toEqual({});
    expect(ruleTags(rule())).toMatchObject({ [UID_TAG]: "u-1" });
  });
});

describe("ListenerRule used by an EcsService as its production or test rule", () => {
  /** What ECS leaves on a production rule after a release: both target groups, all traffic on the other one. */
  function shiftedByEcs(observed: ObservedRule): ObservedRule {
    const forward = { Type: "forward" as const, Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: WEB_TG, Weight: 0 }, { TargetGroupArn: LEGACY_TG, Weight: 100 }], TargetGroupStickinessConfig: { Enabled: false } } };
    return { ...observed, rule: { ...observed.rule, Actions: [forward] } };
  }

  it("owns conditions, priority and tags, and leaves the forward action's target groups and weights to ECS", () => {
    const observed = shiftedByEcs(asAwsReports(rule()));
    expect(diffRule(rule(), deps, observed).actions).toBe(true);
    const owned = diffRule(rule(), deps, observed, true);
    expect(describeDiff(owned)).toEqual([]);
    const moved = diffRule(rule({ priority: 11, conditions: [{ field: "path-pattern", pathPatternConfig: { values: ["/v2/*"] } }] }), deps, observed, true);
    expect(describeDiff(moved)).toEqual(["priority (10 → 11)", "conditions"]);
    expect(moved.actions).toBe(false);
  });

  it("reports where ECS sends the traffic now", () => {
    expect(forwardWeights(shiftedByEcs(asAwsReports(rule())).rule)).toEqual([
      { targetGroupArn: WEB_TG, weight: 0 },
      { targetGroupArn: LEGACY_TG, weight: 100 },
    ]);
  });
});
