import {
  GetOperationCommand,
  ListTagsForResourceCommand,
  TagResourceCommand,
  UntagResourceCommand,
  type Operation,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import { awsCall } from "../../aws/errors.js";
import { fromUpperTagList, toUpperTagList } from "../../aws/tags.js";
import { awsErrorName } from "./operations.js";

/** The Cloud Map calls that CloudMapNamespace and CloudMapService share. */

/** One operation, or undefined when AWS no longer knows it. */
export async function getOperation(sd: ServiceDiscoveryClient, id: string): Promise<Operation | undefined> {
  try {
    return (await awsCall("GetOperation", () => sd.send(new GetOperationCommand({ OperationId: id })))).Operation;
  } catch (err) {
    // AWS forgets finished operations after a while; what they did is then read from the resource.
    if (awsErrorName(err) === "OperationNotFound") return undefined;
    throw err;
  }
}

export async function tagsOf(sd: ServiceDiscoveryClient, arn: string | undefined): Promise<Record<string, string>> {
  const out = await awsCall("ListTagsForResource", () => sd.send(new ListTagsForResourceCommand({ ResourceARN: arn })));
  return fromUpperTagList(out.Tags);
}

/** Applies a tagDiff; TagResource and UntagResource are synchronous in Cloud Map. */
export async function applyTagDiff(sd: ServiceDiscoveryClient, arn: string | undefined, diff: { set: Record<string, string>; remove: string[] }): Promise<void> {
  if (Object.keys(diff.set).length > 0) {
    await awsCall("TagResource", () => sd.send(new TagResourceCommand({ ResourceARN: arn, Tags: toUpperTagList(diff.set) })));
  }
  if (diff.remove.length > 0) {
    await awsCall("UntagResource", () => sd.send(new UntagResourceCommand({ ResourceARN: arn, TagKeys: diff.remove })));
  }
}
