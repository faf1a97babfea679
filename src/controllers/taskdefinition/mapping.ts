import type { ContainerDefinition, PortMapping, RegisterTaskDefinitionCommandInput, TaskDefinition } from "@aws-sdk/client-ecs";
import type { ContainerDefinitionSpec, TaskDefinitionObject, TaskDefinitionStatus } from "../../api/taskdefinition.js";
import { derivedAwsName } from "../../aws/names.js";
import { desiredTags, toLowerTagList } from "../../aws/tags.js";
import { canonicalContent, contentDifferences, fingerprint, tagsDiffer, type CanonicalContent } from "./normalise.js";
import { retention, type InUse, type RevisionRef } from "./revisions.js";

export const KIND = "TaskDefinition";
export const DEFAULT_REVISION_HISTORY_LIMIT = 5;

/** ECS families: up to 255 letters, digits, hyphens and underscores. */
export function familyName(obj: TaskDefinitionObject): string {
  return obj.spec.family ?? derivedAwsName(obj.metadata.namespace, obj.metadata.name, { maxLength: 255, invalid: /[^a-zA-Z0-9_-]/g, separator: "_" });
}

export function revisionTags(obj: TaskDefinitionObject): Record<string, string> {
  return desiredTags({ kind: KIND, namespace: obj.metadata.namespace, name: obj.metadata.name, uid: obj.metadata.uid }, obj.spec.tags);
}

export function revisionHistoryLimit(obj: TaskDefinitionObject): number {
  return obj.spec.revisionHistoryLimit ?? DEFAULT_REVISION_HISTORY_LIMIT;
}

const toInt = (value: number | string | undefined): number | undefined => (value === undefined ? undefined : Number(value));

function containerInput(c: ContainerDefinitionSpec): ContainerDefinition {
  const { cpu, memory, memoryReservation, portMappings, ...rest } = c;
  return {
    ...rest,
    ...(cpu !== undefined ? { cpu: toInt(cpu) } : {}),
    ...(memory !== undefined ? { memory: toInt(memory) } : {}),
    ...(memoryReservation !== undefined ? { memoryReservation: toInt(memoryReservation) } : {}),
    ...(portMappings
      ? {
          portMappings: portMappings.map(({ containerPort, hostPort, ...p }): PortMapping => ({
            ...p,
            ...(containerPort !== undefined ? { containerPort: toInt(containerPort) } : {}),
            ...(hostPort !== undefined ? { hostPort: toInt(hostPort) } : {}),
          })),
        }
      : {}),
  };
}

/** The RegisterTaskDefinition input: the spec minus operator fields, numbers as ECS types them. */
export function registerInput(obj: TaskDefinitionObject): RegisterTaskDefinitionCommandInput {
  const { family: _family, revisionHistoryLimit: _limit, deletionPolicy: _deletion, managementPolicy: _management, adopt: _adopt, tags: _tags, cpu, memory, containerDefinitions, ...rest } = obj.spec;
  return {
    ...rest,
    family: familyName(obj),
    containerDefinitions: containerDefinitions.map(containerInput),
    ...(cpu !== undefined ? { cpu: String(toInt(cpu)) } : {}),
    ...(memory !== undefined ? { memory: String(toInt(memory)) } : {}),
    tags: toLowerTagList(revisionTags(obj)),
  };
}

export function desiredContent(obj: TaskDefinitionObject): CanonicalContent {
  return canonicalContent(registerInput(obj));
}

/** The fingerprint of the spec as a revision would carry it; Observe mode compares content only. */
export function desiredFingerprint(obj: TaskDefinitionObject): string {
  return fingerprint(desiredContent(obj), observing(obj) ? undefined : revisionTags(obj));
}

export function observing(obj: TaskDefinitionObject): boolean {
  return obj.spec.managementPolicy === "Observe";
}

/** A revision read with DescribeTaskDefinition (include TAGS). */
export interface DescribedRevision {
  ref: RevisionRef;
  taskDefinition: TaskDefinition;
  tags: Record<string, string>;
}

export function describedFingerprint(obj: TaskDefinitionObject, described: DescribedRevision): string {
  return fingerprint(canonicalContent(described.taskDefinition), observing(obj) ? undefined : described.tags);
}

