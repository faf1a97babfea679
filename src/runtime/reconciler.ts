import type { Logger } from "pino";
import { isDeepStrictEqual } from "node:util";
import { isCancelled } from "./cancellation.js";
import { findCondition, mergeConditions, type DesiredCondition } from "./conditions.js";
import { isUnlocated, type Driver, type Refusal, type Existing, type ManagedObject, type ManagedStatus, type Observation, type Readiness } from "./driver.js";
import { asReconcileError, ReconcileError, UNCLASSIFIED } from "./errors.js";
import type { EventRecorder } from "./events.js";
import { StaleObjectError, type ObjectWriter } from "./object-writer.js";
import { locateReferences, resolveReferences, type Lookup, type ReferenceFields } from "./references.js";

export const FINALIZER = "ecs.operator.dev/finalizer";

/** Long enough for the informer to deliver the write that made our copy stale. */
const STALE_RETRY_MS = 250;

export interface ReconcileResult {
  /**
   * success: converged or waiting on a timer; waiting: something outside the operator's view is
   * missing (retried with backoff, not an error); error: failed, see `error`; cancelled: the
   * reconcile was abandoned (shutdown, lost lease) and nothing more was written.
   */
  outcome: "success" | "waiting" | "error" | "cancelled";
  /** When to look again; undefined means only on the next change (terminal failures). */
  requeueAfterMs?: number;
  error?: ReconcileError;
}

export interface ReconcilerContext {
  writer: ObjectWriter;
  events: EventRecorder;
  logger: Logger;
  /** The other kinds' caches, for the driver's declared references. */
  lookup: Lookup;
  /** The periodic re-check interval before jitter. */
  resyncMs: number;
  /** Delay between checks while AWS deletes something asynchronously. */
  deletePollMs?: number;
  /** For objects that do not set spec.deletionPolicy (default Delete). */
  defaultDeletionPolicy?: "Delete" | "Retain";
  /** Objects that still use this one and must go first (e.g. the service on a target group). */
  blockingReferrers?: (obj: ManagedObject) => string[];
  /** Where the object's resource lives (written into status; references elsewhere are refused). */
  placement?: Readonly<Record<string, string>>;
  now?: () => Date;
  random?: () => number;
}

/**
 * The generic reconcile of one object, in the order docs/design.md gives: references, finalizer,
 * observe, create or update, status, next look. It alone turns errors into conditions and requeue
 * decisions; the driver only talks to the outside world.
 *
 * Status has two parts: the conditions, and the kind's observed fields (the AWS identity among
 * them). Only an observation of the resource rewrites the kind's fields; every other status write
 * (waiting, conflict, failure, deletion under way) changes conditions alone, so the identity that
 * deletion needs is never erased.
 */
export async function reconcile<Obj extends ManagedObject, Deps, Observed, R extends ReferenceFields<NonNullable<Obj["spec"]>>>(
  obj: Obj,
  driver: Driver<Obj, Deps, Observed, R>,
  ctx: ReconcilerContext,
): Promise<ReconcileResult> {
  const log = ctx.logger;
  try {
    if (obj.metadata.deletionTimestamp) return await finalize(obj, driver, ctx);
    if (terminallyFailed(obj)) {
      log.debug("spec was rejected terminally at this generation; waiting for a spec change");
      return { outcome: "success" };
    }
    return await converge(obj, driver, ctx);
  } catch (err) {
    // Abandoned on purpose: another replica may lead by now, so not even the status is written.
    if (isCancelled()) return { outcome: "cancelled" };
    if (err instanceof StaleObjectError) {
      log.debug({ err: err.message }, "retrying with the fresh object");
      return { outcome: "success", requeueAfterMs: STALE_RETRY_MS };
    }
    const error = asReconcileError(err);
    if (error.reason === "WaitingForDependency") {
      log.info({ err: error.message }, "waiting for something outside the operator's view");
      await waitWithConditions(obj, error.message, ctx).catch((writeErr: unknown) => {
        log.warn({ err: writeErr }, "could not write status");
      });
      return { outcome: "waiting", error };
    }
    log.warn({ errorClass: error.errorClass, reason: error.reason, err: error.message }, "reconcile failed");
    await writeFailureStatus(obj, error, ctx);
    ctx.events.warning(obj, error.reason, error.message);
    return { outcome: "error", error };
  }
}

