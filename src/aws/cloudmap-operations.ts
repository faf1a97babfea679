import { DuplicateRequest, type Operation, type OperationType } from "@aws-sdk/client-servicediscovery";
import { ReconcileError } from "../runtime/errors.js";

/**
 * Cloud Map's asynchronous operations, as pure functions. Namespace create, update and delete and
 * service updates answer with an OperationId at once and finish later; GetOperation reports
 * SUBMITTED or PENDING, then SUCCESS or FAIL (with ErrorCode and ErrorMessage).
 */

/** An operation the operator started and is waiting for; kept in status so a restart resumes it. */
export interface TrackedOperation {
  id: string;
  /** The metadata.generation whose spec started it. */
  generation: number;
  type?: OperationType;
  /** When AWS accepted it, which paces the polling. */
  startedAt?: Date;
  /** The namespace it acts on, as soon as AWS names it (before a created namespace is readable). */
  namespaceId?: string;
}

export type OperationDecision =
  /** Still running: wait for it and start nothing else. */
  | { next: "wait"; operation: TrackedOperation }
  /** Finished, forgotten by AWS, or failed for an older spec: read the resource as usual. */
  | { next: "observe" }
  /** Failed for the current spec: AWS rejected it, so retrying the same spec cannot help. */
  | { next: "fail"; error: ReconcileError };

/**
 * What to do about an operation the operator is tracking, given GetOperation's answer (undefined
 * when AWS no longer knows the id). A failure is terminal for the generation that started the
 * operation only: once the user changes the spec the failed attempt is history, and the next one
 * is a fresh attempt with its own creator request id.
 */
export function decideOnOperation(op: Operation | undefined, tracked: { id: string; generation: number }, currentGeneration: number | undefined): OperationDecision {
  if (op === undefined || op.Status === "SUCCESS") return { next: "observe" };
  if (op.Status === "FAIL") {
    if (currentGeneration !== undefined && tracked.generation !== currentGeneration) return { next: "observe" };
    return { next: "fail", error: operationFailure(op) };
  }
  return { next: "wait", operation: trackedFrom(op, tracked) };
}

function trackedFrom(op: Operation, tracked: { id: string; generation: number }): TrackedOperation {
  return {
    id: tracked.id,
    generation: tracked.generation,
    ...(op.Type ? { type: op.Type } : {}),
    ...(op.CreateDate ? { startedAt: op.CreateDate } : {}),
    ...(op.Targets?.NAMESPACE ? { namespaceId: op.Targets.NAMESPACE } : {}),
  };
}

/** AWS's verdict on a failed operation, as the terminal InvalidSpec the condition shows. */
export function operationFailure(op: Operation): ReconcileError {
  const code = op.ErrorCode ? `${op.ErrorCode}: ` : "";
  return new ReconcileError(`${op.Type ?? "operation"} ${op.Id ?? ""} failed: ${code}${op.ErrorMessage ?? "no reason given"}`, "terminal", "InvalidSpec");
}

/**
 * How long to wait before asking again: as long as the operation has been running, between 1 s
 * and 30 s. Polls thus double their spacing (1, 2, 4, ... s) while a quick operation is still
 * noticed within a second, and a slow one costs a GetOperation every 30 s at most.
 */
export function pollDelayMs(startedAt: Date | undefined, now: Date): number {
  const age = startedAt ? now.getTime() - startedAt.getTime() : 0;
  return Math.min(30_000, Math.max(1_000, age));
}

/**
 * The CreatorRequestId of a namespace creation: stable for one object and spec generation, so a
 * create whose answer was lost (a crash between the call and the status write) is answered by
 * AWS with DuplicateRequest naming the operation already under way, never a second namespace.
 * The generation is part of it because after a failed operation a corrected spec must be a new
 * request, not a replay of the failed one. uid (36) + generation stays within AWS's 64 characters.
 */
export function namespaceCreatorRequestId(uid: string, generation: number | undefined): string {
  return `${uid}-${String(generation ?? 0)}`;
}

/** The operation AWS says is already in progress, when a call was refused with DuplicateRequest. */
export function duplicateOperationId(err: unknown): string | undefined {
  const cause = err instanceof ReconcileError ? err.cause : err;
  return cause instanceof DuplicateRequest ? cause.DuplicateOperationId : undefined;
}
