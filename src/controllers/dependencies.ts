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
