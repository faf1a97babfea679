import { CustomObjectsApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import type { ManagedObject, ManagedStatus } from "./driver.js";

/** The only writes the operator makes to its own objects: finalizers and status, never spec. */
export interface ObjectWriter {
  addFinalizer<T extends ManagedObject>(obj: T, finalizer: string): Promise<T>;
  removeFinalizer(obj: ManagedObject, finalizer: string): Promise<void>;
  replaceStatus(obj: ManagedObject, status: ManagedStatus): Promise<void>;
}

export interface WriteCounter {
  statusWrite(): void;
}

export function customObjectWriter(kubeConfig: KubeConfig, resource: { group: string; version: string; plural: string }, counter?: WriteCounter): ObjectWriter {
  const api = kubeConfig.makeApiClient(CustomObjectsApi);
  const jsonPatch = setHeaderOptions("Content-Type", PatchStrategy.JsonPatch);
  const target = (obj: ManagedObject) => ({ ...resource, namespace: obj.metadata.namespace, name: obj.metadata.name });
  return {
    async addFinalizer(obj, finalizer) {
      // The resourceVersion test makes this a compare-and-swap: a concurrent writer's change to
      // the finalizer list is never overwritten.
      const body = [
        { op: "test", path: "/metadata/resourceVersion", value: obj.metadata.resourceVersion },
        obj.metadata.finalizers ? { op: "add", path: "/metadata/finalizers/-", value: finalizer } : { op: "add", path: "/metadata/finalizers", value: [finalizer] },
      ];
      return (await api.patchNamespacedCustomObject({ ...target(obj), body }, jsonPatch)) as typeof obj;
    },
    async removeFinalizer(obj, finalizer) {
      const index = (obj.metadata.finalizers ?? []).indexOf(finalizer);
      if (index < 0) return;
      const body = [
        { op: "test", path: `/metadata/finalizers/${index}`, value: finalizer },
        { op: "remove", path: `/metadata/finalizers/${index}` },
      ];
      await ignoreNotFound(api.patchNamespacedCustomObject({ ...target(obj), body }, jsonPatch));
    },
    async replaceStatus(obj, status) {
      counter?.statusWrite();
      await ignoreNotFound(api.patchNamespacedCustomObjectStatus({ ...target(obj), body: [{ op: "add", path: "/status", value: status }] }, jsonPatch));
    },
  };
}

/** The object may be gone by the time we write (deleted, finalizer removed): nothing to do. */
async function ignoreNotFound(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
  }
}