/** What observe found for an object with at least one revision it can call its own. */
export interface ObservedFamily {
  family: string;
  /** The newest revision this object registered (Observe mode: the family's newest). */
  latest: RevisionRef;
  latestFingerprint: string;
  /** Present when the latest revision had to be read (its fingerprint was not the spec's). */
  latestDescribed?: DescribedRevision;
  /** This object's ACTIVE revisions, ascending (empty in Observe mode). */
  owned: RevisionRef[];
  /**
   * ACTIVE revisions above every revision status knows of, not yet read: where a revision we
   * registered but never recorded (a crash before the status write) would be.
   */
  unrecorded: RevisionRef[];
  /** Revisions any EcsService uses, as family:revision. */
  inUse: InUse;
}

export interface Plan {
  /** Content differs from the latest revision: a new revision is due. */
  register: boolean;
  /** Only the latest revision's tags differ. */
  retag: boolean;
  /** Revisions of ours beyond revisionHistoryLimit that no service uses. */
  deregister: RevisionRef[];
}

export function planFor(obj: TaskDefinitionObject, observed: ObservedFamily): Plan {
  const upToDate = observed.latestFingerprint === desiredFingerprint(obj);
  const described = observed.latestDescribed;
  const contentChanged = !upToDate && (!described || contentDifferences(desiredContent(obj), canonicalContent(described.taskDefinition)).length > 0);
  return {
    register: contentChanged,
    retag: !upToDate && !contentChanged && described !== undefined && tagsDiffer(revisionTags(obj), described.tags),
    deregister: retentionOf(obj, observed).deregister,
  };
}

export function retentionOf(obj: TaskDefinitionObject, observed: Pick<ObservedFamily, "family" | "owned" | "latest" | "inUse">): ReturnType<typeof retention> {
  return retention(observed.family, observed.owned, observed.latest.revision, revisionHistoryLimit(obj), observed.inUse);
}

const MAX_LISTED = 5;

function listed(items: string[]): string {
  return items.length > MAX_LISTED ? `${items.slice(0, MAX_LISTED).join(", ")} and ${items.length - MAX_LISTED} more` : items.join(", ");
}

/** Human-readable differences, for Events and the Synced condition in Observe mode. */
export function planDifferences(obj: TaskDefinitionObject, observed: ObservedFamily, plan: Plan): string[] {
  const out: string[] = [];
  if (plan.register) {
    const described = observed.latestDescribed;
    const paths = described ? contentDifferences(desiredContent(obj), canonicalContent(described.taskDefinition)) : [];
    out.push(`new revision: ${paths.length > 0 ? listed(paths) : "content"} differ${paths.length === 1 ? "s" : ""} from revision ${observed.latest.revision}`);
  }
  if (plan.retag) out.push(`tags of revision ${observed.latest.revision}`);
  if (plan.deregister.length > 0) {
    out.push(`deregister revision${plan.deregister.length === 1 ? "" : "s"} ${listed(plan.deregister.map((r) => String(r.revision)))} beyond revisionHistoryLimit ${revisionHistoryLimit(obj)}`);
  }
  return out;
}

export function taskDefinitionStatus(observed: ObservedFamily | undefined): TaskDefinitionStatus {
  if (!observed) return {};
  return {
    arn: observed.latest.arn,
    family: observed.family,
    revision: observed.latest.revision,
    taskDefinitionArn: observed.latest.arn,
    ...(observed.owned.length > 0 ? { ownedRevisions: observed.owned.map((r) => r.revision) } : {}),
    fingerprint: observed.latestFingerprint,
  };
}

/** What status says about this object's revisions in `family` (nothing if it names another family). */
export function recorded(obj: TaskDefinitionObject, family: string): { revision?: number; fingerprint?: string; owned: number[]; highWater: number } {
  const status = obj.status;
  if (status?.family !== family) return { owned: [], highWater: 0 };
  const owned = status.ownedRevisions ?? [];
  return {
    ...(status.revision !== undefined ? { revision: status.revision } : {}),
    ...(status.fingerprint !== undefined ? { fingerprint: status.fingerprint } : {}),
    owned,
    highWater: Math.max(0, status.revision ?? 0, ...owned),
  };
}
