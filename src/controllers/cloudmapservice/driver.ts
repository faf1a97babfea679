import {
  CreateServiceCommand,
  DeleteServiceCommand,
  GetServiceCommand,
  paginateListServices,
  ServiceAlreadyExists,
  TagResourceCommand,
  UpdateServiceCommand,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import type { CloudMapService } from "../../api/cloudmapservice.js";
import { awsCall, unlessAbsent } from "../../aws/errors.js";
import { ownershipOf, toUpperTagList } from "../../aws/tags.js";
import type { Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import { applyCloudMapTags, getOperation, tagsOf } from "../../aws/cloudmap.js";
import { decideOnOperation, duplicateOperationId, type TrackedOperation } from "../../aws/cloudmap-operations.js";
import {
  createServiceInput,
  describeDiff,
  diffService,
  cloudMapServiceReferences,
  isNamed,
  KIND,
  locateService,
  resolveNamespace,
  serviceCreatorRequestId,
  serviceReadiness,
  serviceStatus,
  serviceTags,
  updateServiceInput,
  type ServiceDeps,
  type ServiceObserved,
  type ServiceView,
} from "./mapping.js";

/**
 * The thin I/O half of CloudMapService; decisions are in mapping.ts. CreateService and
 * DeleteService are synchronous; UpdateService is not, but its operation is not kept in status:
 * the service reads back what was asked, and asking again while AWS is still applying it is
 * refused with DuplicateRequest naming that operation, which is then followed instead.
 */
export function cloudMapServiceDriver(sd: ServiceDiscoveryClient, now: () => Date = () => new Date()): Driver<CloudMapService, ServiceDeps, ServiceObserved, typeof cloudMapServiceReferences> {
  const getService = async (id: string): Promise<ServiceView | undefined> => {
    return (await unlessAbsent("GetService", () => sd.send(new GetServiceCommand({ Id: id })), "ServiceNotFound"))?.Service;
  };

  /**
   * The service by the id already known, else by name in the namespace. ListServices' summaries
   * carry no NamespaceId (AWS filters by it; moto ignores the filter), so each candidate is read
   * with GetService to check where it lives. Among several, the one with this object's uid wins.
   */
  const find = async (obj: CloudMapService, namespaceId: string | undefined): Promise<{ service: ServiceView; tags: Record<string, string> } | undefined> => {
    const knownId = obj.status?.id;
    if (knownId) {
      const service = await getService(knownId);
      if (service && isNamed(obj, service) && (namespaceId === undefined || service.NamespaceId === namespaceId)) return { service, tags: await tagsOf(sd, service.Arn) };
    }
    if (namespaceId === undefined) return undefined;
    const ids: string[] = [];
    for await (const page of paginateListServices({ client: sd }, { Filters: [{ Name: "NAMESPACE_ID", Values: [namespaceId], Condition: "EQ" }] })) {
      ids.push(...(page.Services ?? []).filter((s) => isNamed(obj, s) && s.Id !== undefined).map((s) => s.Id ?? ""));
    }
    let first: { service: ServiceView; tags: Record<string, string> } | undefined;
    for (const id of ids) {
      const service = await getService(id);
      if (service?.NamespaceId !== namespaceId) continue;
      const tags = await tagsOf(sd, service.Arn);
      if (ownershipOf(tags, obj.metadata.uid) === "ours") return { service, tags };
      first ??= { service, tags };
    }
    return first;
  };

  const mustFind = async (obj: CloudMapService, namespaceId: string | undefined): Promise<{ service: ServiceView; tags: Record<string, string> }> => {
    const found = await find(obj, namespaceId);
    if (!found) throw new ReconcileError(`Cloud Map service ${obj.spec.name ?? obj.metadata.name} not found right after writing it`, "retryable", "AwsError");
    return found;
  };

  const startUpdate = async (obj: CloudMapService, id: string): Promise<string | undefined> => {
    try {
      return (await awsCall("UpdateService", () => sd.send(new UpdateServiceCommand(updateServiceInput(obj, id))))).OperationId;
    } catch (err) {
      const running = duplicateOperationId(err);
      if (running === undefined) throw err;
      return running;
    }
  };

  return {
    kind: KIND,
    references: cloudMapServiceReferences,
    resolve: resolveNamespace,
    locate: locateService,

    async observe(obj, deps) {
      const found = await find(obj, deps.namespaceId);
      if (!found) return { exists: false };
      const { service, tags } = found;
      return { exists: true, ownership: ownershipOf(tags, obj.metadata.uid), differences: describeDiff(obj, service, diffService(obj, service, tags)), observed: { service, tags } };
    },

    async create(obj, deps) {
      const { namespaceId } = deps;
      if (namespaceId === undefined) throw new ReconcileError("no Cloud Map namespace to create the service in", "retryable", "WaitingForDependency");
      try {
        const out = await awsCall("CreateService", () => sd.send(new CreateServiceCommand(createServiceInput(obj, namespaceId))));
        if (!out.Service) throw new ReconcileError("CreateService returned no service", "retryable", "AwsError");
        return { service: out.Service, tags: serviceTags(obj) };
      } catch (err) {
        const cause = err instanceof ReconcileError ? err.cause : err;
        // Our own earlier CreateService, whose answer was lost: that service is the one.
        if (cause instanceof ServiceAlreadyExists && cause.CreatorRequestId === serviceCreatorRequestId(obj) && cause.ServiceId) {
          const service = await getService(cause.ServiceId);
          if (service) return { service, tags: await tagsOf(sd, service.Arn) };
        }
        // Someone else's, not visible to observe a moment ago: observe reports it next time.
        if (cause instanceof ServiceAlreadyExists) throw new ReconcileError(`Cloud Map service already exists: ${cause.message}`, "retryable", "AwsError", { cause });
        throw err;
      }
    },

    async update(obj, deps, observed) {
      const { service } = observed;
      const diff = diffService(obj, service, observed.tags);
      await applyCloudMapTags(sd, service.Arn, diff.tags);
      let operation: TrackedOperation | undefined;
      const operationId = (diff.description || diff.dnsRecords) && service.Id ? await startUpdate(obj, service.Id) : undefined;
      if (operationId !== undefined) {
        const decision = decideOnOperation(await getOperation(sd, operationId), { id: operationId, generation: obj.metadata.generation ?? 0 }, obj.metadata.generation);
        if (decision.next === "fail") throw decision.error;
        if (decision.next === "wait") operation = decision.operation;
      }
      const fresh = await mustFind(obj, deps.namespaceId ?? service.NamespaceId);
      return { ...fresh, ...(operation ? { operation } : {}) };
    },

    async adopt(obj, deps, observed) {
      await awsCall("TagResource", () => sd.send(new TagResourceCommand({ ResourceARN: observed.service.Arn, Tags: toUpperTagList(serviceTags(obj)) })));
      return mustFind(obj, deps.namespaceId ?? observed.service.NamespaceId);
    },

    async delete(_obj, _deps, observed) {
      await unlessAbsent("DeleteService", () => sd.send(new DeleteServiceCommand({ Id: observed.service.Id })), "ServiceNotFound");
      return true;
    },

    status: (_obj, observed) => serviceStatus(observed),

    readiness: (_obj, observed) => serviceReadiness(observed, now()),
  };
}
