import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  DescribeServicesCommand,
  paginateListServices,
  PutClusterCapacityProvidersCommand,
  TagResourceCommand,
  UpdateClusterCommand,
  type Cluster,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import type { EcsCluster } from "../../api/ecscluster.js";
import { chunks } from "../../aws/chunks.js";
import { awsCall } from "../../aws/errors.js";
import { ecsTags } from "../../aws/ecs.js";
import { fromLowerTagList, ownershipOf, toLowerTagList } from "../../aws/tags.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import {
  clusterName,
  clusterReferences,
  clusterStatus,
  clusterTags,
  createClusterInput,
  describeDiff,
  diffCluster,
  KIND,
  locateCluster,
  resolveCluster,
  type ClusterDeps,
} from "./mapping.js";

/** DescribeServices takes at most ten services per call. */
const DESCRIBE_BATCH = 10;

/** The thin I/O half of EcsCluster: every decision is in mapping.ts. */
export function ecsClusterDriver(ecs: ECSClient): Driver<EcsCluster, ClusterDeps, Cluster, typeof clusterReferences> {
  const describe = async (name: string): Promise<Cluster | undefined> => {
    const out = await awsCall("DescribeClusters", () => ecs.send(new DescribeClustersCommand({ clusters: [name], include: ["TAGS", "SETTINGS"] })));
    // A deleted cluster lingers as INACTIVE for a while; for us it no longer exists.
    return out.clusters?.find((c) => c.clusterName === name && c.status !== "INACTIVE");
  };
  const mustDescribe = async (name: string): Promise<Cluster> => {
    const cluster = await describe(name);
    if (!cluster) throw new ReconcileError(`cluster ${name} not found right after writing it`, "retryable", "AwsError");
    return cluster;
  };
  const arnOf = (cluster: Cluster): string => cluster.clusterArn ?? "";

  /** The names of the services still in the cluster (ACTIVE or DRAINING), whoever owns them. */
  const servicesIn = async (name: string): Promise<string[]> => {
    const arns: string[] = [];
    for await (const page of paginateListServices({ client: ecs }, { cluster: name })) arns.push(...(page.serviceArns ?? []));
    const remaining: string[] = [];
    // ECS lists only live services; an emulator may list deleted ones too, so their status decides.
    for (const batch of chunks(arns, DESCRIBE_BATCH)) {
      const out = await awsCall("DescribeServices", () => ecs.send(new DescribeServicesCommand({ cluster: name, services: batch })));
      remaining.push(...(out.services ?? []).filter((s) => s.status !== "INACTIVE").map((s) => s.serviceName ?? ""));
    }
    return remaining;
  };

  return {
    kind: KIND,
    references: clusterReferences,
    resolve: resolveCluster,
    locate: locateCluster,

    async observe(obj, deps) {
      const cluster = await describe(clusterName(obj));
      if (!cluster) return { exists: false };
      const differences = obj.metadata.deletionTimestamp ? [] : describeDiff(diffCluster(obj, cluster, deps));
      return { exists: true, ownership: ownershipOf(fromLowerTagList(cluster.tags), obj.metadata.uid), differences, observed: cluster };
    },

    async create(obj, deps) {
      // CreateCluster answers with the existing cluster when the name is taken, so a retry after
      // a lost answer does not duplicate; observe has already ruled out someone else's cluster.
      const out = await awsCall("CreateCluster", () => ecs.send(new CreateClusterCommand(createClusterInput(obj, deps))));
      if (!out.cluster) throw new ReconcileError("CreateCluster returned no cluster", "retryable", "AwsError");
      return { ...out.cluster, tags: out.cluster.tags ?? toLowerTagList(clusterTags(obj)) };
    },

    async update(obj, deps, cluster) {
      const diff = diffCluster(obj, cluster, deps);
      const name = clusterName(obj);
      if (diff.settings || diff.serviceConnectNamespace !== undefined) {
        const settings = createClusterInput(obj).settings ?? [];
        await awsCall("UpdateCluster", () =>
          ecs.send(
            new UpdateClusterCommand({
              cluster: name,
              ...(diff.settings ? { settings } : {}),
              ...(diff.serviceConnectNamespace !== undefined ? { serviceConnectDefaults: { namespace: diff.serviceConnectNamespace } } : {}),
            }),
          ),
        );
      }
      if (diff.capacityProviders) {
        await awsCall("PutClusterCapacityProviders", () =>
          ecs.send(
            new PutClusterCapacityProvidersCommand({
              cluster: name,
              capacityProviders: obj.spec.capacityProviders ?? [],
              defaultCapacityProviderStrategy: obj.spec.defaultCapacityProviderStrategy ?? [],
            }),
          ),
        );
      }
      await ecsTags(ecs, arnOf(cluster), diff.tags);
      return mustDescribe(name);
    },

    async adopt(obj, _deps, cluster) {
      await awsCall("TagResource", () => ecs.send(new TagResourceCommand({ resourceArn: arnOf(cluster), tags: toLowerTagList(clusterTags(obj)) })));
      return mustDescribe(clusterName(obj));
    },

    async delete(obj) {
      const name = clusterName(obj);
      // ECS refuses to delete a cluster that still has services (an emulator may not): its own
      // services' objects are deleted first (the reference guard), anyone else's are named here.
      const services = await servicesIn(name);
      if (services.length > 0) return { waiting: `cluster ${name} still has ${services.length} service(s): ${services.slice(0, 5).join(", ")}${services.length > 5 ? ", ..." : ""}` };
      const out = await awsCall("DeleteCluster", () => ecs.send(new DeleteClusterCommand({ cluster: name })));
      return out.cluster?.status === "INACTIVE";
    },

    status: (_obj, cluster) => clusterStatus(cluster),

    readiness(_obj, cluster) {
      if (cluster.status === "ACTIVE") return { ready: true, reason: "Available", message: "cluster is ACTIVE" };
      return { ready: false, reason: "Creating", message: `cluster is ${cluster.status ?? "unknown"}`, recheckAfterMs: 5000 };
    },
  };
}
