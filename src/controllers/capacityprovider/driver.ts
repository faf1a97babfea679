import {
  CreateCapacityProviderCommand,
  DeleteCapacityProviderCommand,
  DescribeCapacityProvidersCommand,
  DescribeClustersCommand,
  paginateListClusters,
  TagResourceCommand,
  UpdateCapacityProviderCommand,
  type CapacityProvider as AwsCapacityProvider,
  type Cluster,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import type { CapacityProvider } from "../../api/capacityprovider.js";
import { chunks } from "../../aws/chunks.js";
import { ecsTags } from "../../aws/ecs.js";
import { awsCall } from "../../aws/errors.js";
import { fromLowerTagList, ownershipOf, toLowerTagList } from "../../aws/tags.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import {
  capacityProviderName,
  capacityProviderReadiness,
  capacityProviderReferences,
  capacityProviderStatus,
  capacityProviderTags,
  clustersUsing,
  createCapacityProviderInput,
  describeDiff,
  diffCapacityProvider,
  isLive,
  KIND,
  locateCapacityProvider,
  resolveCapacityProvider,
  updateCapacityProviderInput,
  type CapacityProviderDeps,
} from "./mapping.js";

/** DescribeClusters takes at most 100 clusters per call. */
const DESCRIBE_CLUSTERS_BATCH = 100;

/** The thin I/O half of CapacityProvider: every decision is in mapping.ts. */
export function capacityProviderDriver(ecs: ECSClient): Driver<CapacityProvider, CapacityProviderDeps, AwsCapacityProvider, typeof capacityProviderReferences> {
  const describe = async (obj: CapacityProvider, deps: CapacityProviderDeps): Promise<AwsCapacityProvider | undefined> => {
    const name = capacityProviderName(obj);
    // A name ECS does not know is a failure entry ("MISSING"), not an error.
    const out = await awsCall("DescribeCapacityProviders", () =>
      ecs.send(new DescribeCapacityProvidersCommand({ capacityProviders: [name], include: ["TAGS"], ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}) })),
    );
    const found = out.capacityProviders?.find((p) => p.name === name);
    return isLive(found) ? found : undefined;
  };
  const mustDescribe = async (obj: CapacityProvider, deps: CapacityProviderDeps): Promise<AwsCapacityProvider> => {
    const found = await describe(obj, deps);
    if (!found) throw new ReconcileError(`capacity provider ${capacityProviderName(obj)} not found right after writing it`, "retryable", "AwsError");
    return found;
  };

  /** Every live cluster of the account and region (ECS refuses to delete a provider one of them uses). */
  const allClusters = async (): Promise<Cluster[]> => {
    const arns: string[] = [];
    for await (const page of paginateListClusters({ client: ecs }, {})) arns.push(...(page.clusterArns ?? []));
    const clusters: Cluster[] = [];
    for (const batch of chunks(arns, DESCRIBE_CLUSTERS_BATCH)) {
      clusters.push(...((await awsCall("DescribeClusters", () => ecs.send(new DescribeClustersCommand({ clusters: batch })))).clusters ?? []));
    }
    return clusters;
  };

  return {
    kind: KIND,
    references: capacityProviderReferences,
    resolve: resolveCapacityProvider,
    locate: locateCapacityProvider,

    async observe(obj, deps) {
      const found = await describe(obj, deps);
      if (!found) return { exists: false };
      const differences = obj.metadata.deletionTimestamp ? [] : describeDiff(diffCapacityProvider(obj, found, deps));
      return { exists: true, ownership: ownershipOf(fromLowerTagList(found.tags), obj.metadata.uid), differences, observed: found };
    },

    async create(obj, deps) {
      // No client token here: observe has looked the name up first, and the ownership tags are
      // part of the create, so a crash right after it leaves a provider recognised as ours.
      const out = await awsCall("CreateCapacityProvider", () => ecs.send(new CreateCapacityProviderCommand(createCapacityProviderInput(obj, deps))));
      if (!out.capacityProvider) throw new ReconcileError("CreateCapacityProvider returned no capacity provider", "retryable", "AwsError");
      return { ...out.capacityProvider, tags: out.capacityProvider.tags ?? toLowerTagList(capacityProviderTags(obj)) };
    },

    async update(obj, deps, observed) {
      const diff = diffCapacityProvider(obj, observed, deps);
      if (diff.immutable.length > 0) {
        throw new ReconcileError(
          `the capacity provider ${capacityProviderName(obj)} differs in what ECS cannot change in place: ${diff.immutable.join("; ")}; restore the field, or delete the object and create a new one`,
          "terminal",
          "InvalidSpec",
        );
      }
      if (diff.update.length > 0) await awsCall("UpdateCapacityProvider", () => ecs.send(new UpdateCapacityProviderCommand(updateCapacityProviderInput(obj, deps))));
      await ecsTags(ecs, observed.capacityProviderArn ?? "", diff.tags);
      return mustDescribe(obj, deps);
    },

    async adopt(obj, deps, observed) {
      await awsCall("TagResource", () => ecs.send(new TagResourceCommand({ resourceArn: observed.capacityProviderArn ?? "", tags: toLowerTagList(capacityProviderTags(obj)) })));
      return mustDescribe(obj, deps);
    },

    async delete(obj, deps) {
      const name = capacityProviderName(obj);
      // The clusters managed here are waited for by the reference guard; these are the others.
      const users = clustersUsing(name, await allClusters(), deps.cluster);
      if (users.length > 0) return { waiting: `capacity provider ${name} is used by cluster ${users.join(", ")}: remove it from the cluster's capacity providers (PutClusterCapacityProviders) first` };
      const out = await awsCall("DeleteCapacityProvider", () =>
        ecs.send(new DeleteCapacityProviderCommand({ capacityProvider: name, ...(deps.cluster !== undefined ? { cluster: deps.cluster } : {}) })),
      );
      // ECS answers INACTIVE with DELETE_IN_PROGRESS; observe sees it gone from then on.
      return out.capacityProvider?.status === "INACTIVE";
    },

    status: (_obj, observed) => capacityProviderStatus(observed),
    readiness: (_obj, observed) => capacityProviderReadiness(observed),
  };
}
