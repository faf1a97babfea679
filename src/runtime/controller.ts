import type { KubeAccess } from "./kube-config.js";
import type { Logger } from "pino";
import { setTimeout as sleep } from "node:timers/promises";
import { runCancellable } from "./cancellation.js";
import type { ManagedObject, PlacementChoice } from "./driver.js";
import type { EventRecorder } from "./events.js";
import { Informer, objectKey } from "./informer.js";
import type { KubeClient } from "./kube-client.js";
import { startCountingKind, type Metrics } from "./metrics.js";
import { customObjectWriter } from "./object-writer.js";
import { WorkQueue, WorkerPool } from "./queue.js";
import { FINALIZER, reconcile, refuse, type ReconcilerContext } from "./reconciler.js";
import type { Lookup } from "./references.js";

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
}

export interface ControllerOptions<Obj extends ManagedObject> {
  kind: string;
  resource: ResourceRef;
  /** Which driver serves the object (where its resource lives), or why none may. */
  place: (obj: Obj) => PlacementChoice;
  /**
   * The AWS quota (account and region) the object's calls count against, once known (after
   * startAfter): `workers` reconciles per kind run for each, taking turns, so that one throttled
   * account never holds every worker (docs/design.md, section 7).
   */
  shardOf?: (obj: Obj) => string;
  kubeConfig: KubeAccess;
  kube: KubeClient;
  lookup: Lookup;
  /** Namespaces to watch; empty means all. */
  namespaces: string[];
  workers: number;
  resyncMs: number;
  defaultDeletionPolicy?: "Delete" | "Retain";
  logger: Logger;
  metrics: Metrics;
  events: EventRecorder;
  /**
   * Called on every change of an object of this kind (status included) and on its removal;
   * `previous` is the cached object before an update (absent when it was added or removed).
   */
  onObjectChange?: (obj: Obj, removed: boolean, previous?: Obj) => void;
  /**
   * Workers start only when this resolves: the operator passes "every kind's cache has synced",
   * so that no reconcile decides on a half-built reference index (e.g. deletes a target group
   * whose service is simply not listed yet).
   */
  startAfter?: Promise<void>;
  /** See ReconcilerContext.blockingReferrers. */
  blockingReferrers?: (obj: ManagedObject) => string[];
}

export interface Controller<Obj extends ManagedObject = ManagedObject> {
  readonly kind: string;
  get(namespace: string, name: string): Obj | undefined;
  list(): Obj[];
  /** Queue an object for reconcile ahead of periodic re-checks, at once or after a delay. */
  enqueue(key: string, afterMs?: number): void;
  waitForSync(): Promise<void>;
  hasSynced(): boolean;
  /**
   * Stop taking work and stop watching. Reconciles in flight get `graceMs` to finish, then are
   * cancelled (their AWS and Kubernetes requests aborted); 0 cancels them at once, as when the
   * leader lease is lost and another replica may already be writing.
   */
  stop(graceMs?: number): Promise<void>;
  /** Resolves when the workers have stopped. */
  readonly done: Promise<void>;
}

/** How long cancelled reconciles get to unwind (their requests are aborted, so this is short). */
const UNWIND_MS = 2000;

/**
 * Watch → queue → workers → reconcile for one kind. Only spec changes (a new generation) and
 * deletions wake an object; the operator's own status writes do not, so a converged object costs
 * nothing until its timer for the periodic re-check fires.
 */
