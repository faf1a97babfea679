import type { Condition, ObjectMeta } from "../api/common.js";
import type { DesiredCondition } from "./conditions.js";

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

/** References resolved to the identities a driver needs, or the dependency still awaited. */
export type Resolution<Deps> = { ready: true; deps: Deps } | { ready: false; waitingFor: string };

/** The kind's own verdict on an existing, owned, up-to-date resource (e.g. a rollout under way). */
export interface Readiness {
  ready: boolean;
  reason: DesiredCondition["reason"];
  message: string;
  /** Extra conditions such as Progressing. */
  conditions?: DesiredCondition[];
  /** Look again sooner than the periodic re-check (a rollout, an async operation). */
  recheckAfterMs?: number;
}

/**
 * One kind's connection to the outside world, in the manner of Crossplane's external client:
 * the generic reconciler calls observe first and then at most one of create / update / delete.
 * Every method may throw a ReconcileError carrying its class; anything else counts as retryable.
 */
export interface Driver<Obj extends ManagedObject, Deps, Observed> {
  readonly kind: string;
  /** Resolve references to other objects (read from caches, never from AWS). */
  resolve(obj: Obj): Resolution<Deps>;
  observe(obj: Obj, deps: Deps): Promise<Observation<Observed>>;
  /** Must be idempotent across crashes: a create whose answer was lost must not duplicate. */
  create(obj: Obj, deps: Deps): Promise<Observed>;
  update(obj: Obj, deps: Deps, observed: Observed): Promise<Observed>;
  /** Put ownership tags on an unowned resource the user asked us to adopt. */
  adopt(obj: Obj, deps: Deps, observed: Observed): Promise<Observed>;
  /** Returns true once the resource is gone; false while deletion is still under way in AWS. */
  delete(obj: Obj, deps: Deps, observed: Observed): Promise<boolean>;
  /** The kind-specific status fields (arn, counts, ...) from what was observed. */
  status(obj: Obj, observed: Observed | undefined): Record<string, unknown>;
  readiness(obj: Obj, observed: Observed): Readiness;
}
