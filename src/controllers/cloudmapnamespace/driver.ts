import {
  CreateHttpNamespaceCommand,
  CreatePrivateDnsNamespaceCommand,
  CreatePublicDnsNamespaceCommand,
  DeleteNamespaceCommand,
  GetNamespaceCommand,
  paginateListNamespaces,
  TagResourceCommand,
  UpdateHttpNamespaceCommand,
  UpdatePrivateDnsNamespaceCommand,
  UpdatePublicDnsNamespaceCommand,
  type ServiceDiscoveryClient,
} from "@aws-sdk/client-servicediscovery";
import type { CloudMapNamespace } from "../../api/cloudmapnamespace.js";
import { awsCall, awsErrorName, unlessAbsent } from "../../aws/errors.js";
import { ownershipOf, toUpperTagList } from "../../aws/tags.js";
import { UNREFERENCED, type Driver } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import {
  awsNamespaceType,
  createNamespaceInput,
  describeDiff,
  diffNamespace,
  isNamed,
  KIND,
  namespaceReadiness,
  namespaceStatus,
  namespaceTags,
  trackedInStatus,
  type NamespaceObserved,
  type NamespaceView,
} from "./mapping.js";
import { applyCloudMapTags, getOperation, tagsOf } from "../../aws/cloudmap.js";
import { decideOnOperation, duplicateOperationId, operationFailure, type TrackedOperation } from "../../aws/cloudmap-operations.js";

/**
 * The thin I/O half of CloudMapNamespace; decisions are in mapping.ts and operations.ts.
 * `now` is injectable so that the polling pace can be tested.
 */
