import {
  GetOperationCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type Operation,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import { awsCall, unlessAbsent } from "./errors.js";
import { applyTagChange, fromUpperTagList, toUpperTagList, type TagChange } from "./tags.js";

/** The Cloud Map calls that CloudMapNamespace and CloudMapService share. */

/** One operation, or undefined when AWS no longer knows it. */
export async function getOperation(sd: ServiceDiscoveryClient, id: string): Promise<Operation | undefined> {
  // AWS forgets finished operations after a while; what they did is then read from the resource.
  return (await unlessAbsent("GetOperation", () => sd.send(new GetOperationCommand({ OperationId: id })), "OperationNotFound"))?.Operation;
}

export async function tagsOf(sd: ServiceDiscoveryClient, arn: string | undefined): Promise<Record<string, string>> {
  const out = await awsCall("ListTagsForResource", () => sd.send(new ListTagsForResourceCommand({ ResourceARN: arn })));
  return fromUpperTagList(out.Tags);
}

/** Applies a tag change; TagResource and UntagResource are synchronous in Cloud Map. */
export async function applyCloudMapTags(sd: ServiceDiscoveryClient, arn: string | undefined, change: TagChange): Promise<void> {
  await applyTagChange(change, {
    tag: (set) => awsCall("TagResource", () => sd.send(new TagResourceCommand({ ResourceARN: arn, Tags: toUpperTagList(set) }))),
    untag: (keys) => awsCall("UntagResource", () => sd.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: keys }))),
  });
}
