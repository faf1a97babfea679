import type { Condition, ObjectMeta } from "./object.js";
import type { DesiredCondition } from "./conditions.js";
import type { ReferenceFields, ReferenceValues } from "./references.js";

/** The fields of a managed object the generic reconciler reads; kinds add their own. */
export interface ManagedSpec {
  deletionPolicy?: "Delete" | "Retain";
  managementPolicy?: "Manage" | "Observe";
  adopt?: boolean;
}

export interface ManagedStatus {
  observedGeneration?: number;
  conditions?: Condition[];
  [field: string]: unknown;
}

export interface ManagedObject<Spec extends ManagedSpec = ManagedSpec, Status extends ManagedStatus = ManagedStatus> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: Spec;
  status?: Status;
}

/** What a driver found for an object's external resource. */
export type Observation<Observed> =
  | { exists: false }
  | {
      exists: true;
      /** Whose resource it is, from its ownership tags. */
      ownership: "ours" | "unowned" | "foreign";
      /** Human-readable differences between the spec and the resource; empty when up to date. */
      differences: string[];
      observed: Observed;
    };

export type Existing<Observed> = Extract<Observation<Observed>, { exists: true }>;

/** A deletion that cannot tell where the resource is, and so must not conclude that it is gone. */
export interface Unlocated {
  unlocated: string;
}

/** The kind's own verdict on an existing, owned, up-to-date resource (e.g. a rollout under way). */
export interface Readiness {
  ready: boolean;
  /** A CamelCase reason: the runtime's own (conditions.ts) or one the kind contributes. */
  reason: string;
  message: string;
  /** The kind reports a failure of its own (e.g. a rollout rolled back): a Warning Event on the change. */
  failure?: boolean;
  /** Extra conditions such as Progressing. */
  conditions?: DesiredCondition[];
  /** Look again sooner than the periodic re-check (a rollout, an async operation). */
  recheckAfterMs?: number;
  /** A Normal Event when the Ready reason becomes this one (e.g. a run completed). */
  announce?: boolean;
  /**
   * Delete the object itself this long from now (0: now), as a finished Job's
   * ttlSecondsAfterFinished does; the one case in which the operator deletes an object.
   */
  deleteObjectAfterMs?: number;
  /** Normal Events to record with this status, e.g. a rollout that reached a new stage. */
  events?: { reason: string; message: string }[];
}

/** The spec of an object, as a driver's reference declarations read it. */
export type SpecOf<Obj extends ManagedObject> = NonNullable<Obj["spec"]>;

/**
 * One kind's connection to the outside world, in the manner of Crossplane's external client:
 * the generic reconciler resolves the declared references, then calls observe and at most one of
 * create / update / delete. Every method may throw a ReconcileError carrying its class; anything
 * else is classified by the operator's error classifier (transient unless known otherwise).
 */
export interface Driver<Obj extends ManagedObject, Deps, Observed, R extends ReferenceFields<SpecOf<Obj>> = ReferenceFields<SpecOf<Obj>>> {
  readonly kind: string;
  /**
   * The objects this kind names in its spec, declared once. The runtime resolves them (waiting
   * until each is Ready), wakes the object when what it reads of them changes, and holds their
   * deletion in AWS while this object exists.
   */
  readonly references: R;
  /**
   * A run-to-completion kind whose run has finished (EcsTask): its references are no longer
   * waited for (a TaskDefinition rolling to a new revision must not make a finished run wait),
   * and the converge reads them as a deletion does, whatever their readiness.
   */
  finished?(obj: Obj): boolean;
  /** The identities a converge needs, from the spec's literal fields and the resolved references. Pure. */
  resolve(obj: Obj, refs: ReferenceValues<R>): Deps;
  /**
   * The deletion contract. Where the AWS resource of an object being deleted is: from the
   * identity in status first, then the spec's literal fields, then `refs` — the referenced
   * objects' status whatever their readiness, undefined where one is gone. When that cannot be
   * said for certain, return `{ unlocated: why }`: the object then waits with a Deleting condition
   * saying why and keeps its finalizer, since concluding "gone" could orphan the resource.
   */
  locate(obj: Obj, refs: ReferenceValues<R>): Deps | Unlocated;
  observe(obj: Obj, deps: Deps): Promise<Observation<Observed>>;
  /** Must be idempotent across crashes: a create whose answer was lost must not duplicate. */
  create(obj: Obj, deps: Deps): Promise<Observed>;
  update(obj: Obj, deps: Deps, observed: Observed): Promise<Observed>;
  /** Put ownership tags on an unowned resource the user asked us to adopt. */
  adopt(obj: Obj, deps: Deps, observed: Observed): Promise<Observed>;
  /**
   * Returns true once the resource is proven gone; false while deletion is still under way in
   * AWS; `{ waiting }` while something else must go first (named in the message). The reconciler
   * looks again in the last two cases. Only called for a resource observe found and that is ours.
   */
  delete(obj: Obj, deps: Deps, observed: Observed): Promise<boolean | { waiting: string }>;
  /** The kind-specific status fields (arn, counts, ...) from what was observed. */
  status(obj: Obj, observed: Observed): Record<string, unknown>;
  readiness(obj: Obj, observed: Observed): Readiness;
}

/**
 * The reference part of a driver for a kind that names no other object: nothing to resolve, and
 * its own spec and status are all its deletion needs.
 */
export const UNREFERENCED = { references: {}, resolve: (): null => null, locate: (): null => null } as const;

export function isUnlocated(located: unknown): located is Unlocated {
  return typeof located === "object" && located !== null && "unlocated" in located;
}

/**
 * Where an object's external resource lives, as the operator decided it (for this operator an AWS
 * account and region): the driver that serves that place, and the fields written into the
 * object's status to say so. A reference to an object whose status names another place is refused.
 */
export interface Placement {
  driver: AnyDriver;
  status: Readonly<Record<string, string>>;
}

/** The object may not be served (e.g. its namespace is not granted the place it names): nothing is called. */
export interface Refusal {
  reason: string;
  message: string;
}

export type PlacementChoice = Placement | { refusal: Refusal };

/** A driver of any kind, as the runtime holds it once the kind's types have been checked. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyDriver = Driver<any, any, any, any>;
