import { isReady } from "./conditions.js";
import type { ManagedObject } from "./driver.js";

/** An object named by kind, namespace and name: how one custom resource refers to another. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/** Read access to every kind's cache, for resolving references (never the outside world). */
export interface Lookup {
  get(kind: string, namespace: string, name: string): ManagedObject | undefined;
  list(kind: string): ManagedObject[];
}

/**
 * One reference field of a kind, declared once: which kind it names and which status field of
 * that kind it reads. Resolution, wake-ups (a change of that field wakes the referrer) and the
 * deletion guard (a referenced object is not deleted in AWS while a referrer exists) all derive
 * from this declaration. References are by name, in the referrer's namespace.
 */
export interface ReferenceField<Spec> {
  kind: string;
  statusField: string;
  /** Where in the spec, for messages: "spec.loadBalancers[].targetGroupRef". */
  path: string;
  /** The names the field refers to, in spec order; undefined where an entry uses its literal twin. */
  names(spec: Spec): readonly (string | undefined)[];
}

export type ReferenceFields<Spec> = Readonly<Record<string, ReferenceField<Spec>>>;

/**
 * Each field's values in spec order: the referenced objects' status field, or undefined where the
 * entry is given literally (or, while deleting, where the object is gone or never showed one).
 */
export type ReferenceValues<R> = { readonly [K in keyof R]: readonly (string | undefined)[] };

export type ReferenceResolution<R> = { ready: true; values: ReferenceValues<R> } | { ready: false; waitingFor: string; missing: string[] };

/**
 * A field of a referenced object's status (its ARN, id, revision ARN), but only once the object
 * is Ready for its current generation: an identity from a stale or failed spec is not one to use.
 */
export function readyStatusField(obj: ManagedObject | undefined, field: string): string | undefined {
  if (!obj || !isReady(obj.status, obj.metadata.generation)) return undefined;
  return statusString(obj, field);
}

function statusString(obj: ManagedObject | undefined, field: string): string | undefined {
  const value = obj?.status?.[field];
  return typeof value === "string" && value !== "" ? value : undefined;
}

function describeRef(ref: ObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}

function readyReasonOf(obj: ManagedObject): string {
  const ready = obj.status?.conditions?.find((c) => c.type === "Ready");
  if (!ready) return "not reconciled yet";
  if (ready.status === "True") return "its current generation is not reconciled yet";
  return ready.reason;
}

/**
 * Resolves every declared reference of `obj` for a converge: each named object must exist and be
 * Ready for its generation. Otherwise says what is awaited, telling a missing object (a typo, or
 * not applied yet) from one that is on its way.
 */
export function resolveReferences<Spec, R extends ReferenceFields<Spec>>(obj: ManagedObject & { spec?: Spec }, fields: R, lookup: Lookup, placement: Readonly<Record<string, string>> = {}): ReferenceResolution<R> {
  const spec = (obj.spec ?? {}) as Spec;
  const namespace = obj.metadata.namespace;
  const missing: string[] = [];
  const notReady: string[] = [];
  const values: Record<string, (string | undefined)[]> = {};
  for (const [key, field] of Object.entries(fields)) {
    values[key] = field.names(spec).map((name) => {
      if (name === undefined) return undefined;
      const ref = { kind: field.kind, namespace, name };
      const target = lookup.get(field.kind, namespace, name);
      if (!target) {
        missing.push(`${describeRef(ref)} (${field.path}) not found`);
        return undefined;
      }
      const elsewhere = Object.entries(placement).filter(([key, want]) => statusString(target, key) !== undefined && statusString(target, key) !== want);
      if (elsewhere.length > 0) {
        // A service cannot use a target group in another account: the reference is refused.
        missing.push(`${describeRef(ref)} (${field.path}) to be where this object is: it is in ${elsewhere.map(([key]) => `${key} ${statusString(target, key) ?? ""}`).join(", ")}, this object in ${elsewhere.map(([key, want]) => `${key} ${want}`).join(", ")} (references across them are refused)`);
        return undefined;
      }
      const value = readyStatusField(target, field.statusField);
      if (value === undefined) notReady.push(`${describeRef(ref)} to be Ready (${readyReasonOf(target)})`);
      return value;
    });
  }
  if (missing.length === 0 && notReady.length === 0) return { ready: true, values: values as ReferenceValues<R> };
  return { ready: false, waitingFor: [...missing, ...notReady].join("; "), missing };
}

