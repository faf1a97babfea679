/** The ownership tags of docs/design.md, promise 3. */
export const OWNER_TAG = "ecs-operator.dev/owner";
export const UID_TAG = "ecs-operator.dev/uid";
export const KIND_TAG = "ecs-operator.dev/kind";

export interface OwnerRef {
  kind: string;
  namespace: string;
  name: string;
  uid: string;
}

export type Ownership = "ours" | "unowned" | "foreign";

export function ownerTags(owner: OwnerRef): Record<string, string> {
  return { [OWNER_TAG]: `${owner.namespace}/${owner.name}`, [UID_TAG]: owner.uid, [KIND_TAG]: owner.kind };
}

/** User tags plus ownership tags; ownership wins (users cannot set the reserved prefix anyway). */
export function desiredTags(owner: OwnerRef, userTags: Record<string, string> | undefined): Record<string, string> {
  return { ...(userTags ?? {}), ...ownerTags(owner) };
}

/** Whose resource this is, by its uid tag: the only tag that identifies one object for ever. */
export function ownershipOf(tags: Record<string, string>, uid: string): Ownership {
  const tagged = tags[UID_TAG];
  if (tagged === undefined) return "unowned";
  return tagged === uid ? "ours" : "foreign";
}

/**
 * The tag changes that bring `actual` to `desired` on a resource we own: the spec is the whole
 * tag set, so a tag added out of band is drift and goes. Tags under `aws:` belong to AWS itself.
 */
export function tagDiff(actual: Record<string, string>, desired: Record<string, string>): TagChange {
  const set: Record<string, string> = {};
  for (const [key, value] of Object.entries(desired)) if (actual[key] !== value) set[key] = value;
  const remove = Object.keys(actual).filter((key) => !(key in desired) && !key.startsWith("aws:"));
  return { set, remove };
}

/** ECS spells tags {key, value}; ELBv2 and Cloud Map spell them {Key, Value}. */
export function toLowerTagList(tags: Record<string, string>): { key: string; value: string }[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

export function fromLowerTagList(tags: readonly { key?: string | undefined; value?: string | undefined }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.key !== undefined).map((t) => [t.key ?? "", t.value ?? ""]));
}

export function toUpperTagList(tags: Record<string, string>): { Key: string; Value: string }[] {
  return Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
}

export function fromUpperTagList(tags: readonly { Key?: string | undefined; Value?: string | undefined }[] | undefined): Record<string, string> {
  return Object.fromEntries((tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key ?? "", t.Value ?? ""]));
}

/** A tag change to make: what tagDiff returns. */
export interface TagChange {
  set: Record<string, string>;
  remove: string[];
}

/**
 * Applies a tag change with the service's own two calls (each skipped when it has nothing to do):
 * every driver tags its resources this way, whatever the service's tag shape.
 */
export async function applyTagChange(change: TagChange, calls: { tag(set: Record<string, string>): Promise<unknown>; untag(keys: string[]): Promise<unknown> }): Promise<void> {
  if (Object.keys(change.set).length > 0) await calls.tag(change.set);
  if (change.remove.length > 0) await calls.untag(change.remove);
}