function managementOf(obj: ManagedObject): "Manage" | "Observe" {
  return obj.spec?.managementPolicy ?? "Manage";
}

/** A spec AWS rejected stays rejected until the user changes it: no retry storm (docs/design.md, promise 7). */
function terminallyFailed(obj: ManagedObject): boolean {
  const synced = findCondition(obj.status?.conditions, "Synced");
  return synced?.status === "False" && synced.reason === "InvalidSpec" && synced.observedGeneration === obj.metadata.generation;
}

async function converge<Obj extends ManagedObject, Deps, Observed, R extends ReferenceFields<NonNullable<Obj["spec"]>>>(
  obj: Obj,
  driver: Driver<Obj, Deps, Observed, R>,
  ctx: ReconcilerContext,
): Promise<ReconcileResult> {
  const manage = managementOf(obj) === "Manage";
  const resolution = driver.finished?.(obj) === true
    ? { ready: true as const, values: locateReferences(obj, driver.references, ctx.lookup) }
    : resolveReferences(obj, driver.references, ctx.lookup, ctx.placement);
  if (!resolution.ready) {
    // No finalizer yet if nothing was ever written: an object that only ever waited deletes at once.
    await waitWithConditions(obj, `waiting for ${resolution.waitingFor}`, ctx);
    return { outcome: "success", requeueAfterMs: ctx.resyncMs };
  }
  if (manage && !(obj.metadata.finalizers ?? []).includes(FINALIZER)) {
    // Before any AWS write: a resource created without the finalizer could be orphaned by a delete.
    obj = await ctx.writer.addFinalizer(obj, FINALIZER);
  }
  const deps = driver.resolve(obj, resolution.values);
  const observation = await driver.observe(obj, deps);

  if (!manage) return observeOnly(obj, driver, observation, ctx);

  let current: Existing<Observed>;
  if (!observation.exists) {
    const created = await driver.create(obj, deps);
    ctx.events.normal(obj, "Created", `created ${driver.kind} in AWS`);
    current = { exists: true, ownership: "ours", differences: [], observed: created };
  } else if (observation.ownership === "foreign") {
    return conflict(obj, "an AWS resource of this name is owned by another object (its ecs-operator.dev/uid tag differs); it is left untouched", ctx);
  } else if (observation.ownership === "unowned") {
    if (obj.spec?.adopt !== true) {
      return conflict(obj, "an AWS resource of this name already exists without ecs-operator owner tags; set spec.adopt: true to take it over", ctx);
    }
    await driver.adopt(obj, deps, observation.observed);
    ctx.events.normal(obj, "Adopted", `adopted the existing ${driver.kind} in AWS`);
    const adopted = await driver.observe(obj, deps);
    if (!adopted.exists) throw new ReconcileError("the adopted resource disappeared", "retryable", UNCLASSIFIED);
    current = adopted;
  } else {
    current = observation;
  }

  if (current.differences.length > 0) {
    // The spec did not change since the last successful sync, so AWS moved: that is drift.
    const drift = obj.status?.observedGeneration === obj.metadata.generation && findCondition(obj.status?.conditions, "Synced")?.status === "True";
    const updated = await driver.update(obj, deps, current.observed);
    const summary = current.differences.join("; ");
    if (drift) ctx.events.normal(obj, "DriftCorrected", `corrected drift in AWS: ${summary}`);
    else ctx.events.normal(obj, "Updated", `updated ${driver.kind} in AWS: ${summary}`);
    current = { ...current, differences: [], observed: updated };
  }

  const readiness = driver.readiness(obj, current.observed);
  announceFailure(obj, readiness, ctx);
  announce(obj, readiness, ctx);
  for (const event of readiness.events ?? []) ctx.events.normal(obj, event.reason, event.message);
  if (readiness.deleteObjectAfterMs !== undefined && readiness.deleteObjectAfterMs <= 0) {
    await ctx.writer.deleteObject(obj);
    ctx.events.normal(obj, "Expired", "deleted this object: its kind asked for it (a finished run past its time to live)");
    return { outcome: "success" };
  }
  await writeStatus(
    obj,
    driver.status(obj, current.observed),
    [
      cond("Ready", readiness.ready ? "True" : "False", readiness.reason, readiness.message),
      cond("Synced", "True", "Available", "the last reconcile applied the spec"),
      ...(readiness.conditions ?? []),
    ],
    ctx,
  );
  return { outcome: "success", requeueAfterMs: nextLookMs(readiness, ctx) };
}

