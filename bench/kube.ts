import { CoreV1Api, CustomObjectsApi, KubernetesObjectApi, PatchStrategy, setHeaderOptions, type KubeConfig } from "@kubernetes/client-node";
import { GROUP, VERSION } from "../src/api/common.js";
import { isReady } from "../src/runtime/conditions.js";
import type { ManagedObject } from "../src/runtime/driver.js";
import { Informer } from "../src/runtime/informer.js";
import { PLURALS, type Manifest } from "./fleet.js";
import { epochMs } from "./measure.js";

export const FIELD_MANAGER = "ecs-operator-bench";

export async function createNamespace(kc: KubeConfig, name: string): Promise<void> {
  await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name } } });
}

/** Server-side applies every manifest, `concurrency` requests in flight at a time. */
export async function applyAll(kc: KubeConfig, manifests: readonly Manifest[], concurrency: number): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(kc);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let m = manifests[next++]; m !== undefined; m = manifests[next++]) {
      await api.patch(m, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, manifests.length) }, worker));
}

/** Server-side applies one manifest; resolves with the object as the API server stored it. */
export async function applyOne(kc: KubeConfig, manifest: Manifest): Promise<ManagedObject> {
  const stored: unknown = await KubernetesObjectApi.makeApiClient(kc).patch(manifest, undefined, undefined, FIELD_MANAGER, true, PatchStrategy.ServerSideApply);
  return stored as ManagedObject;
}

/** A JSON merge patch of one object's spec; resolves with the object as the API server stored it. */
export async function patchSpec(kc: KubeConfig, namespace: string, kind: string, name: string, spec: Record<string, unknown>): Promise<ManagedObject> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const plural = PLURALS[kind] ?? "";
  return (await api.patchNamespacedCustomObject({ group: GROUP, version: VERSION, plural, namespace, name, body: { spec } }, setHeaderOptions("Content-Type", PatchStrategy.MergePatch))) as ManagedObject;
}

export async function deleteObject(kc: KubeConfig, namespace: string, kind: string, name: string): Promise<void> {
  await kc.makeApiClient(CustomObjectsApi).deleteNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURALS[kind] ?? "", namespace, name });
}

/** Ready=True for the object's current generation. */
export function converged(obj: ManagedObject): boolean {
  return isReady(obj.status, obj.metadata.generation);
}

const keyOf = (obj: ManagedObject): string => `${obj.kind}/${obj.metadata.name}`;

/**
 * Watches every kind of the fleet in one namespace (a list, then a watch: no per-object GETs) and
 * keeps count of converged objects and of every change the API server reports.
 */
export class FleetWatch {
  private readonly informers = new Map<string, Informer<ManagedObject>>();
  private readonly ready = new Set<string>();
  private readonly waiters = new Set<() => void>();
  /** Updates of existing objects the watches delivered (status writes, finalizers, spec changes). */
  updatesSeen = 0;
  /** The objects of the most recent updates, oldest first, for telling what changed. */
  readonly recentUpdates: string[] = [];
  /** When the count of converged objects last changed (epoch ms). */
  lastReadyChange = 0;

  constructor(
    kc: KubeConfig,
    readonly namespace: string,
  ) {
    for (const [kind, plural] of Object.entries(PLURALS)) {
      const informer = new Informer<ManagedObject>({ kubeConfig: kc, path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${plural}` });
      informer.addHandler({
        onAdd: (obj) => {
          this.note({ ...obj, kind });
        },
        onUpdate: (obj) => {
          this.updatesSeen += 1;
          this.recentUpdates.push(`${kind}/${obj.metadata.name}`);
          if (this.recentUpdates.length > 50) this.recentUpdates.shift();
          this.note({ ...obj, kind });
        },
        onDelete: (obj) => {
          this.ready.delete(keyOf({ ...obj, kind }));
          this.lastReadyChange = epochMs();
          this.wake();
        },
      });
      this.informers.set(kind, informer);
    }
  }

  async start(): Promise<void> {
    for (const informer of this.informers.values()) informer.start();
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync()));
  }

  async stop(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.stop()));
  }

  get(kind: string, name: string): ManagedObject | undefined {
    return this.informers.get(kind)?.get(`${this.namespace}/${name}`);
  }

  list(): ManagedObject[] {
    return [...this.informers.entries()].flatMap(([kind, i]) => i.list().map((o) => ({ ...o, kind })));
  }

  readyCount(): number {
    return this.ready.size;
  }

  total(): number {
    let n = 0;
    for (const i of this.informers.values()) n += i.list().length;
    return n;
  }

  /** Objects whose last reconcile failed (Synced=False for a reason other than waiting). */
  inError(): { key: string; reason: string; message: string }[] {
    return this.list().flatMap((o) => {
      const synced = o.status?.conditions?.find((c) => c.type === "Synced");
      return synced?.status === "False" && synced.reason !== "WaitingForDependency" ? [{ key: keyOf(o), reason: synced.reason, message: synced.message }] : [];
    });
  }

  /** A few objects that are not converged, with the reason their Ready condition gives. */
  stragglers(limit = 5): string[] {
    return this.list()
      .filter((o) => !converged(o))
      .slice(0, limit)
      .map((o) => {
        const r = o.status?.conditions?.find((c) => c.type === "Ready");
        return `${keyOf(o)}: ${r ? `${r.reason}: ${r.message}` : "no status yet"}`;
      });
  }

  /** Resolves once `check` holds, re-evaluated on every change the watches deliver. */
  async until<T>(check: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> {
    const first = check();
    if (first !== undefined) return first;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${String(Math.round(timeoutMs / 1000))} s waiting for ${describe()}`));
      }, timeoutMs);
      const waiter = (): void => {
        const value = check();
        if (value === undefined) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(value);
      };
      this.waiters.add(waiter);
    });
  }

  /** Resolves with the time (epoch ms) at which `count` objects were converged. */
  allConverged(count: number, timeoutMs: number): Promise<number> {
    return this.until(() => (this.ready.size >= count ? this.lastReadyChange : undefined), timeoutMs, () => `${String(count)} converged objects (${String(this.ready.size)} so far; e.g. ${this.stragglers().join("; ")})`);
  }

  private note(obj: ManagedObject): void {
    const key = keyOf(obj);
    const was = this.ready.has(key);
    const is = converged(obj);
    if (is) this.ready.add(key);
    else this.ready.delete(key);
    if (was !== is) this.lastReadyChange = epochMs();
    this.wake();
  }

  private wake(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
