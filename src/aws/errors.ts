import { ReconcileError } from "../runtime/errors.js";

interface SdkErrorShape {
  name?: string;
  message?: string;
  code?: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
  $retryable?: { throttling?: boolean };
}

/** The condition reasons the classification below contributes (docs/design.md, section 2). */
export const AWS_ERROR_REASONS = ["AwsError", "Throttled"] as const;

/** Error names across ECS (JSON), ELBv2 (query) and Cloud Map that mean "slow down". */
const THROTTLING = new Set(["ThrottlingException", "Throttling", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled", "SlowDown"]);

/** Client faults that are about state, not about the input: they clear up by themselves. */
const TRANSIENT_CLIENT_FAULTS = new Set([
  "ResourceInUse",
  "ResourceInUseException",
  "ClusterContainsServicesException",
  "ClusterContainsTasksException",
  "ClusterContainsContainerInstancesException",
  "UpdateInProgressException",
  "DuplicateRequest",
  "ResourceLimitExceeded",
  "ConflictException",
  "ServiceNotActiveException",
  "OperationNotFound",
  "NamespaceNotFound",
  "ServiceNotFound",
  "ClusterNotFoundException",
  "ServiceNotFoundException",
  // ELBv2's, as the SDK names them (after the modelled shapes, not the wire codes "TargetGroupNotFound", ...).
  "TargetGroupNotFoundException",
  "ListenerNotFoundException",
  "LoadBalancerNotFoundException",
  // Observe looked the name up just before CreateTargetGroup: this is a race, settled by looking again.
  "DuplicateTargetGroupNameException",
  "RequestTimeout",
  "RequestTimeoutException",
  // Application Auto Scaling's: another change to the scalable target under way; a target or
  // policy not (yet, or no longer) there after a concurrent change; AWS failing to read the ECS
  // service on its side (e.g. while its service-linked role is being created).
  "ConcurrentUpdateException",
  "ObjectNotFoundException",
  "FailedResourceAccessException",
  // Credentials, not input: a session renewed (or a permission granted by an administrator, or a
  // role's trust fixed) makes the same call succeed, so these are retried with backoff.
  "ExpiredToken",
  "ExpiredTokenException",
  "RequestExpired",
  "AccessDenied",
  "AccessDeniedException",
  "UnauthorizedOperation",
]);

/**
 * Rejections whose error name says "bad input" but whose cause is another resource that is not
 * there yet: AWS accepts the same call once it is. Terminal would stall the object until the
 * user edits the spec, which is wrong when everything is applied at once (kubectl, Argo CD).
 */
const WAITING_ON_ANOTHER_RESOURCE: { name: string; message: RegExp }[] = [
  // CreateService with a target group whose listener rule is still being created.
  { name: "InvalidParameterException", message: /does not have an associated load balancer/i },
  // The first ECS call in a fresh account: AWS creates the service-linked role asynchronously.
  { name: "InvalidParameterException", message: /unable to assume the service linked role/i },
];

/**
 * Sorts an AWS SDK error into the reconciler's classes. A client fault that is not known to be
 * transient means AWS rejected the input: terminal, with AWS's own message for the condition.
 */
export function classifyAwsError(err: unknown, operation: string): ReconcileError {
  if (err instanceof ReconcileError) return err;
  const e = (typeof err === "object" && err !== null ? err : {}) as SdkErrorShape;
  const name = e.name ?? e.code ?? "Error";
  const message = `${operation}: ${name}: ${e.message ?? String(err)}`;
  if (THROTTLING.has(name) || e.$retryable?.throttling === true || e.$metadata?.httpStatusCode === 429) {
    return new ReconcileError(message, "throttled", "Throttled", { cause: err });
  }
  if (WAITING_ON_ANOTHER_RESOURCE.some((w) => w.name === name && w.message.test(e.message ?? ""))) {
    return new ReconcileError(message, "retryable", "WaitingForDependency", { cause: err });
  }
  if (e.$fault === "client" && !TRANSIENT_CLIENT_FAULTS.has(name) && e.$metadata?.httpStatusCode !== undefined && e.$metadata.httpStatusCode < 500) {
    return new ReconcileError(message, "terminal", "InvalidSpec", { cause: err });
  }
  return new ReconcileError(message, "retryable", "AwsError", { cause: err });
}

/** Runs one AWS call, turning its failure into a classified ReconcileError. */
export async function awsCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, operation);
  }
}

/** The AWS error name behind a failed call, whether or not awsCall has classified it yet. */
export function awsErrorName(err: unknown): string | undefined {
  const cause = err instanceof ReconcileError ? err.cause : err;
  return cause instanceof Error ? cause.name : undefined;
}

/**
 * One AWS call whose "no such thing" answer (any of `absent`, e.g. ClusterNotFoundException) means
 * undefined rather than a failure: the one way every driver reads something that may not exist.
 */
export async function unlessAbsent<T>(operation: string, call: () => Promise<T>, ...absent: string[]): Promise<T | undefined> {
  try {
    return await awsCall(operation, call);
  } catch (err) {
    if (absent.includes(awsErrorName(err) ?? "")) return undefined;
    throw err;
  }
}

/**
 * Whether an SDK error is one of the named AWS errors. The SDK names ELBv2's errors after
 * their modelled shapes ("TargetGroupNotFoundException"), not the wire codes ("TargetGroupNotFound").
 */
export function isAwsError(err: unknown, ...names: string[]): boolean {
  return names.includes(awsErrorName(err) ?? "");
}