/** The kind's own re-check, or its object's expiry, whichever comes first; else the periodic re-check. */
function nextLookMs(readiness: Readiness, ctx: ReconcilerContext): number {
  const soonest = Math.min(readiness.recheckAfterMs ?? Infinity, readiness.deleteObjectAfterMs ?? Infinity);
  return Number.isFinite(soonest) ? soonest : nextRecheckMs(ctx);
}

async function observeOnly<Obj extends ManagedObject, Deps, Observed, R extends ReferenceFields<NonNullable<Obj["spec"]>>>(
  obj: Obj,
  driver: Driver<Obj, Deps, Observed, R>,
  observation: Observation<Observed>,
  ctx: ReconcilerContext,
): Promise<ReconcileResult> {
  if (!observation.exists) {
    const message = `no such ${driver.kind} in AWS (managementPolicy: Observe never creates one)`;
    await writeStatus(obj, undefined, [cond("Ready", "False", "NotFound", message), cond("Synced", "True", "NotFound", message)], ctx);
    return { outcome: "success", requeueAfterMs: nextRecheckMs(ctx) };
  }
  const readiness = driver.readiness(obj, observation.observed);
  for (const event of readiness.events ?? []) ctx.events.normal(obj, event.reason, event.message);
  const differs = observation.differences.length > 0;
  await writeStatus(
    obj,
    driver.status(obj, observation.observed),
    [
      cond("Ready", readiness.ready ? "True" : "False", readiness.reason, readiness.message),
      cond("Synced", "True", "Available", differs ? `observed; differs from spec (not corrected in Observe mode): ${observation.differences.join("; ")}` : "observed; matches spec"),
      ...(readiness.conditions ?? []),
    ],
    ctx,
  );
  return { outcome: "success", requeueAfterMs: readiness.recheckAfterMs ?? nextRecheckMs(ctx) };
}

async function conflict(obj: ManagedObject, message: string, ctx: ReconcilerContext): Promise<ReconcileResult> {
  const changed = await writeStatus(obj, undefined, [cond("Ready", "False", "ConflictExistingResource", message), cond("Synced", "False", "ConflictExistingResource", message)], ctx);
  if (changed) ctx.events.warning(obj, "ConflictExistingResource", message);
  return { outcome: "success", requeueAfterMs: nextRecheckMs(ctx) };
}

/**
 * Waiting for a dependency: Ready and Synced False with what is awaited, and one Event each time
 * that changes. Normal, not Warning: a reference not found yet is what applying a whole stack at
 * once (kubectl apply -f dir, an Argo CD sync) looks like for a moment.
 */
async function waitWithConditions(obj: ManagedObject, message: string, ctx: ReconcilerContext): Promise<void> {
  const changed = await writeStatus(obj, undefined, [cond("Ready", "False", "WaitingForDependency", message), cond("Synced", "False", "WaitingForDependency", message)], ctx, "Ready");
  if (changed) ctx.events.normal(obj, "WaitingForDependency", message);
}

/** Deletion in progress or held up: the Ready condition says why, with one Event each time that changes. */
async function deleting(obj: ManagedObject, message: string, ctx: ReconcilerContext, kindStatus?: Record<string, unknown>): Promise<void> {
  const changed = await writeStatus(obj, kindStatus, [cond("Ready", "False", "Deleting", message)], ctx, "Ready");
  if (changed) ctx.events.normal(obj, "Deleting", message);
}

