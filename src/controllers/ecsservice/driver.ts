import type { ApplicationAutoScalingClient } from "@aws-sdk/client-application-auto-scaling";
import {
  ContinueServiceDeploymentCommand,
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServiceDeploymentsCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ListServiceDeploymentsCommand,
  StopServiceDeploymentCommand,
  TagResourceCommand,
  UpdateServiceCommand,
  type ECSClient,
  type Service,
  type TaskDefinition,
} from "@aws-sdk/client-ecs";
import type { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import type { EcsService, ServiceReleaseStatus } from "../../api/ecsservice.js";
import { BatchedReader } from "../../aws/batched-reader.js";
import { ecsTags } from "../../aws/ecs.js";
import { awsCall, isAwsError, unlessAbsent } from "../../aws/errors.js";
import { fromLowerTagList, ownershipOf, toLowerTagList } from "../../aws/tags.js";
import { revisionName, sameRevision } from "../../aws/task-definition-revisions.js";
import type { Driver, Observation } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { Lookup } from "../../runtime/references.js";
import type { DriverSettings } from "../index.js";
import {
  createServiceInput,
  describeDiff,
  diffService,
  launchMismatches,
  locateService,
  providersOutsideCluster,
  resolveService,
  serviceName,
  serviceReferences,
  serviceStatus,
  serviceTags,
  type ObservedService,
  type ServiceDeps,
} from "./mapping.js";
import { isUnderWay, releaseStatus, stageChange, type ManualStep } from "./release.js";
import { rolloutDeploymentOf, rolloutVerdict } from "./rollout.js";
import { describeScalingDiff, diffScaling, scalableResourceId, scalingOwnership, type ObservedScaling } from "./autoscaling.js";
import { serviceScaling } from "./autoscaling-driver.js";

/** DescribeServices takes at most ten services of one cluster per call. */
const DESCRIBE_BATCH = 10;

/** The cluster as the service's ARN names it, to match objects to the cluster being read. */
function clusterNameOf(cluster: string): string {
  return cluster.split("/").pop() ?? cluster;
}

/** DescribeServices was refused because the cluster does not exist (not: the service does not). */
class ClusterMissing extends Error {
  constructor(readonly cluster: string) {
    super(`cluster ${cluster} does not exist`);
    this.name = "ClusterMissing";
  }
}

export function ecsServiceDriver(
  ecs: ECSClient,
  scaling: { aas: ApplicationAutoScalingClient; elbv2: ElasticLoadBalancingV2Client },
  lookup: Lookup,
  settings: DriverSettings,
): Driver<EcsService, ServiceDeps, ObservedService, typeof serviceReferences> {
  const scaler = serviceScaling(scaling.aas, scaling.elbv2, lookup, settings);

  const reader = new BatchedReader<Service>({
    maxBatch: DESCRIBE_BATCH,
    // Long enough to cover a fleet's re-checks, which fall due within a few seconds of each
    // other, and short of the next period, so each period reads AWS afresh.
    maxAgeMs: Math.min(10_000, settings.resyncMs / 2),
    fetch: async (cluster, names) => {
      const out = await awsCall("DescribeServices", async () => {
        try {
          return await ecs.send(new DescribeServicesCommand({ cluster, services: names, include: ["TAGS"] }));
        } catch (err) {
          if (isAwsError(err, "ClusterNotFoundException")) throw new ClusterMissing(cluster);
          throw err;
        }
      });
      return new Map((out.services ?? []).map((s) => [s.serviceName ?? "", s]));
    },
    candidates: (cluster) =>
      lookup
        .list("EcsService")
        .map((o) => o.status as EcsService["status"])
        .filter((s) => s?.clusterArn !== undefined && clusterNameOf(s.clusterArn) === clusterNameOf(cluster) && s.serviceName !== undefined)
        .map((s) => s?.serviceName ?? ""),
  });

  /** Task definition revisions never change: each is read once, and only when the spec names something in it. */
  const revisions = new Map<string, TaskDefinition | undefined>();
  const revision = async (taskDefinition: string): Promise<TaskDefinition | undefined> => {
    if (revisions.has(taskDefinition)) return revisions.get(taskDefinition);
    const out = await unlessAbsent("DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition })), "ClientException");
    // A family:revision literal may be re-registered after deregistration; ARNs are for ever.
    if (taskDefinition.startsWith("arn:")) revisions.set(taskDefinition, out?.taskDefinition);
    return out?.taskDefinition;
  };

  /**
   * Before a write: the port names and launch-time volumes the spec names must be in the task
   * definition revision it deploys, else the write is refused here with what is missing
   * (Synced=False, InvalidSpec) rather than by ECS or, later, by a failed deployment. The check is
   * re-run when the spec or the revision changes (a TaskDefinition's new revision wakes the service).
   */
  const checkLaunch = async (obj: EcsService, deps: ServiceDeps): Promise<void> => {
    const s = obj.spec;
    if (!s.serviceConnectConfiguration?.services?.length && !s.vpcLatticeConfigurations?.length && s.volumeConfigurations === undefined) return;
    const td = await revision(deps.taskDefinition);
    if (!td) return; // a revision that does not exist is ECS's to refuse
    const wrong = launchMismatches(s, td);
    if (wrong.length > 0) throw new ReconcileError(`${wrong.join("; ")} (${revisionName(deps.taskDefinition)})`, "terminal", "InvalidSpec");
  };

  const read = async (obj: EcsService, cluster: string): Promise<Service | undefined> => {
    let service: Service | undefined;
    try {
      service = await reader.read(cluster, serviceName(obj));
    } catch (err) {
      if (!(err instanceof ClusterMissing || (err instanceof ReconcileError && err.cause instanceof ClusterMissing))) throw err;
      // No service outlives its cluster: being deleted, it is gone.
      if (obj.metadata.deletionTimestamp) return undefined;
      // Not there to create the service in: say what is missing and wait (with backoff, no writes).
      const named = obj.spec.cluster !== undefined ? "spec.cluster" : `the clusterName of EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef?.name ?? ""}`;
      throw new ReconcileError(`cluster ${cluster} (${named}) does not exist in AWS`, "retryable", "WaitingForDependency", { cause: err });
    }
    // A deleted service stays visible as INACTIVE for a while; a new one may take its name.
    return service?.status === "INACTIVE" ? undefined : service;
  };

  /**
   * The latest release from the service-deployment APIs, read only while one can be moving (a
   * strategy other than ROLLING with a deployment under way, or a release status not final yet):
   * a service at rest costs no call here.
   */
  const readRelease = async (obj: EcsService, deps: ServiceDeps, service: Service): Promise<ServiceReleaseStatus | undefined> => {
    const previous = obj.status?.release;
    const deployments = service.deployments ?? [];
    const moving = deployments.length > 1 || deployments.some((d) => d.rolloutState === "IN_PROGRESS");
    const shifting = (obj.spec.deploymentConfiguration?.strategy ?? "ROLLING") !== "ROLLING";
    if (obj.metadata.deletionTimestamp || !((shifting && moving) || isUnderWay(previous?.status))) return previous;
    const listed = await awsCall("ListServiceDeployments", () => ecs.send(new ListServiceDeploymentsCommand({ cluster: deps.cluster, service: serviceName(obj), maxResults: 20 })));
    const newest = [...(listed.serviceDeployments ?? [])].sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0))[0];
    if (newest?.serviceDeploymentArn === undefined) return previous;
    const described = await awsCall("DescribeServiceDeployments", () => ecs.send(new DescribeServiceDeploymentsCommand({ serviceDeploymentArns: [newest.serviceDeploymentArn ?? ""] })));
    const found = described.serviceDeployments?.[0];
    if (!found) return previous;
    // While it moves forward the release deploys the PRIMARY's revision; once it rolls back the
    // PRIMARY is the old one again, and the revision remembered in status is the release's.
    const primary = deployments.find((d) => d.status === "PRIMARY");
    const forward = found.status === "IN_PROGRESS" || found.status === "PENDING" || found.status === "SUCCESSFUL";
    return releaseStatus(found, previous, forward ? primary?.taskDefinition : undefined, new Date());
  };

  const observedFrom = async (obj: EcsService, deps: ServiceDeps, service: Service, forceNewDeployment: string | undefined): Promise<ObservedService> => {
    const remembered = sameRevision(obj.status?.failedTaskDefinitionArn, deps.taskDefinition) ? obj.status?.failedTaskDefinitionArn : undefined;
    const rolloutDeployment = rolloutDeploymentOf(service, deps.taskDefinition, obj.status?.rolloutDeployment);
    const release = await readRelease(obj, deps, service);
    const verdict = rolloutVerdict({
      service,
      desiredTaskDefinition: deps.taskDefinition,
      ...(remembered ? { knownFailedTaskDefinition: remembered } : {}),
      ...(rolloutDeployment ? { rolloutDeploymentId: rolloutDeployment.id } : {}),
      ...(release ? { release } : {}),
    });
    return {
      service,
      desiredTaskDefinition: deps.taskDefinition,
      ...(rolloutDeployment ? { rolloutDeployment } : {}),
      ...(verdict.failedTaskDefinition ? { failedTaskDefinition: verdict.failedTaskDefinition } : {}),
      ...(forceNewDeployment !== undefined ? { forceNewDeployment } : {}),
      ...(release ? { release } : {}),
    };
  };

  /**
   * ECS refuses a strategy naming a provider its cluster does not have; for a cluster managed
   * here that is known before any write, and the service waits (quietly, with backoff) until the
   * cluster lists it or the strategy changes.
   */
  const checkStrategy = (obj: EcsService, deps: ServiceDeps): void => {
    if (!obj.spec.clusterRef || !obj.spec.capacityProviderStrategy) return;
    const cluster = lookup.get("EcsCluster", obj.metadata.namespace, obj.spec.clusterRef.name);
    const listed = cluster?.status?.capacityProviders;
    const outside = providersOutsideCluster(obj, deps, Array.isArray(listed) ? (listed as string[]) : undefined);
    if (outside.length === 0) return;
    throw new ReconcileError(
      `capacity provider ${outside.join(", ")} is not one of cluster ${deps.cluster}'s capacity providers (${(listed as string[]).join(", ") || "none"}): add it to EcsCluster ${obj.metadata.namespace}/${obj.spec.clusterRef.name} (capacityProviders or capacityProviderRefs) or change the strategy`,
      "retryable",
      "WaitingForDependency",
    );
  };

  const reread = async (obj: EcsService, deps: ServiceDeps, forceNewDeployment: string | undefined): Promise<ObservedService> => {
    reader.invalidate(deps.cluster, serviceName(obj));
    const service = await read(obj, deps.cluster);
    if (!service) throw new ReconcileError(`service ${serviceName(obj)} not found right after writing it`, "retryable", "AwsError");
    return observedFrom(obj, deps, service, forceNewDeployment);
  };

  const resourceIdOf = (obj: EcsService, deps: ServiceDeps): string => scalableResourceId(deps.cluster, serviceName(obj));

  /** What differs in the service's scaling (autoscaling.ts); a target that is not ours is a conflict, never changed. */
  const scalingDifferences = async (obj: EcsService, deps: ServiceDeps, scaling: ObservedScaling | undefined): Promise<string[]> => {
    const ownership = scalingOwnership(scaling, obj.metadata.uid);
    const manage = (obj.spec.managementPolicy ?? "Manage") === "Manage";
    if (ownership === "foreign" || ownership === "unowned") {
      if (!obj.spec.autoScaling) return [];
      if (manage && (ownership === "foreign" || obj.spec.adopt !== true)) {
        const whose = ownership === "foreign" ? "is owned by another object (its ecs-operator.dev/uid tag differs)" : "is registered without ecs-operator owner tags; set spec.adopt: true to take it over with its policies";
        throw new ReconcileError(`the scalable target ${resourceIdOf(obj, deps)} ${whose}; it is left untouched`, "retryable", "ConflictExistingResource");
      }
    }
    const desired = await scaler.desired(obj, resourceIdOf(obj, deps), serviceTags(obj), deps.scalingTargetGroupArns ?? []);
    const adopting = ownership === "unowned" ? ["autoScaling: adopt the existing scalable target"] : [];
    return [...adopting, ...describeScalingDiff(diffScaling(desired, scaling), desired)];
  };

  /** The scaling of the service as it is now; undefined where the service has none to look at. */
  const observeScaling = (obj: EcsService, deps: ServiceDeps, desiredCount: number | undefined): Promise<ObservedScaling | undefined> =>
    scaler.wanted(obj) ? scaler.observe(obj, resourceIdOf(obj, deps), desiredCount) : Promise.resolve(undefined);

  const convergeScaling = async (obj: EcsService, deps: ServiceDeps, observed: ObservedService): Promise<ObservedService> => {
    if ((await scalingDifferences(obj, deps, observed.scaling)).length === 0) return observed;
    await scaler.converge(obj, await scaler.desired(obj, resourceIdOf(obj, deps), serviceTags(obj), deps.scalingTargetGroupArns ?? []), observed.scaling);
    const scaling = await observeScaling(obj, deps, observed.service.desiredCount);
    return { ...observed, ...(scaling ? { scaling } : {}) };
  };

  /**
   * A service being deleted that ECS no longer has, whose scalable target is still ours: it must
   * go before the finalizer does (an INACTIVE service stands for the gone one).
   */
  const leftOverScaling = async (obj: EcsService, deps: ServiceDeps): Promise<Observation<ObservedService>> => {
    const scaling = await scaler.observe(obj, resourceIdOf(obj, deps), undefined);
    if (scalingOwnership(scaling, obj.metadata.uid) !== "ours") return { exists: false };
    const service: Service = { serviceName: serviceName(obj), status: "INACTIVE" };
    return { exists: true, ownership: "ours", differences: [], observed: { service, desiredTaskDefinition: deps.taskDefinition, scaling } };
  };

  /**
   * The manual step an annotation asks for (release.ts, manualStep). A step ECS has taken meanwhile
   * (the hook answered, the release over) is refused with InvalidParameterException: nothing left to do.
   */
  const takeManualStep = async (step: ManualStep): Promise<void> => {
    const alreadyTaken = async (operation: string, call: () => Promise<unknown>): Promise<void> => {
      await awsCall(operation, async () => {
        try {
          await call();
        } catch (err) {
          if (!isAwsError(err, "InvalidParameterException")) throw err;
        }
      });
    };
    if (step.hookIds.length === 0) {
      await alreadyTaken("StopServiceDeployment", () => ecs.send(new StopServiceDeploymentCommand({ serviceDeploymentArn: step.serviceDeploymentArn, stopType: "ROLLBACK" })));
      return;
    }
    for (const hookId of step.hookIds) {
      await alreadyTaken("ContinueServiceDeployment", () => ecs.send(new ContinueServiceDeploymentCommand({ serviceDeploymentArn: step.serviceDeploymentArn, hookId, action: step.action })));
    }
  };

  return {
    kind: "EcsService",

    references: serviceReferences,
    resolve: resolveService,
    locate: locateService,

    async observe(obj, deps) {
      const service = await read(obj, deps.cluster);
      if (!service) return obj.metadata.deletionTimestamp ? leftOverScaling(obj, deps) : { exists: false };
      const scaling = await observeScaling(obj, deps, service.desiredCount);
      const observed = { ...(await observedFrom(obj, deps, service, obj.status?.forceNewDeployment)), ...(scaling ? { scaling } : {}) };
      const ownership = ownershipOf(fromLowerTagList(service.tags), obj.metadata.uid);
      // A service being deleted is judged by deletion alone; the scaling of a service not ours is not looked into.
      const differences = obj.metadata.deletionTimestamp ? [] : [...describeDiff(diffService(obj, deps, observed)), ...(ownership === "ours" ? await scalingDifferences(obj, deps, scaling) : [])];
      return { exists: true, ownership, differences, observed };
    },

    async create(obj, deps) {
      checkStrategy(obj, deps);
      await checkLaunch(obj, deps);
      await awsCall("CreateService", () => ecs.send(new CreateServiceCommand(createServiceInput(obj, deps))));
      const created = await reread(obj, deps, obj.spec.forceNewDeployment);
      // Ready must mean "matches the spec": set at once what CreateService did not take (moto
      // drops deploymentConfiguration, placement and more; AWS takes all, so this is a no-op there).
      const diff = diffService(obj, deps, created);
      let current = created;
      if (Object.keys(diff.update).length > 0) {
        await awsCall("UpdateService", () => ecs.send(new UpdateServiceCommand({ cluster: deps.cluster, service: serviceName(obj), ...diff.update })));
        current = await reread(obj, deps, obj.spec.forceNewDeployment);
      }
      // Application Auto Scaling takes only a service that exists: its target comes second.
      const scaling = await observeScaling(obj, deps, current.service.desiredCount);
      return convergeScaling(obj, deps, { ...current, ...(scaling ? { scaling } : {}) });
    },

    async update(obj, deps, observed) {
      const diff = diffService(obj, deps, observed);
      if (diff.immutable.length > 0) {
        throw new ReconcileError(`cannot change ${diff.immutable.join(", ")} in place: ECS does not allow it; delete and recreate the service (or restore the field)`, "terminal", "InvalidSpec");
      }
      const cluster = deps.cluster;
      const service = serviceName(obj);
      if (diff.update.capacityProviderStrategy !== undefined) checkStrategy(obj, deps);
      if (Object.keys(diff.update).length > 0 || diff.forceNewDeployment) await checkLaunch(obj, deps);
      if (Object.keys(diff.update).length > 0 || diff.forceNewDeployment) {
        await awsCall("UpdateService", () => ecs.send(new UpdateServiceCommand({ cluster, service, ...diff.update, ...(diff.forceNewDeployment ? { forceNewDeployment: true } : {}) })));
      }
      await ecsTags(ecs, observed.service.serviceArn ?? "", diff.tags);
      if (diff.manual) await takeManualStep(diff.manual);
      const updated = await reread(obj, deps, obj.spec.forceNewDeployment ?? observed.forceNewDeployment);
      return convergeScaling(obj, deps, { ...updated, ...(observed.scaling ? { scaling: observed.scaling } : {}) });
    },

    async adopt(obj, deps, observed) {
      await awsCall("TagResource", () => ecs.send(new TagResourceCommand({ resourceArn: observed.service.serviceArn ?? "", tags: toLowerTagList(serviceTags(obj)) })));
      return reread(obj, deps, observed.forceNewDeployment);
    },

    async delete(obj, deps, observed) {
      const { service } = observed;
      // The scalable target first: Application Auto Scaling would otherwise keep the count up, and
      // the finalizer goes only once both are gone.
      await scaler.remove(obj, observed.scaling);
      if (service.status === "INACTIVE") return true;
      if (service.status === "DRAINING") return false;
      const cluster = deps.cluster;
      const name = serviceName(obj);
      // Scale to zero first so that tasks drain from their target groups before the service goes.
      if ((service.desiredCount ?? 0) > 0 && service.schedulingStrategy !== "DAEMON") {
        await awsCall("UpdateService", () => ecs.send(new UpdateServiceCommand({ cluster, service: name, desiredCount: 0 })));
      }
      const out = await awsCall("DeleteService", () => ecs.send(new DeleteServiceCommand({ cluster, service: name })));
      reader.invalidate(cluster, name);
      return out.service?.status === "INACTIVE";
    },

    status: (_obj, observed) => serviceStatus(observed),

    readiness: (obj, observed) => {
      const verdict = rolloutVerdict({
        service: observed.service,
        desiredTaskDefinition: observed.desiredTaskDefinition,
        ...(observed.failedTaskDefinition ? { knownFailedTaskDefinition: observed.failedTaskDefinition } : {}),
        ...(observed.rolloutDeployment ? { rolloutDeploymentId: observed.rolloutDeployment.id } : {}),
        ...(observed.release ? { release: observed.release } : {}),
      });
      // An Event at each stage of a release (kubectl describe tells the release's story).
      const moved = stageChange(obj.status?.release, observed.release, observed.desiredTaskDefinition);
      return moved === undefined ? verdict : { ...verdict, events: [{ reason: "ReleaseStage", message: moved }] };
    },
  };
}
