import { revisionKey, revisionParts } from "../../aws/task-definition-revisions.js";
import type { ManagedObject } from "../../runtime/driver.js";

/** One revision of a task definition family. */
export interface RevisionRef {
  revision: number;
  arn: string;
}

export { revisionKey };

/**
 * The revisions of exactly `family` among ListTaskDefinitions ARNs, ascending. The family filter is
 * applied here as well because the listing's `familyPrefix` is only trusted to narrow the result,
 * and pages come in whatever order was asked for.
 */
export function revisionsOfFamily(family: string, arns: readonly string[]): RevisionRef[] {
  const out: RevisionRef[] = [];
  for (const arn of arns) {
    const parts = revisionParts(arn, true);
    if (parts?.family === family) out.push({ revision: parts.revision, arn });
  }
  return out.sort((a, b) => a.revision - b.revision);
}

function stringAt(value: unknown, key: string): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const field = (value as Record<string, unknown>)[key];
  return typeof field === "string" ? field : undefined;
}

/**
 * Every revision any EcsService refers to, as `family:revision`: what it runs (status), what it
 * is rolling between (deployments), what it remembers as failed, and a literal ARN in its spec.
 * Services in every namespace count, since a service elsewhere may name a revision by its ARN.
 */
export function revisionsInUse(services: readonly ManagedObject[]): Set<string> {
  const inUse = new Set<string>();
  const add = (reference: string | undefined): void => {
    const key = reference === undefined ? undefined : revisionKey(reference);
    if (key !== undefined) inUse.add(key);
  };
  for (const service of services) {
    add(stringAt(service.spec, "taskDefinition"));
    add(stringAt(service.status, "taskDefinitionArn"));
    add(stringAt(service.status, "failedTaskDefinitionArn"));
    const deployments = service.status?.deployments;
    if (Array.isArray(deployments)) for (const d of deployments as unknown[]) add(stringAt(d, "taskDefinition"));
  }
  return inUse;
}

/** Whether a service uses a revision (`family:revision`); a Set answers it. */
export type InUse = Pick<ReadonlySet<string>, "has">;

/**
 * revisionsInUse, worked out at the first question only. Most reconciles never ask (retention
 * looks only at revisions beyond revisionHistoryLimit), and the answer walks every EcsService: at a
 * thousand services, working it out for every reconcile was the operator's largest CPU cost and
 * the source of most of its garbage during a re-check. Asked late, it is also fresher.
 */
export function lazyRevisionsInUse(services: () => readonly ManagedObject[]): InUse {
  let inUse: Set<string> | undefined;
  return { has: (key) => (inUse ??= revisionsInUse(services())).has(key) };
}

/**
 * What retention does with this object's revisions: everything but the `limit` newest and the
 * current one goes, except a revision a service uses, which is pinned. `owned` holds only this
 * object's revisions, so someone else's revisions in the family can never be chosen.
 */
export function retention(family: string, owned: readonly RevisionRef[], current: number, limit: number, inUse: InUse): { deregister: RevisionRef[]; pinned: RevisionRef[] } {
  const beyond = [...owned].sort((a, b) => b.revision - a.revision).slice(Math.max(limit, 1)).filter((r) => r.revision !== current);
  const used = (r: RevisionRef): boolean => inUse.has(`${family}:${r.revision}`);
  return { deregister: beyond.filter((r) => !used(r)), pinned: beyond.filter(used) };
}