async function finalize<Obj extends ManagedObject, Deps, Observed, R extends ReferenceFields<NonNullable<Obj["spec"]>>>(
  obj: Obj,
  driver: Driver<Obj, Deps, Observed, R>,
  ctx: ReconcilerContext,
): Promise<ReconcileResult> {
  if (!(obj.metadata.finalizers ?? []).includes(FINALIZER)) return { outcome: "success" };
  const deleteInAws = managementOf(obj) === "Manage" && (obj.spec?.deletionPolicy ?? ctx.defaultDeletionPolicy ?? "Delete") === "Delete";
  if (deleteInAws) {
    const blockers = ctx.blockingReferrers?.(obj) ?? [];
    if (blockers.length > 0) {
      // Woken again when a blocker goes (the reference index); the timer is only a safety net.
      await deleting(obj, `deletion waits until ${blockers.join(", ")} no longer uses it`, ctx);
      return { outcome: "success", requeueAfterMs: ctx.resyncMs };
    }
    const located = driver.locate(obj, locateReferences(obj, driver.references, ctx.lookup));
    if (isUnlocated(located)) {
      // Concluding "gone" without knowing where to look could orphan a running resource.
      await deleting(obj, `deletion waits: ${located.unlocated}`, ctx);
      return { outcome: "success", requeueAfterMs: ctx.resyncMs };
    }
    const observation = await driver.observe(obj, located);
    // Never delete what is not ours, even on our own object's deletion (docs/design.md, promise 3);
    // what is not there, or not ours, is not ours to wait for either.
    if (observation.exists && observation.ownership === "ours") {
      const gone = await driver.delete(obj, located, observation.observed);
      if (gone !== true) {
        const kindStatus = driver.status(obj, observation.observed);
        if (gone === false) {
          await deleting(obj, `deleting ${driver.kind} in AWS`, ctx, kindStatus);
          return { outcome: "success", requeueAfterMs: ctx.deletePollMs ?? 3000 };
        }
        // Held up by something outside this object (woken when one of ours goes; else polled).
        await deleting(obj, `deletion waits: ${gone.waiting}`, ctx, kindStatus);
        return { outcome: "success", requeueAfterMs: Math.min(ctx.resyncMs, 30_000) };
      }
      ctx.events.normal(obj, "Deleted", `deleted ${driver.kind} in AWS`);
    }
  }
  await ctx.writer.removeFinalizer(obj, FINALIZER);
  return { outcome: "success" };
}

/**
 * The object may not be served where it asks to be (e.g. its namespace is not granted that AWS
 * account): Ready and Synced False with why, one Event when that changes, and no call to anything
 * outside. An object being deleted keeps its finalizer: its resource may still be there.
 */
export async function refuse(obj: ManagedObject, refusal: Refusal, ctx: ReconcilerContext): Promise<ReconcileResult> {
  try {
    const deleting = obj.metadata.deletionTimestamp !== undefined && (obj.metadata.finalizers ?? []).includes(FINALIZER);
    const message = deleting ? `deletion waits: ${refusal.message}` : refusal.message;
    const changed = await writeStatus(obj, undefined, [cond("Ready", "False", refusal.reason, message), cond("Synced", "False", refusal.reason, message)], ctx, "Ready");
    if (changed) ctx.events.warning(obj, refusal.reason, message);
    return { outcome: "success", requeueAfterMs: ctx.resyncMs };
  } catch (err) {
    if (isCancelled()) return { outcome: "cancelled" };
    if (err instanceof StaleObjectError) return { outcome: "success", requeueAfterMs: STALE_RETRY_MS };
    return { outcome: "error", error: asReconcileError(err) };
  }
}

