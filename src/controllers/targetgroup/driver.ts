import {
  AddTagsCommand,
  CreateTargetGroupCommand,
  DeleteTargetGroupCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ModifyTargetGroupAttributesCommand,
  ModifyTargetGroupCommand,
  type ElasticLoadBalancingV2Client,
  type TargetGroup as AwsTargetGroup,
} from "@aws-sdk/client-elastic-load-balancing-v2";
import type { TargetGroup } from "../../api/targetgroup.js";
import { describeElbv2Tags, elbv2Tags } from "../../aws/elbv2.js";
import { awsCall, unlessAbsent } from "../../aws/errors.js";
import { ownershipOf, toUpperTagList } from "../../aws/tags.js";
import { UNREFERENCED, type Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import {
  createTargetGroupInput,
  describeDiff,
  diffTargetGroup,
  healthCheckSettings,
  KIND,
  targetGroupName,
  targetGroupStatus,
  targetGroupTags,
  targetHealthCounts,
  type ObservedTargetGroup,
} from "./mapping.js";

/**
 * The thin I/O half of TargetGroup: every decision is in mapping.ts. It never calls
 * RegisterTargets or DeregisterTargets: the targets belong to ECS (docs/design.md, promise 2).
 */
export function targetGroupDriver(elbv2: ElasticLoadBalancingV2Client): Driver<TargetGroup, null, ObservedTargetGroup, Record<string, never>> {
  const describe = async (name: string): Promise<AwsTargetGroup | undefined> => {
    const out = await unlessAbsent("DescribeTargetGroups", () => elbv2.send(new DescribeTargetGroupsCommand({ Names: [name] })), "TargetGroupNotFoundException");
    return out?.TargetGroups?.find((tg) => tg.TargetGroupName === name);
  };

  /** Everything observe needs; a foreign group is read no further than its tags. */
  const load = async (obj: TargetGroup, tg: AwsTargetGroup): Promise<ObservedTargetGroup> => {
    const arn = arnOf(tg);
    const tags = (await describeElbv2Tags(elbv2, [arn])).get(arn) ?? {};
    if (ownershipOf(tags, obj.metadata.uid) === "foreign") return { targetGroup: tg, tags, attributes: {}, health: targetHealthCounts([]) };
    // Only the attributes the spec sets are compared, so without any the call is saved.
    const attributes =
      Object.keys(obj.spec.attributes ?? {}).length === 0
        ? {}
        : Object.fromEntries(
            ((await awsCall("DescribeTargetGroupAttributes", () => elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: arn })))).Attributes ?? []).map((a) => [a.Key ?? "", a.Value ?? ""]),
          );
    const health = await awsCall("DescribeTargetHealth", () => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: arn })));
    return { targetGroup: tg, tags, attributes, health: targetHealthCounts(health.TargetHealthDescriptions) };
  };

  const mustLoad = async (obj: TargetGroup): Promise<ObservedTargetGroup> => {
    const name = targetGroupName(obj);
    const tg = await describe(name);
    if (!tg) throw new ReconcileError(`target group ${name} not found right after writing it`, "retryable", "AwsError");
    return load(obj, tg);
  };

  const setAttributes = async (arn: string, attributes: Record<string, string>): Promise<void> => {
    if (Object.keys(attributes).length === 0) return;
    const list = Object.entries(attributes).map(([Key, Value]) => ({ Key, Value }));
    await awsCall("ModifyTargetGroupAttributes", () => elbv2.send(new ModifyTargetGroupAttributesCommand({ TargetGroupArn: arn, Attributes: list })));
  };

  return {
    kind: KIND,
    ...UNREFERENCED,

    async observe(obj) {
      const tg = await describe(targetGroupName(obj));
      if (!tg) return { exists: false };
      const observed = await load(obj, tg);
      return { exists: true, ownership: ownershipOf(observed.tags, obj.metadata.uid), differences: describeDiff(diffTargetGroup(obj, observed)), observed };
    },

    async create(obj) {
      // AWS answers a repeated CreateTargetGroup with identical settings with the existing group,
      // moto does not; either way observe has looked the name up first, and the ownership tags
      // are part of the create, so a crash right after it leaves a group we recognise as ours.
      const out = await awsCall("CreateTargetGroup", () => elbv2.send(new CreateTargetGroupCommand(createTargetGroupInput(obj))));
      const tg = out.TargetGroups?.[0];
      if (!tg) throw new ReconcileError("CreateTargetGroup returned no target group", "retryable", "AwsError");
      await setAttributes(arnOf(tg), obj.spec.attributes ?? {});
      return { targetGroup: tg, tags: targetGroupTags(obj), attributes: { ...(obj.spec.attributes ?? {}) }, health: targetHealthCounts([]) };
    },

    async update(obj, _deps, observed) {
      const diff = diffTargetGroup(obj, observed);
      if (diff.immutable.length > 0) {
        throw new ReconcileError(
          `the existing target group ${targetGroupName(obj)} differs in settings ELBv2 cannot change in place: ${diff.immutable.join("; ")}; change the spec to match or give it another name`,
          "terminal",
          "InvalidSpec",
        );
      }
      const arn = arnOf(observed.targetGroup);
      if (diff.healthCheck.length > 0) {
        await awsCall("ModifyTargetGroup", () => elbv2.send(new ModifyTargetGroupCommand({ TargetGroupArn: arn, ...healthCheckSettings(obj) })));
      }
      await setAttributes(arn, diff.attributes);
      await elbv2Tags(elbv2, arn, diff.tags);
      return mustLoad(obj);
    },

    async adopt(obj, _deps, observed) {
      const tags = targetGroupTags(obj);
      await awsCall("AddTags", () => elbv2.send(new AddTagsCommand({ ResourceArns: [arnOf(observed.targetGroup)], Tags: toUpperTagList(tags) })));
      return { ...observed, tags: { ...observed.tags, ...tags } };
    },

    async delete(_obj, _deps, observed) {
      // A group still in use by a listener or rule answers ResourceInUse, which is retried.
      await unlessAbsent("DeleteTargetGroup", () => elbv2.send(new DeleteTargetGroupCommand({ TargetGroupArn: arnOf(observed.targetGroup) })), "TargetGroupNotFoundException");
      return true;
    },

    status: (_obj, observed) => targetGroupStatus(observed),

    readiness(_obj, observed) {
      const h = observed.health;
      return { ready: true, reason: "Available", message: `target group ${observed.targetGroup.TargetGroupName ?? ""} exists; targets: ${h.healthy} healthy, ${h.unhealthy} unhealthy, ${h.draining} draining, ${h.other} other` };
    },
  };
}

function arnOf(tg: AwsTargetGroup): string {
  return tg.TargetGroupArn ?? "";
}
