/**
 * How a task definition revision is named: by ARN
 * (arn:aws:ecs:region:account:task-definition/family:revision) or as family:revision. One
 * comparison of "this revision" serves every place that asks, whatever the form on each side.
 */
const ARN = /^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\/([a-zA-Z0-9_-]+):(\d+)$/;
const FAMILY_REVISION = /^([a-zA-Z0-9_-]+):(\d+)$/;

/**
 * The forms a revision may be given in literally (EcsService.spec.taskDefinition): an ARN or
 * family:revision. A bare family (ECS's "latest ACTIVE") is not one revision and is refused.
 */
export const REVISION_PATTERN = "^(arn:aws[a-zA-Z-]*:ecs:[a-z0-9-]+:[0-9]{12}:task-definition/)?[a-zA-Z0-9_-]{1,255}:[1-9][0-9]*$";

/** The family and revision number of a revision ARN (only an ARN when `arnOnly`) or family:revision. */
export function revisionParts(reference: string, arnOnly = false): { family: string; revision: number } | undefined {
  const match = ARN.exec(reference) ?? (arnOnly ? null : FAMILY_REVISION.exec(reference));
  return match ? { family: match[1] ?? "", revision: Number(match[2]) } : undefined;
}

/** `family:revision` from a revision ARN or a `family:revision` reference; undefined for a bare family. */
export function revisionKey(reference: string): string | undefined {
  const parts = revisionParts(reference);
  return parts ? `${parts.family}:${String(parts.revision)}` : undefined;
}

/** Whether two references name the same revision (ARN or family:revision on either side). */
export function sameRevision(a: string | undefined, b: string | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  const ka = revisionKey(a);
  return ka !== undefined && ka === revisionKey(b);
}

/** A revision as people say it: `web:4` rather than its ARN. */
export function revisionName(reference: string): string {
  return revisionKey(reference) ?? reference;
}
