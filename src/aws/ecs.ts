import { TagResourceCommand, UntagResourceCommand, type ECSClient } from "@aws-sdk/client-ecs";
import { awsCall } from "./errors.js";
import { applyTagChange, toLowerTagList, type TagChange } from "./tags.js";

/** ECS's two tag calls (clusters, services, task definition revisions), applied as one change. */
export async function ecsTags(ecs: ECSClient, resourceArn: string, change: TagChange): Promise<void> {
  await applyTagChange(change, {
    tag: (set) => awsCall("TagResource", () => ecs.send(new TagResourceCommand({ resourceArn, tags: toLowerTagList(set) }))),
    untag: (keys) => awsCall("UntagResource", () => ecs.send(new UntagResourceCommand({ resourceArn, tagKeys: keys }))),
  });
}