export function cloudMapNamespaceDriver(sd: ServiceDiscoveryClient, now: () => Date = () => new Date()): Driver<CloudMapNamespace, null, NamespaceObserved, Record<string, never>> {
  const getNamespace = async (id: string): Promise<NamespaceView | undefined> => {
    return (await unlessAbsent("GetNamespace", () => sd.send(new GetNamespaceCommand({ Id: id })), "NamespaceNotFound"))?.Namespace;
  };

  /**
   * The namespace this object describes: by the id already known, else by name and type. Names
   * are not unique for every type (private DNS names repeat across VPCs), so among several
   * candidates the one carrying this object's uid tag wins.
   */
  const find = async (obj: CloudMapNamespace, knownId: string | undefined): Promise<{ namespace: NamespaceView; tags: Record<string, string> } | undefined> => {
    if (knownId) {
      const namespace = await getNamespace(knownId);
      if (namespace && isNamed(obj, namespace)) return { namespace, tags: await tagsOf(sd, namespace.Arn) };
    }
    const candidates: NamespaceView[] = [];
    const filters = [
      { Name: "NAME" as const, Values: [obj.spec.name], Condition: "EQ" as const },
      { Name: "TYPE" as const, Values: [awsNamespaceType(obj)], Condition: "EQ" as const },
    ];
    // moto ignores the filters (AWS applies them), so the match is checked here as well.
    for await (const page of paginateListNamespaces({ client: sd }, { Filters: filters })) {
      candidates.push(...(page.Namespaces ?? []).filter((ns) => isNamed(obj, ns)));
    }
    let first: { namespace: NamespaceView; tags: Record<string, string> } | undefined;
    for (const namespace of candidates) {
      const tags = await tagsOf(sd, namespace.Arn);
      if (ownershipOf(tags, obj.metadata.uid) === "ours") return { namespace, tags };
      first ??= { namespace, tags };
    }
    return first;
  };

  /** Reads an operation the operator just started; finishes at once in moto, rarely in AWS. */
  const settle = async (obj: CloudMapNamespace, operationId: string): Promise<TrackedOperation | undefined> => {
    const tracked = { id: operationId, generation: obj.metadata.generation ?? 0 };
    const decision = decideOnOperation(await getOperation(sd, operationId), tracked, obj.metadata.generation);
    if (decision.next === "fail") throw decision.error;
    return decision.next === "wait" ? decision.operation : undefined;
  };

  const mustFind = async (obj: CloudMapNamespace, id: string | undefined): Promise<{ namespace: NamespaceView; tags: Record<string, string> }> => {
    const found = await find(obj, id);
    if (!found) throw new ReconcileError(`namespace ${obj.spec.name} not found right after writing it`, "retryable", "AwsError");
    return found;
  };

  const startCreate = async (obj: CloudMapNamespace): Promise<string | undefined> => {
    const request = createNamespaceInput(obj);
    switch (request.type) {
      case "DNS_PRIVATE":
        return (await awsCall("CreatePrivateDnsNamespace", () => sd.send(new CreatePrivateDnsNamespaceCommand(request.input)))).OperationId;
      case "DNS_PUBLIC":
        return (await awsCall("CreatePublicDnsNamespace", () => sd.send(new CreatePublicDnsNamespaceCommand(request.input)))).OperationId;
      case "HTTP":
        return (await awsCall("CreateHttpNamespace", () => sd.send(new CreateHttpNamespaceCommand(request.input)))).OperationId;
    }
  };

  const startDescriptionUpdate = async (obj: CloudMapNamespace, id: string): Promise<string | undefined> => {
    const Description = obj.spec.description ?? "";
    switch (obj.spec.type) {
      case "DnsPrivate":
        return (await awsCall("UpdatePrivateDnsNamespace", () => sd.send(new UpdatePrivateDnsNamespaceCommand({ Id: id, Namespace: { Description } })))).OperationId;
      case "DnsPublic":
        return (await awsCall("UpdatePublicDnsNamespace", () => sd.send(new UpdatePublicDnsNamespaceCommand({ Id: id, Namespace: { Description } })))).OperationId;
      case "Http":
        // moto answers this one with `operationId` (lower case), which reads as no operation:
        // there is then nothing to wait for, and the namespace is read back at once.
        return (await awsCall("UpdateHttpNamespace", () => sd.send(new UpdateHttpNamespaceCommand({ Id: id, Namespace: { Description } })))).OperationId;
    }
  };

  return {
    kind: KIND,
    ...UNREFERENCED,

    async observe(obj) {
      const tracked = trackedInStatus(obj);
      let operation: TrackedOperation | undefined;
      if (tracked) {
        const decision = decideOnOperation(await getOperation(sd, tracked.id), tracked, obj.metadata.generation);
        if (decision.next === "fail") throw decision.error;
        if (decision.next === "wait") operation = decision.operation;
      }
      const found = await find(obj, obj.status?.id ?? operation?.namespaceId);
      if (!found) {
        // Our own creation is under way: report it as existing so that nothing creates a second.
        if (operation) return { exists: true, ownership: "ours", differences: [], observed: { tags: {}, operation } };
        return { exists: false };
      }
      const { namespace, tags } = found;
      // While an operation runs, the namespace may not show its result yet; judge it afterwards.
      const differences = operation ? [] : describeDiff(diffNamespace(obj, namespace, tags));
      return { exists: true, ownership: ownershipOf(tags, obj.metadata.uid), differences, observed: { namespace, tags, ...(operation ? { operation } : {}) } };
    },

    async create(obj) {
      let operationId: string | undefined;
      try {
        operationId = await startCreate(obj);
      } catch (err) {
        // The same creator request id was sent before (a crash, or a lost answer): AWS names the
        // operation already under way, which is resumed rather than duplicated.
        const running = duplicateOperationId(err);
        if (running !== undefined) operationId = running;
        // Not visible to observe a moment ago; observe decides next time whose it is.
        else if (awsErrorName(err) === "NamespaceAlreadyExists") throw new ReconcileError(`namespace ${obj.spec.name} already exists; looking again`, "retryable", "AwsError", { cause: err });
        else throw err;
      }
      if (operationId === undefined) throw new ReconcileError("Cloud Map returned no OperationId for the namespace creation", "retryable", "AwsError");
      const operation = await settle(obj, operationId);
      if (operation) return { tags: namespaceTags(obj), operation };
      return mustFind(obj, undefined);
    },

    async update(obj, _deps, observed) {
      const { namespace } = observed;
      if (!namespace?.Id) throw new ReconcileError("cannot update a namespace that AWS has not finished creating", "retryable", "AwsError");
      const diff = diffNamespace(obj, namespace, observed.tags);
      await applyCloudMapTags(sd, namespace.Arn, diff.tags);
      const operationId = diff.description ? await startDescriptionUpdate(obj, namespace.Id) : undefined;
      const operation = operationId ? await settle(obj, operationId) : undefined;
      const fresh = await mustFind(obj, namespace.Id);
      return { ...fresh, ...(operation ? { operation } : {}) };
    },

    async adopt(obj, _deps, observed) {
      await awsCall("TagResource", () => sd.send(new TagResourceCommand({ ResourceARN: observed.namespace?.Arn, Tags: toUpperTagList(namespaceTags(obj)) })));
      return mustFind(obj, observed.namespace?.Id);
    },

    async delete(_obj, _deps, observed) {
      // A namespace being created or updated is deleted once that operation has finished.
      if (observed.operation || !observed.namespace?.Id) return false;
      const id = observed.namespace.Id;
      let operationId: string | undefined;
      try {
        operationId = (await awsCall("DeleteNamespace", () => sd.send(new DeleteNamespaceCommand({ Id: id })))).OperationId;
      } catch (err) {
        if (awsErrorName(err) === "NamespaceNotFound") return true;
        // Asked again while AWS is still deleting it (every poll does): follow that operation.
        const running = duplicateOperationId(err);
        if (running === undefined) throw err;
        operationId = running;
      }
      if (operationId === undefined) return false;
      const op = await getOperation(sd, operationId);
      // DuplicateRequest may name another operation on the namespace: only its deletion counts.
      if (op === undefined || op.Type !== "DELETE_NAMESPACE") return false;
      if (op.Status === "FAIL") {
        // Nothing in the spec can fix a failed deletion: retried with backoff, not terminal.
        const failure = operationFailure(op);
        throw new ReconcileError(failure.message, "retryable", "AwsError");
      }
      return op.Status === "SUCCESS";
    },

    status: (_obj, observed) => namespaceStatus(observed),

    readiness: (_obj, observed) => namespaceReadiness(observed, now()),
  };
}

