/**
 * How the reconciler treats a failure:
 * - terminal: the input is wrong; retrying cannot help until the spec changes (a new generation);
 * - retryable: a transient fault; retry with per-key exponential backoff;
 * - throttled: the remote side asked us to slow down; back off like retryable, reported apart.
 */
export type ErrorClass = "terminal" | "retryable" | "throttled";

/** A failure that knows its class and the condition reason to report. Drivers (through their
 * clients' error classification) raise these; only the reconciler decides conditions and requeue.
 * The reason WaitingForDependency marks something outside the operator's view that is missing
 * (e.g. a cluster named literally that does not exist): the object waits, with backoff, quietly. */
export class ReconcileError extends Error {
  constructor(
    message: string,
    readonly errorClass: ErrorClass,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ReconcileError";
  }
}

/** The reason of a failure nobody classified (docs/design.md, section 2). */
export const UNCLASSIFIED = "ReconcileError" as const;

/**
 * Anything not classified is treated as transient: retried with backoff, never dropped. Drivers
 * classify their own calls' errors (aws/errors.ts), so what arrives here unclassified is a fault
 * of the operator itself or of the Kubernetes API.
 */
export function asReconcileError(err: unknown): ReconcileError {
  if (err instanceof ReconcileError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ReconcileError(message, "retryable", UNCLASSIFIED, { cause: err });
}
