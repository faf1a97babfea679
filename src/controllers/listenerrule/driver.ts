import {
  AddTagsCommand,
  CreateRuleCommand,
  DeleteRuleCommand,
  DescribeRulesCommand,
  ModifyRuleCommand,
  SetRulePrioritiesCommand,
  type ElasticLoadBalancingV2Client,
  type Rule,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { ListenerRule } from "../../api/listenerrule.js";
import { describeElbv2Tags, elbv2Tags } from "../../aws/elbv2.js";
import { awsCall, isAwsError, unlessAbsent } from "../../aws/errors.js";
import { ownershipOf, toUpperTagList } from "../../aws/tags.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { Lookup } from "../../runtime/references.js";
import { listenerRulesShiftedBy } from "../ecsservice/mapping.js";
import { createRuleInput, desiredActions, desiredConditions, describeDiff, diffRule, KIND, pickRule, ruleReferences, ruleStatus, ruleTags, type ObservedRule, type RuleDeps } from "./mapping.js";

/**
 * Deps are null while the object is being deleted: deleting a rule needs only its own ARN (or
 * the listener searched by its uid tag), not the target groups it forwards to.
 */
type Deps = RuleDeps | null;

/** The thin I/O half of ListenerRule: every decision is in mapping.ts. */
export function listenerRuleDriver(elbv2: ElasticLoadBalancingV2Client, lookup: Lookup): Driver<ListenerRule, Deps, ObservedRule, typeof ruleReferences> {
  /**
   * The EcsServices (from the operator's cache) that name this rule as their production or test
   * listener rule: by reference in the rule's namespace, or by ARN from anywhere. ECS owns the
   * rule's forward action while one does.
   */
  const shiftedBy = (obj: ListenerRule): string[] =>
    lookup
      .list("EcsService")
      .filter((svc) => {
        const named = listenerRulesShiftedBy((svc.spec ?? {}));
        return (svc.metadata.namespace === obj.metadata.namespace && named.names.includes(obj.metadata.name)) || (obj.status?.arn !== undefined && named.arns.includes(obj.status.arn));
      })
      .map((svc) => `EcsService ${svc.metadata.namespace}/${svc.metadata.name}`)
      .sort();

  const describeByArn = async (arn: string): Promise<Rule | undefined> => {
    const out = await unlessAbsent("DescribeRules", () => elbv2.send(new DescribeRulesCommand({ RuleArns: [arn] })), "RuleNotFoundException");
    return out?.Rules?.find((r) => r.RuleArn === arn);
  };

  const listenerRules = async (listenerArn: string): Promise<Rule[]> => {
    const rules: Rule[] = [];
    let marker: string | undefined;
    do {
      // A rule cannot outlive its listener.
      const page = await unlessAbsent("DescribeRules", () => elbv2.send(new DescribeRulesCommand({ ListenerArn: listenerArn, PageSize: 400, ...(marker ? { Marker: marker } : {}) })), "ListenerNotFoundException");
      rules.push(...(page?.Rules ?? []));
      marker = page?.NextMarker;
    } while (marker);
    return rules;
  };

  /**
   * By the ARN in status (the cheap steady-state path: two calls) while that rule still answers
   * to the object, else by searching the listener.
   */
  const find = async (obj: ListenerRule): Promise<ObservedRule | undefined> => {
    const known = obj.status?.arn;
    if (known) {
      const rule = await describeByArn(known);
      const match = rule ? pickRule([rule], await describeElbv2Tags(elbv2, [known]), obj.metadata.uid, obj.spec.priority) : undefined;
      if (match) return match;
    }
    const rules = (await listenerRules(obj.spec.listenerArn)).filter((r) => r.IsDefault !== true);
    const tags = await describeElbv2Tags(elbv2, rules.flatMap((r) => (r.RuleArn ? [r.RuleArn] : [])));
    return pickRule(rules, tags, obj.metadata.uid, obj.spec.priority);
  };

  const mustFind = async (arn: string): Promise<ObservedRule> => {
    const rule = await describeByArn(arn);
    if (!rule) throw new ReconcileError(`listener rule ${arn} not found right after writing it`, "retryable", "AwsError");
    return { rule, tags: (await describeElbv2Tags(elbv2, [arn])).get(arn) ?? {} };
  };

  /** ELBv2 refuses a second rule at a priority: someone else's rule holds it. */
  const priorityTaken = async <T>(obj: ListenerRule, operation: string, call: () => Promise<T>): Promise<T> =>
    awsCall(operation, async () => {
      try {
        return await call();
      } catch (err) {
        if (!isAwsError(err, "PriorityInUseException")) throw err;
        throw new ReconcileError(`${operation}: priority ${obj.spec.priority} on the listener is held by another rule, which is left untouched`, "retryable", "ConflictExistingResource", { cause: err });
      }
    });

  const requireDeps = (deps: Deps): RuleDeps => {
    if (!deps) throw new ReconcileError("target group references are not resolved", "retryable", "WaitingForDependency");
    return deps;
  };

  return {
    kind: KIND,

    references: ruleReferences,

    resolve(obj, refs) {
      const targetGroupArns: Record<string, string> = {};
      const names = ruleReferences.targetGroups.names(obj.spec);
      names.forEach((name, i) => {
        const arn = refs.targetGroups[i];
        if (name !== undefined && arn !== undefined) targetGroupArns[name] = arn;
      });
      return { targetGroupArns };
    },

    locate: () => null,

    async observe(obj, deps) {
      const found = await find(obj);
      if (!found) return { exists: false };
      return { exists: true, ownership: ownershipOf(found.tags, obj.metadata.uid), differences: deps ? describeDiff(diffRule(obj, deps, found, shiftedBy(obj).length > 0)) : [], observed: found };
    },

    async create(obj, deps) {
      // Observe has searched the listener for a rule with this object's uid tag, and the tags
      // are part of CreateRule, so a crash right after it leaves a rule found next time.
      const out = await priorityTaken(obj, "CreateRule", () => elbv2.send(new CreateRuleCommand(createRuleInput(obj, requireDeps(deps)))));
      const rule = out.Rules?.[0];
      if (!rule) throw new ReconcileError("CreateRule returned no rule", "retryable", "AwsError");
      return { rule, tags: ruleTags(obj) };
    },

    async update(obj, deps, observed) {
      const resolved = requireDeps(deps);
      const diff = diffRule(obj, resolved, observed, shiftedBy(obj).length > 0);
      const arn = observed.rule.RuleArn ?? "";
      if (diff.conditions || diff.actions) {
        // Actions are sent only when they are the spec's to set: ModifyRule keeps those it is not given.
        await awsCall("ModifyRule", () => elbv2.send(new ModifyRuleCommand({ RuleArn: arn, Conditions: desiredConditions(obj), ...(diff.actions ? { Actions: desiredActions(obj, resolved) } : {}) })));
      }
      if (diff.priority) {
        await priorityTaken(obj, "SetRulePriorities", () => elbv2.send(new SetRulePrioritiesCommand({ RulePriorities: [{ RuleArn: arn, Priority: obj.spec.priority }] })));
      }
      await elbv2Tags(elbv2, arn, diff.tags);
      return mustFind(arn);
    },

    async adopt(obj, _deps, observed) {
      const tags = ruleTags(obj);
      await awsCall("AddTags", () => elbv2.send(new AddTagsCommand({ ResourceArns: [observed.rule.RuleArn ?? ""], Tags: toUpperTagList(tags) })));
      return { ...observed, tags: { ...observed.tags, ...tags } };
    },

    async delete(_obj, _deps, observed) {
      await unlessAbsent("DeleteRule", () => elbv2.send(new DeleteRuleCommand({ RuleArn: observed.rule.RuleArn ?? "" })), "RuleNotFoundException");
      return true;
    },

    status: (obj, observed) => ruleStatus(observed, shiftedBy(obj)),

    readiness(obj, observed) {
      const targets = observed.rule.Actions?.flatMap((a) => a.ForwardConfig?.TargetGroups ?? []).length ?? 0;
      const by = shiftedBy(obj);
      const owner = by.length > 0 ? `; ECS shifts its forward weights (listener rule of ${by.join(", ")})` : "";
      return { ready: true, reason: "Available", message: `rule at priority ${observed.rule.Priority ?? "?"} forwards to ${targets} target group(s)${owner}` };
    },
  };
}