/**
 * The references' values for a deletion: whatever the referenced objects' readiness (they may be
 * on their way out as well), undefined where one is gone or never showed the field.
 */
export function locateReferences<Spec, R extends ReferenceFields<Spec>>(obj: ManagedObject & { spec?: Spec }, fields: R, lookup: Lookup): ReferenceValues<R> {
  const spec = (obj.spec ?? {}) as Spec;
  const namespace = obj.metadata.namespace;
  const values: Record<string, (string | undefined)[]> = {};
  for (const [key, field] of Object.entries(fields)) {
    values[key] = field.names(spec).map((name) => (name === undefined ? undefined : statusString(lookup.get(field.kind, namespace, name), field.statusField)));
  }
  return values as ReferenceValues<R>;
}

/** The objects `obj` names, for the reference index. */
export function referencedObjects<Spec>(obj: ManagedObject & { spec?: Spec }, fields: ReferenceFields<Spec>): ObjectRef[] {
  const spec = (obj.spec ?? {}) as Spec;
  const seen = new Map<string, ObjectRef>();
  for (const field of Object.values(fields)) {
    for (const name of field.names(spec)) {
      if (name === undefined) continue;
      const ref = { kind: field.kind, namespace: obj.metadata.namespace, name };
      seen.set(refKey(ref), ref);
    }
  }
  return [...seen.values()];
}

/** The status fields of `kind` that any kind's references read, from all the declarations. */
export function statusFieldsReadFrom(kind: string, declarations: readonly ReferenceFields<never>[]): string[] {
  return [...new Set(declarations.flatMap((fields) => Object.values(fields).filter((f) => f.kind === kind).map((f) => f.statusField)))];
}

/**
 * Whether objects that refer to `obj` could see its change from `previous`: a referenced status
 * field read as they read it (readyStatusField, so readiness counts too). Without a previous
 * version (just added) any change counts.
 */
export function referrersCanSee(fields: readonly string[], obj: ManagedObject, previous: ManagedObject | undefined): boolean {
  if (previous === undefined) return true;
  return fields.some((field) => readyStatusField(previous, field) !== readyStatusField(obj, field));
}

/** Whether any of `fields` of the status changed (read as plain values). */
export function statusFieldsChanged(fields: readonly string[], obj: ManagedObject, previous: ManagedObject | undefined): boolean {
  if (previous === undefined) return true;
  return fields.some((field) => JSON.stringify(obj.status?.[field]) !== JSON.stringify(previous.status?.[field]));
}

/**
 * Who refers to whom, kept from the informers' events. It answers the two questions of
 * docs/design.md promise 6: which objects to wake when a dependency changes, and what must go
 * before a dependency may be deleted in AWS.
 */
export class ReferenceIndex {
  private readonly forward = new Map<string, ObjectRef[]>();
  private readonly reverse = new Map<string, Map<string, ObjectRef>>();

  /** Records the current references of `referrer`, replacing what it referred to before. */
  set(referrer: ObjectRef, targets: readonly ObjectRef[]): void {
    this.remove(referrer);
    if (targets.length === 0) return;
    const key = refKey(referrer);
    this.forward.set(key, [...targets]);
    for (const target of targets) {
      const referrers = this.reverse.get(refKey(target)) ?? new Map<string, ObjectRef>();
      referrers.set(key, referrer);
      this.reverse.set(refKey(target), referrers);
    }
  }

  /** Forgets `referrer`; returns what it referred to (to wake them: a deletion may now proceed). */
  remove(referrer: ObjectRef): ObjectRef[] {
    const key = refKey(referrer);
    const targets = this.forward.get(key) ?? [];
    this.forward.delete(key);
    for (const target of targets) {
      const referrers = this.reverse.get(refKey(target));
      referrers?.delete(key);
      if (referrers?.size === 0) this.reverse.delete(refKey(target));
    }
    return targets;
  }

  referrersOf(target: ObjectRef): ObjectRef[] {
    return [...(this.reverse.get(refKey(target))?.values() ?? [])];
  }

  targetsOf(referrer: ObjectRef): ObjectRef[] {
    return [...(this.forward.get(refKey(referrer)) ?? [])];
  }
}
