import { AddTagsCommand, DescribeTagsCommand, RemoveTagsCommand, type ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { chunks } from "./chunks.js";
import { awsCall } from "./errors.js";
import { applyTagChange, fromUpperTagList, toUpperTagList, type TagChange } from "./tags.js";

/** DescribeTags takes at most 20 resource ARNs per call. */
export const DESCRIBE_TAGS_BATCH = 20;

/** The tags of ELBv2 resources (target groups, rules, ...) by ARN, in as few calls as the API allows. */
export async function describeElbv2Tags(elbv2: ElasticLoadBalancingV2Client, arns: readonly string[]): Promise<Map<string, Record<string, string>>> {
  const tags = new Map<string, Record<string, string>>();
  for (const batch of chunks(arns, DESCRIBE_TAGS_BATCH)) {
    const out = await awsCall("DescribeTags", () => elbv2.send(new DescribeTagsCommand({ ResourceArns: batch })));
    for (const description of out.TagDescriptions ?? []) {
      if (description.ResourceArn !== undefined) tags.set(description.ResourceArn, fromUpperTagList(description.Tags));
    }
  }
  return tags;
}

/** ELBv2's two tag calls (target groups, rules), applied as one change. */
export async function elbv2Tags(elbv2: ElasticLoadBalancingV2Client, arn: string, change: TagChange): Promise<void> {
  await applyTagChange(change, {
    tag: (set) => awsCall("AddTags", () => elbv2.send(new AddTagsCommand({ ResourceArns: [arn], Tags: toUpperTagList(set) }))),
    untag: (keys) => awsCall("RemoveTags", () => elbv2.send(new RemoveTagsCommand({ ResourceArns: [arn], TagKeys: keys }))),
  });
}
