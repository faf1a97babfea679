import type { Action, CreateRuleCommandInput, Rule, RuleCondition } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ListenerRule, ListenerRuleCondition, ListenerRuleSpec, ListenerRuleStatus } from "../../api/listenerrule.js";
import { desiredTags, tagDiff, toUpperTagList, UID_TAG } from "../../aws/tags.js";
import type { ReferenceFields } from "../../runtime/references.js";

export const KIND = "ListenerRule";

/** The target group ARNs of the spec's targetGroupRefs, by the referenced object's name. */
export interface RuleDeps {
  targetGroupArns: Record<string, string>;
}

export interface ObservedRule {
  rule: Rule;
  tags: Record<string, string>;
}

export function ruleTags(obj: ListenerRule): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

/** The target groups the rule forwards to, declared once (docs/adding-a-kind.md). */
export const ruleReferences = {
  targetGroups: {
    kind: "TargetGroup",
    statusField: "arn",
    path: "spec.actions[].forwardConfig.targetGroups[].targetGroupRef",
    names: (spec: ListenerRuleSpec) => spec.actions.flatMap((a) => a.forwardConfig.targetGroups.map((tg) => tg.targetGroupRef?.name)),
  },
} satisfies ReferenceFields<ListenerRuleSpec>;

function toAwsCondition(c: ListenerRuleCondition): RuleCondition {
  return {
    Field: c.field,
    ...(c.hostHeaderConfig ? { HostHeaderConfig: { Values: c.hostHeaderConfig.values } } : {}),
    ...(c.pathPatternConfig ? { PathPatternConfig: { Values: c.pathPatternConfig.values } } : {}),
    ...(c.httpHeaderConfig ? { HttpHeaderConfig: { HttpHeaderName: c.httpHeaderConfig.httpHeaderName, Values: c.httpHeaderConfig.values } } : {}),
    ...(c.queryStringConfig ? { QueryStringConfig: { Values: c.queryStringConfig.values.map((kv) => ({ ...(kv.key !== undefined ? { Key: kv.key } : {}), Value: kv.value })) } } : {}),
    ...(c.httpRequestMethodConfig ? { HttpRequestMethodConfig: { Values: c.httpRequestMethodConfig.values } } : {}),
    ...(c.sourceIpConfig ? { SourceIpConfig: { Values: c.sourceIpConfig.values } } : {}),
  };
}

export function desiredConditions(obj: ListenerRule): RuleCondition[] {
  return obj.spec.conditions.map(toAwsCondition);
}

/** The forward action with every targetGroupRef resolved; weights default to 1, as AWS's do. */
export function desiredActions(obj: ListenerRule, deps: RuleDeps): Action[] {
  return obj.spec.actions.map((a) => {
    const stickiness = a.forwardConfig.targetGroupStickinessConfig;
    return {
      Type: a.type,
      ForwardConfig: {
        TargetGroups: a.forwardConfig.targetGroups.map((tg) => ({
          TargetGroupArn: tg.targetGroupArn ?? deps.targetGroupArns[tg.targetGroupRef?.name ?? ""] ?? "",
          Weight: tg.weight ?? 1,
        })),
        ...(stickiness ? { TargetGroupStickinessConfig: { Enabled: stickiness.enabled, ...(stickiness.durationSeconds !== undefined ? { DurationSeconds: stickiness.durationSeconds } : {}) } } : {}),
      },
    };
  });
}

export function createRuleInput(obj: ListenerRule, deps: RuleDeps): CreateRuleCommandInput {
  return {
    ListenerArn: obj.spec.listenerArn,
    Priority: obj.spec.priority,
    Conditions: desiredConditions(obj),
    Actions: desiredActions(obj, deps),
    Tags: toUpperTagList(ruleTags(obj)),
  };
}

/**
 * Conditions in a form that compares equal whenever ELBv2 treats them alike: values within a
 * condition are alternatives and conditions are conjoined, so order means nothing in either. AWS
 * also repeats host-header and path-pattern values in the legacy `Values` field; older rules may
 * have only that.
 */
export function canonicalConditions(conditions: readonly RuleCondition[] | undefined): string[] {
  return (conditions ?? [])
    .map((c) => {
      const field = c.Field ?? "";
      const legacy = c.Values ?? [];
      const values = (() => {
        switch (field) {
          case "host-header":
            return c.HostHeaderConfig?.Values ?? legacy;
          case "path-pattern":
            return c.PathPatternConfig?.Values ?? legacy;
          case "http-header":
            return c.HttpHeaderConfig?.Values ?? [];
          case "query-string":
            return (c.QueryStringConfig?.Values ?? []).map((kv) => JSON.stringify([kv.Key ?? null, kv.Value ?? ""]));
          case "http-request-method":
            return c.HttpRequestMethodConfig?.Values ?? [];
          case "source-ip":
            return c.SourceIpConfig?.Values ?? [];
          default:
            return legacy;
        }
      })();
      return JSON.stringify({ field, header: c.HttpHeaderConfig?.HttpHeaderName ?? null, values: [...values].sort() });
    })
    .sort();
}

/**
 * Actions in a comparable form. AWS reports a single-target-group forward both as
 * `TargetGroupArn` and as a one-entry `ForwardConfig`, fills weight 1 and stickiness off, and
 * keeps its own order of target groups.
 */