export function startController<Obj extends ManagedObject>(opts: ControllerOptions<Obj>): Controller<Obj> {
  const { kind, resource, metrics } = opts;
  const log = opts.logger.child({ kind });
  const shards = new Set<string>();
  let pool: WorkerPool | undefined;
  const queue = new WorkQueue({
    shardOf: (key) => {
      const obj = find(key);
      const shard = obj && opts.shardOf ? opts.shardOf(obj) : "";
      if (!shards.has(shard)) {
        shards.add(shard);
        pool?.add(opts.workers);
      }
      return shard;
    },
    perShard: opts.workers,
  });
  const cancellation = new AbortController();
  const paths = opts.namespaces.length === 0 ? [`/apis/${resource.group}/${resource.version}/${resource.plural}`] : opts.namespaces.map((ns) => `/apis/${resource.group}/${resource.version}/namespaces/${ns}/${resource.plural}`);
  startCountingKind(metrics, kind, resource.plural);
  const informers = paths.map(
    (path) =>
      new Informer<Obj>({
        kubeConfig: opts.kubeConfig,
        path,
        logger: log,
        onRestart: () => {
          metrics.watchRestartsTotal.inc({ resource: resource.plural });
        },
      }),
  );
  const writer = customObjectWriter(opts.kube, resource, {
    statusWrite: () => {
      metrics.statusWritesTotal.inc({ kind });
    },
  });

  const wake = (obj: Obj): void => {
    queue.add(objectKey(obj), "change");
  };
  for (const informer of informers) {
    informer.addHandler({
      onAdd: (obj) => {
        wake(obj);
        opts.onObjectChange?.(obj, false);
      },
      onUpdate: (obj, old) => {
        if (obj.metadata.generation !== old.metadata.generation || obj.metadata.deletionTimestamp !== old.metadata.deletionTimestamp) wake(obj);
        opts.onObjectChange?.(obj, false, old);
      },
      onDelete: (obj) => {
        opts.onObjectChange?.(obj, true);
      },
    });
    informer.start();
  }

  const find = (key: string): Obj | undefined => {
    for (const informer of informers) {
      const obj = informer.get(key);
      if (obj) return obj;
    }
    return undefined;
  };

  const handle = async (key: string): Promise<void> => {
    metrics.workqueueDepth.set({ kind }, queue.depth());
    const cached = find(key);
    if (!cached) {
      queue.forget(key);
      return;
    }
    // An object applied without a spec is valid (every field is optional); the drivers read {}.
    const obj = { ...cached, spec: cached.spec ?? {} } as Obj;
    if (obj.metadata.deletionTimestamp && !(obj.metadata.finalizers ?? []).includes(FINALIZER)) {
      queue.forget(key);
      return;
    }
    const end = metrics.reconcileDurationSeconds.startTimer({ kind });
    const ctx: ReconcilerContext = {
      writer,
      events: opts.events,
      logger: log.child({ key }),
      lookup: opts.lookup,
      resyncMs: opts.resyncMs,
      ...(opts.defaultDeletionPolicy ? { defaultDeletionPolicy: opts.defaultDeletionPolicy } : {}),
      ...(opts.blockingReferrers ? { blockingReferrers: opts.blockingReferrers } : {}),
    };
    const result = await runCancellable(cancellation.signal, () => {
      const choice = opts.place(obj);
      return "refusal" in choice ? refuse(obj, choice.refusal, ctx) : reconcile(obj, choice.driver, { ...ctx, placement: choice.status });
    });
    end();
    switch (result.outcome) {
      case "cancelled":
        return;
      case "waiting":
        // Something outside the operator's view is missing: look again less and less often.
        metrics.reconcileTotal.inc({ kind, result: "waiting" });
        queue.addRateLimited(key);
        return;
      case "error": {
        const errorClass = result.error?.errorClass ?? "retryable";
        metrics.reconcileTotal.inc({ kind, result: "error" });
        metrics.reconcileErrorsTotal.inc({ kind, class: errorClass });
        if (errorClass === "terminal") {
          // Not retried until the spec changes: the informer wakes the object on a new generation.
          queue.forget(key);
        } else {
          metrics.workqueueRetriesTotal.inc({ kind });
          queue.addRateLimited(key);
        }
        return;
      }
      case "success":
        metrics.reconcileTotal.inc({ kind, result: "success" });
        queue.forget(key);
        if (result.requeueAfterMs !== undefined) queue.addAfter(key, result.requeueAfterMs, "resync");
    }
  };

  const done = (opts.startAfter ?? Promise.resolve()).then(() => {
    // What was queued before the caches synced goes to the shards it belongs to now.
    shards.clear();
    queue.reshard();
    pool = new WorkerPool(queue, handle, (key, err) => {
      log.error({ key, err }, "reconcile threw past the reconciler; the object waits for its next change");
    });
    pool.add(opts.workers * Math.max(1, shards.size));
    return pool.done();
  });

  return {
    kind,
    get: (namespace, name) => find(`${namespace}/${name}`),
    list: () => informers.flatMap((i) => i.list()),
    enqueue: (key, afterMs = 0) => {
      queue.addAfter(key, afterMs, "change");
    },
    waitForSync: async () => {
      await Promise.all(informers.map((i) => i.waitForSync()));
    },
    hasSynced: () => informers.every((i) => i.hasSynced()),
    async stop(graceMs = 0) {
      queue.shutDown();
      const finished = await Promise.race([queue.drain().then(() => true), sleep(graceMs, undefined, { ref: false }).then(() => false)]);
      if (!finished) {
        log.warn({ inFlight: queue.inFlight() }, "cancelling reconciles still in flight");
        cancellation.abort(new Error("the controller is stopping"));
        await Promise.race([queue.drain(), sleep(UNWIND_MS, undefined, { ref: false })]);
      }
      await Promise.all(informers.map((i) => i.stop()));
    },
    done,
  };
}
