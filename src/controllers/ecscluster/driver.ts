import {
  CreateClusterCommand,
  DeleteClusterCommand,
  DescribeClustersCommand,
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  paginateListContainerInstances,
  paginateListServices,
  PutClusterCapacityProvidersCommand,
  TagResourceCommand,
  UpdateClusterCommand,
  type Cluster,
  type ContainerInstance,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import type { CapacityProvider } from "../../api/capacityprovider.js";
import type { EcsCluster } from "../../api/ecscluster.js";
import { chunks } from "../../aws/chunks.js";
import { awsCall } from "../../aws/errors.js";
import { ecsTags } from "../../aws/ecs.js";
import { fromLowerTagList, ownershipOf, toLowerTagList } from "../../aws/tags.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import { readyStatusField, type Lookup } from "../../runtime/references.js";
import {
  clusterName,
  clusterReferences,
  clusterStatus,
  clusterTags,
  containerInstanceCounts,
  createClusterInput,
  describeDiff,
  diffCluster,
  KIND,
  LOCATED,
  resolveCluster,
  type ClusterDeps,
  type ObservedCluster,
} from "./mapping.js";

/** DescribeServices takes at most ten services per call. */
const DESCRIBE_BATCH = 10;
/** DescribeContainerInstances takes at most 100 instances per call. */
const DESCRIBE_INSTANCES_BATCH = 100;

/** The thin I/O half of EcsCluster: every decision is in mapping.ts. */
export function ecsClusterDriver(ecs: ECSClient, lookup: Lookup): Driver<EcsCluster, ClusterDeps, ObservedCluster, typeof clusterReferences> {
  /** The container instances by status, read only while the cluster has some: a Fargate cluster pays nothing. */
  const instancesOf = async (cluster: Cluster): Promise<ObservedCluster> => {
    if ((cluster.registeredContainerInstancesCount ?? 0) === 0) return { cluster };
    const arns: string[] = [];
    for await (const page of paginateListContainerInstances({ client: ecs }, { cluster: cluster.clusterArn ?? cluster.clusterName })) arns.push(...(page.containerInstanceArns ?? []));
    const instances: ContainerInstance[] = [];
    for (const batch of chunks(arns, DESCRIBE_INSTANCES_BATCH)) {
      const out = await awsCall("DescribeContainerInstances", () => ecs.send(new DescribeContainerInstancesCommand({ cluster: cluster.clusterArn ?? cluster.clusterName, containerInstances: batch })));
      instances.push(...(out.containerInstances ?? []));
    }
    return { cluster, instances: containerInstanceCounts(instances) };
  };
  const describe = async (name: string): Promise<Cluster | undefined> => {
    const out = await awsCall("DescribeClusters", () => ecs.send(new DescribeClustersCommand({ clusters: [name], include: ["TAGS", "SETTINGS"] })));
    // A deleted cluster lingers as INACTIVE for a while; for us it no longer exists.
    return out.clusters?.find((c) => c.clusterName === name && c.status !== "INACTIVE");
  };
  const mustDescribe = async (name: string): Promise<ObservedCluster> => {
    const cluster = await describe(name);
    if (!cluster) throw new ReconcileError(`cluster ${name} not found right after writing it`, "retryable", "AwsError");
    return instancesOf(cluster);
  };
  const arnOf = (cluster: Cluster): string => cluster.clusterArn ?? "";

  /** The Ready Managed Instances providers whose CapacityProvider objects name this cluster. */
  const scopedProviders = (obj: EcsCluster): string[] =>
    lookup
      .list("CapacityProvider")
      .filter((o) => o.metadata.namespace === obj.metadata.namespace && o.metadata.deletionTimestamp === undefined)
      .filter((o) => {
        const spec = (o as CapacityProvider).spec;
        return spec.managedInstancesProvider !== undefined && (spec.clusterRef?.name === obj.metadata.name || spec.cluster === clusterName(obj));
      })
      .flatMap((o) => readyStatusField(o, "capacityProviderName") ?? [])
      .sort();

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
    resolve: (obj, refs) => resolveCluster(obj, refs, scopedProviders(obj)),
    locate: () => LOCATED,

    async observe(obj, deps) {
      const cluster = await describe(clusterName(obj));
      if (!cluster) return { exists: false };
      const ownership = ownershipOf(fromLowerTagList(cluster.tags), obj.metadata.uid);
      // A foreign cluster is read no further; one being deleted is judged by deletion alone.
      const observed = ownership === "foreign" || obj.metadata.deletionTimestamp ? { cluster } : await instancesOf(cluster);
      return { exists: true, ownership, differences: obj.metadata.deletionTimestamp ? [] : describeDiff(diffCluster(obj, cluster, deps)), observed };
    },

    async create(obj, deps) {
      // CreateCluster answers with the existing cluster when the name is taken, so a retry after
      // a lost answer does not duplicate; observe has already ruled out someone else's cluster.
      const out = await awsCall("CreateCluster", () => ecs.send(new CreateClusterCommand(createClusterInput(obj, deps))));
      if (!out.cluster) throw new ReconcileError("CreateCluster returned no cluster", "retryable", "AwsError");
      return { cluster: { ...out.cluster, tags: out.cluster.tags ?? toLowerTagList(clusterTags(obj)) } };
    },

    async update(obj, deps, { cluster }) {
      const diff = diffCluster(obj, cluster, deps);
      const name = clusterName(obj);
      if (diff.settings || diff.serviceConnectNamespace !== undefined) {
        const settings = createClusterInput(obj, deps).settings ?? [];
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
              capacityProviders: deps.capacityProviders ?? [],
              defaultCapacityProviderStrategy: deps.defaultCapacityProviderStrategy ?? [],
            }),
          ),
        );
      }
      await ecsTags(ecs, arnOf(cluster), diff.tags);
      return mustDescribe(name);
    },

    async adopt(obj, _deps, { cluster }) {
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

    readiness(_obj, { cluster }) {
      if (cluster.status === "ACTIVE") return { ready: true, reason: "Available", message: "cluster is ACTIVE" };
      return { ready: false, reason: "Creating", message: `cluster is ${cluster.status ?? "unknown"}`, recheckAfterMs: 5000 };
    },
  };
}