export function canonicalActions(actions: readonly Action[] | undefined): string[] {
  return [...(actions ?? [])]
    .sort((a, b) => (a.Order ?? 0) - (b.Order ?? 0))
    .map((a) => {
      if (a.Type !== "forward") return JSON.stringify({ type: a.Type ?? "", action: a });
      const tuples = a.ForwardConfig?.TargetGroups?.length ? a.ForwardConfig.TargetGroups : [{ TargetGroupArn: a.TargetGroupArn, Weight: 1 }];
      const targetGroups = tuples.map((t) => ({ arn: t.TargetGroupArn ?? "", weight: t.Weight ?? 1 })).sort((x, y) => x.arn.localeCompare(y.arn));
      const sticky = a.ForwardConfig?.TargetGroupStickinessConfig;
      const stickiness = sticky?.Enabled === true ? { enabled: true, durationSeconds: sticky.DurationSeconds ?? null } : { enabled: false };
      return JSON.stringify({ type: "forward", targetGroups, stickiness });
    });
}

export interface RuleDiff {
  priority: { from: string; to: number } | undefined;
  conditions: boolean;
  actions: boolean;
  tags: { set: Record<string, string>; remove: string[] };
}

/**
 * `ecsShifts`: an EcsService names this rule as its production or test listener rule, so ECS owns
 * the forward action (which target groups, at which weights) and rewrites it at every release; the
 * rule then owns only its conditions, priority and tags, and never compares or writes its actions
 * (docs/deployments.md, "What ECS owns"), as the operator never deregisters targets ECS registered.
 */
export function diffRule(obj: ListenerRule, deps: RuleDeps, observed: ObservedRule, ecsShifts = false): RuleDiff {
  const { rule } = observed;
  return {
    priority: rule.Priority === String(obj.spec.priority) ? undefined : { from: rule.Priority ?? "", to: obj.spec.priority },
    conditions: JSON.stringify(canonicalConditions(desiredConditions(obj))) !== JSON.stringify(canonicalConditions(rule.Conditions)),
    actions: !ecsShifts && JSON.stringify(canonicalActions(desiredActions(obj, deps))) !== JSON.stringify(canonicalActions(rule.Actions)),
    tags: tagDiff(observed.tags, ruleTags(obj)),
  };
}

/** The forward weights in AWS, for status: where the traffic goes now. */
export function forwardWeights(rule: Rule): { targetGroupArn: string; weight: number }[] {
  const forward = rule.Actions?.find((a) => a.Type === "forward");
  const groups = forward?.ForwardConfig?.TargetGroups?.length ? forward.ForwardConfig.TargetGroups : forward?.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : [];
  return groups.map((g) => ({ targetGroupArn: g.TargetGroupArn ?? "", weight: g.Weight ?? 1 }));
}

export function describeDiff(diff: RuleDiff): string[] {
  const out: string[] = [];
  if (diff.priority) out.push(`priority (${diff.priority.from} → ${diff.priority.to})`);
  if (diff.conditions) out.push("conditions");
  if (diff.actions) out.push("actions");
  const tagKeys = [...Object.keys(diff.tags.set), ...diff.tags.remove];
  if (tagKeys.length > 0) out.push(`tags (${tagKeys.sort().join(", ")})`);
  return out;
}

/**
 * Which of a listener's rules is this object's, when the ARN in status cannot tell: the one
 * carrying its uid tag (created earlier, e.g. just before a crash that lost the status write),
 * else whichever rule holds the spec's priority, which only one rule on a listener can, so that
 * ownership decides between adopt and conflict.
 */
export function pickRule(rules: readonly Rule[], tagsByArn: ReadonlyMap<string, Record<string, string>>, uid: string, priority: number): ObservedRule | undefined {
  const candidates = rules.filter((r) => r.IsDefault !== true && r.RuleArn !== undefined);
  const withTags = (rule: Rule): ObservedRule => ({ rule, tags: tagsByArn.get(rule.RuleArn ?? "") ?? {} });
  const ours = candidates.find((r) => tagsByArn.get(r.RuleArn ?? "")?.[UID_TAG] === uid);
  if (ours) return withTags(ours);
  const atPriority = candidates.find((r) => r.Priority === String(priority));
  return atPriority ? withTags(atPriority) : undefined;
}

/** A rule's ARN names its listener: listener-rule/app/<lb>/<lb-id>/<listener-id>/<rule-id>. */
export function listenerArnOf(ruleArn: string): string {
  return ruleArn.replace(":listener-rule/", ":listener/").replace(/\/[^/]+$/, "");
}

export function ruleStatus(observed: ObservedRule | undefined, shiftedBy: readonly string[] = []): ListenerRuleStatus {
  const arn = observed?.rule.RuleArn;
  if (!observed || arn === undefined) return {};
  const priority = Number(observed.rule.Priority);
  return {
    arn,
    ...(Number.isInteger(priority) ? { priority } : {}),
    listenerArn: listenerArnOf(arn),
    forwardWeights: forwardWeights(observed.rule),
    ...(shiftedBy.length > 0 ? { forwardActionManagedBy: shiftedBy.join(", ") } : {}),
  };
}
