import type { ManagedObject, ManagedStatus } from "./driver.js";
import { hasStatusCode, type KubeClient } from "./kube-client.js";

/**
 * Our copy of the object was stale: a compare-and-swap (JSON patch `test`, resourceVersion)
 * failed. Nothing is wrong; the informer brings the fresh object and the reconcile runs again.
 */
export class StaleObjectError extends Error {
  constructor(what: string) {
    super(`stale object: ${what} raced with another write`);
    this.name = "StaleObjectError";
  }
}

/**
 * The only writes the operator makes to its own objects: finalizers and status, never spec; and
 * the deletion of an object whose kind asks for it (a finished EcsTask's ttlSecondsAfterFinished).
 */
export interface ObjectWriter {
  addFinalizer<T extends ManagedObject>(obj: T, finalizer: string): Promise<T>;
  removeFinalizer(obj: ManagedObject, finalizer: string): Promise<void>;
  replaceStatus(obj: ManagedObject, status: ManagedStatus): Promise<void>;
  /** Deletes this very object (its uid as a precondition, so a new object of the same name is never hit). */
  deleteObject(obj: ManagedObject): Promise<void>;
}

export interface WriteCounter {
  statusWrite(): void;
}

export function customObjectWriter(kube: KubeClient, resource: { group: string; version: string; plural: string }, counter?: WriteCounter): ObjectWriter {
  const pathOf = (obj: ManagedObject, sub = ""): string =>
    `/apis/${resource.group}/${resource.version}/namespaces/${encodeURIComponent(obj.metadata.namespace)}/${resource.plural}/${encodeURIComponent(obj.metadata.name)}${sub}`;
  const jsonPatch = <T>(path: string, body: unknown[]): Promise<T> => kube.request<T>({ method: "PATCH", path, body, patchType: "application/json-patch+json" });
  return {
    async addFinalizer(obj, finalizer) {
      // The resourceVersion test makes this a compare-and-swap: a concurrent writer's change to
      // the finalizer list is never overwritten.
      const body = [
        { op: "test", path: "/metadata/resourceVersion", value: obj.metadata.resourceVersion },
        obj.metadata.finalizers ? { op: "add", path: "/metadata/finalizers/-", value: finalizer } : { op: "add", path: "/metadata/finalizers", value: [finalizer] },
      ];
      try {
        return await jsonPatch<typeof obj>(pathOf(obj), body);
      } catch (err) {
        throw staleOr(err, "adding the finalizer");
      }
    },
    async removeFinalizer(obj, finalizer) {
      const index = (obj.metadata.finalizers ?? []).indexOf(finalizer);
      if (index < 0) return;
      const body = [
        { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
        { op: "remove", path: `/metadata/finalizers/${index}` },
      ];
      await ignoreNotFound(jsonPatch(pathOf(obj), body)).catch((err: unknown) => {
        throw staleOr(err, "removing the finalizer");
      });
    },
    async deleteObject(obj) {
      await ignoreNotFound(kube.request({ method: "DELETE", path: pathOf(obj), body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { uid: obj.metadata.uid } } }));
    },
    async replaceStatus(obj, status) {
      counter?.statusWrite();
      await ignoreNotFound(jsonPatch(pathOf(obj, "/status"), [{ op: "add", path: "/status", value: status }]));
    },
  };
}

/** A failed JSON patch `test` (422) or a resourceVersion conflict (409) means our copy was stale. */
function staleOr(err: unknown, what: string): unknown {
  return hasStatusCode(err, 409, 422) ? new StaleObjectError(what) : err;
}

/** The object may be gone by the time we write (deleted, finalizer removed): nothing to do. */
async function ignoreNotFound(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if (!hasStatusCode(err, 404)) throw err;
  }
}
