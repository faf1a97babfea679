/** An object named by kind, namespace and name: how one custom resource refers to another. */
export interface ObjectRef {
  kind: string;
  namespace: string;
  name: string;
}

export function refKey(ref: ObjectRef): string {
  return `${ref.kind}/${ref.namespace}/${ref.name}`;
}

/**
 * Who refers to whom, kept from the informers' events. It answers the two questions of docs/design.md promise 6:
 * which objects to wake when a dependency changes, and what must go before a dependency may be
 * deleted in AWS.
 */
export class ReferenceIndex {
  private readonly forward = new Map<string, ObjectRef[]>();
  private readonly reverse = new Map<string, Map<string, ObjectRef>>();

  /** Records the current references of `referrer`, replacing what it referred to before. */
  set(referrer: ObjectRef, targets: readonly ObjectRef[]): void {
    this.remove(referrer);
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
}
