import { isReady } from "../runtime/conditions.js";
import type { ManagedObject } from "../runtime/driver.js";

/**
 * A field of a referenced object's status (its ARN, id, revision ARN), but only once the object
 * is Ready for its current generation: an identity from a stale or failed spec is not one to use.
 */
export function readyStatusField(obj: ManagedObject | undefined, field: string): string | undefined {
  if (!obj || !isReady(obj.status, obj.metadata.generation)) return undefined;
  const value = obj.status?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

/**
 * Whether objects that refer to `obj` could see its change from `previous`: a referenced status
 * field read as they read it (readyStatusField, so readiness counts too). Without a previous
 * version (just added) or a list of fields, any change counts.
 */
export function referrersCanSee(fields: readonly string[] | undefined, obj: ManagedObject, previous: ManagedObject | undefined): boolean {
  if (previous === undefined || fields === undefined) return true;
  return fields.some((field) => readyStatusField(previous, field) !== readyStatusField(obj, field));
}