/** A Normal Event when the kind announces a new Ready reason of its own (e.g. a run completed). */
function announce(obj: ManagedObject, readiness: Readiness, ctx: ReconcilerContext): void {
  if (readiness.announce !== true) return;
  if (findCondition(obj.status?.conditions, "Ready")?.reason === readiness.reason) return;
  ctx.events.normal(obj, readiness.reason, readiness.message);
}

/** A Warning Event when the kind reports a new failure of its own (e.g. a rollout rolled back). */
function announceFailure(obj: ManagedObject, readiness: Readiness, ctx: ReconcilerContext): void {
  if (readiness.ready || readiness.failure !== true) return;
  if (findCondition(obj.status?.conditions, "Ready")?.reason === readiness.reason) return;
  ctx.events.warning(obj, readiness.reason, readiness.message);
}

function cond(type: DesiredCondition["type"], status: DesiredCondition["status"], reason: string, message: string): DesiredCondition {
  return { type, status, reason, message };
}

/**
 * The delay to the next periodic re-check. Re-checks fall due together on a grid of `resyncMs`
 * (within a short spread) rather than each on its own timer, so that the reads of a whole fleet
 * arrive close enough to be batched (e.g. ten services per DescribeServices): N objects cost about
 * N / batch calls per period instead of N.
 */
function nextRecheckMs(ctx: ReconcilerContext): number {
  const now = (ctx.now ?? (() => new Date()))().getTime();
  const random = ctx.random ?? Math.random;
  const spread = Math.min(5000, ctx.resyncMs / 10);
  const nextSlot = (Math.floor(now / ctx.resyncMs) + 1) * ctx.resyncMs;
  return Math.round(nextSlot - now + random() * spread);
}

/** The kind's observed fields as stored: kept as they are by writes that only change conditions. */
function keptKindStatus(obj: ManagedObject): Record<string, unknown> {
  const { conditions: _conditions, observedGeneration: _generation, ...kindStatus } = obj.status ?? {};
  return kindStatus;
}

/**
 * Writes status through the subresource only when it differs from what is stored. `kindStatus`
 * undefined keeps the kind's observed fields as they are. Returns whether anything changed, or,
 * with `changedOf`, whether that condition's reason or message changed (for Events).
 */
async function writeStatus(obj: ManagedObject, kindStatus: Record<string, unknown> | undefined, conditions: DesiredCondition[], ctx: ReconcilerContext, changedOf?: DesiredCondition["type"]): Promise<boolean> {
  const now = (ctx.now ?? (() => new Date()))();
  const next: ManagedStatus = {
    ...(kindStatus ?? keptKindStatus(obj)),
    ...ctx.placement,
    observedGeneration: obj.metadata.generation,
    conditions: mergeConditions(obj.status?.conditions, conditions, obj.metadata.generation, now),
  };
  const current = withoutUndefined(obj.status ?? {});
  if (isDeepStrictEqual(current, withoutUndefined(next))) return false;
  await ctx.writer.replaceStatus(obj, withoutUndefined(next));
  if (changedOf === undefined) return true;
  const before = findCondition(obj.status?.conditions, changedOf);
  const after = conditions.find((c) => c.type === changedOf);
  return before?.reason !== after?.reason || before?.message !== after?.message;
}

/**
 * A failed reconcile: Synced False with the error. Ready is kept only when it speaks of the
 * current generation and the fault is transient (it says nothing about the resource); a Ready
 * from an older generation would claim a spec that was never applied (Argo CD would show Healthy).
 */
async function writeFailureStatus(obj: ManagedObject, error: ReconcileError, ctx: ReconcilerContext): Promise<void> {
  const conditions = [cond("Synced", "False", error.reason, error.message)];
  const ready = findCondition(obj.status?.conditions, "Ready");
  if (error.errorClass === "terminal" || ready?.observedGeneration !== obj.metadata.generation) {
    conditions.unshift(cond("Ready", "False", error.reason, error.message));
  }
  await writeStatus(obj, undefined, conditions, ctx).catch((err: unknown) => {
    ctx.logger.warn({ err }, "could not write failure status");
  });
}

/** Status read back from the API server has no undefined members; compare like with like. */
function withoutUndefined<T extends object>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}
