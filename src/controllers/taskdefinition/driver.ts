import {
  DeleteTaskDefinitionsCommand,
  DeregisterTaskDefinitionCommand,
  DescribeTaskDefinitionCommand,
  ListTaskDefinitionsCommand,
  RegisterTaskDefinitionCommand,
  type ECSClient,
} from "@aws-sdk/client-ecs";
import type { TaskDefinitionObject } from "../../api/taskdefinition.js";
import { chunks } from "../../aws/chunks.js";
import { awsCall, isAwsError } from "../../aws/errors.js";
import { SharedListing } from "../../aws/shared-listing.js";
import { ecsTags } from "../../aws/ecs.js";
import { fromLowerTagList, ownershipOf, tagDiff } from "../../aws/tags.js";
import type { Driver, Observation } from "../../runtime/driver.js";
import { ReconcileError } from "../../runtime/errors.js";
import type { Lookup } from "../../runtime/references.js";
import type { DriverSettings } from "../index.js";
import {
  describedFingerprint,
  desiredContent,
  desiredFingerprint,
  familyName,
  KIND,
  observing,
  planDifferences,
  planFor,
  recorded,
  registerInput,
  retentionOf,
  revisionTags,
  taskDefinitionStatus,
  type DescribedRevision,
  type ObservedFamily,
} from "./mapping.js";
import { canonicalContent, contentDifferences } from "./normalise.js";
import { lazyRevisionsInUse, revisionKey, revisionsOfFamily, type InUse, type RevisionRef } from "./revisions.js";

interface Deps {
  inUse: InUse;
}

/** The family of a revision ARN. */
const familyOfArn = (arn: string): string => revisionKey(arn)?.replace(/:\d+$/, "") ?? "";

/** ListTaskDefinitions' largest page. */
const PAGE_SIZE = 100;
/** DeleteTaskDefinitions takes at most ten revisions per call. */
const DELETE_BATCH = 10;

/**
 * The I/O half of TaskDefinition. A revision is immutable, so the periodic re-check is a look at
 * the family's ACTIVE revisions (ListTaskDefinitions, shared by the fleet's re-checks): status
 * remembers the newest revision and a fingerprint of its content, and a revision is read
 * (DescribeTaskDefinition) only when the spec's fingerprint is not the remembered one, or when
 * status knows no revision of ours.
 */
export function taskDefinitionDriver(ecs: ECSClient, lookup: Lookup, settings: DriverSettings = { resyncMs: 600_000 }): Driver<TaskDefinitionObject, Deps, ObservedFamily, Record<string, never>> {
  /** Every ACTIVE revision, of one family or (familyPrefix undefined) of the account and region. */
  const listArns = async (familyPrefix: string | undefined): Promise<{ arns: string[]; calls: number }> => {
    const arns: string[] = [];
    let calls = 0;
    let nextToken: string | undefined;
    do {
      const page = await awsCall("ListTaskDefinitions", () =>
        ecs.send(new ListTaskDefinitionsCommand({ ...(familyPrefix !== undefined ? { familyPrefix } : {}), status: "ACTIVE", maxResults: PAGE_SIZE, ...(nextToken ? { nextToken } : {}) })),
      );
      calls += 1;
      arns.push(...(page.taskDefinitionArns ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return { arns, calls };
  };

  // The periodic re-checks of a fleet fall due together: one listing of the account's ACTIVE
  // revisions (100 per page) then answers all of them, instead of one call per family.
  const activeRevisions = new SharedListing<RevisionRef[]>({
    listGroup: async (family) => revisionsOfFamily(family, (await listArns(family)).arns),
    listAll: async () => {
      const { arns, calls } = await listArns(undefined);
      const byFamily = new Map<string, string[]>();
      for (const arn of arns) {
        const family = familyOfArn(arn);
        const of = byFamily.get(family);
        if (of) of.push(arn);
        else byFamily.set(family, [arn]);
      }
      return { groups: new Map([...byFamily].map(([family, of]) => [family, revisionsOfFamily(family, of)])), calls };
    },
    empty: [],
    // Short of the next period, so that each period reads AWS afresh.
    maxAgeMs: Math.min(10_000, settings.resyncMs / 2),
  });
  const listActive = (family: string): Promise<RevisionRef[]> => activeRevisions.read(family);

  const describe = async (ref: RevisionRef): Promise<DescribedRevision> => {
    const out = await awsCall("DescribeTaskDefinition", () => ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: ref.arn, include: ["TAGS"] })));
    if (!out.taskDefinition) throw new ReconcileError(`DescribeTaskDefinition returned nothing for ${ref.arn}`, "retryable", "AwsError");
    return { ref, taskDefinition: out.taskDefinition, tags: fromLowerTagList(out.tags) };
  };

  /** Reads revisions newest first; the unrecorded ones are few (normally none of them ours). */
  const describeAll = async (refs: readonly RevisionRef[]): Promise<DescribedRevision[]> => {
    const out: DescribedRevision[] = [];
    for (const ref of [...refs].sort((a, b) => b.revision - a.revision)) out.push(await describe(ref));
    return out;
  };

  const ours = (obj: TaskDefinitionObject, revisions: readonly DescribedRevision[]): DescribedRevision[] =>
    revisions.filter((r) => ownershipOf(r.tags, obj.metadata.uid) === "ours").sort((a, b) => a.ref.revision - b.ref.revision);

  const mergeOwned = (a: readonly RevisionRef[], b: readonly RevisionRef[]): RevisionRef[] =>
    [...new Map([...a, ...b].map((r) => [r.revision, r])).values()].sort((x, y) => x.revision - y.revision);

  const withLatest = async (obj: TaskDefinitionObject, base: Omit<ObservedFamily, "latestFingerprint" | "latestDescribed">, known: DescribedRevision | undefined, rememberedFingerprint: string | undefined): Promise<ObservedFamily> => {
    if (!known && rememberedFingerprint === desiredFingerprint(obj)) return { ...base, latestFingerprint: rememberedFingerprint };
    const described = known ?? (await describe(base.latest));
    return { ...base, latestFingerprint: describedFingerprint(obj, described), latestDescribed: described };
  };

  const observation = (obj: TaskDefinitionObject, observed: ObservedFamily, ownership: "ours" | "unowned"): Observation<ObservedFamily> => ({
    exists: true,
    ownership,
    differences: planDifferences(obj, observed, planFor(obj, observed)),
    observed,
  });

  const observeFamily = async (obj: TaskDefinitionObject, family: string, active: RevisionRef[], inUse: InUse): Promise<Observation<ObservedFamily>> => {
    const newest = active.at(-1);
    if (!newest) return { exists: false };
    const memory = recorded(obj, family);
    const known = newest.revision === memory.revision ? undefined : await describe(newest);
    return observation(obj, await withLatest(obj, { family, latest: newest, owned: [], unrecorded: [], inUse }, known, memory.fingerprint), "ours");
  };

  const register = async (obj: TaskDefinitionObject): Promise<DescribedRevision> => {
    const input = registerInput(obj);
    const out = await awsCall("RegisterTaskDefinition", () => ecs.send(new RegisterTaskDefinitionCommand(input))).finally(() => {
      activeRevisions.invalidate(input.family ?? "");
    });
    const td = out.taskDefinition;
    if (!td?.taskDefinitionArn || td.revision === undefined) throw new ReconcileError("RegisterTaskDefinition returned no revision", "retryable", "AwsError");
    return { ref: { revision: td.revision, arn: td.taskDefinitionArn }, taskDefinition: td, tags: out.tags ? fromLowerTagList(out.tags) : revisionTags(obj) };
  };

  const deregister = async (refs: readonly RevisionRef[]): Promise<void> => {
    for (const ref of refs) {
      await awsCall("DeregisterTaskDefinition", () => ecs.send(new DeregisterTaskDefinitionCommand({ taskDefinition: ref.arn }))).finally(() => {
        activeRevisions.invalidate(familyOfArn(ref.arn));
      });
    }
  };

  const retag = async (obj: TaskDefinitionObject, described: DescribedRevision): Promise<DescribedRevision> => {
    await ecsTags(ecs, described.ref.arn, tagDiff(described.tags, revisionTags(obj)));
    return { ...described, tags: revisionTags(obj) };
  };

  return {
    kind: KIND,

    references: {},
    resolve: () => ({ inUse: lazyRevisionsInUse(() => lookup.list("EcsService")) }),
    locate: () => ({ inUse: lazyRevisionsInUse(() => lookup.list("EcsService")) }),

    async observe(obj, deps) {
      const family = familyName(obj);
      const active = await listActive(family);
      if (observing(obj)) return observeFamily(obj, family, active, deps.inUse);

      const memory = recorded(obj, family);
      const owned = active.filter((r) => r.revision === memory.revision || memory.owned.includes(r.revision));
      const unrecorded = active.filter((r) => r.revision > memory.highWater);
      const latest = owned.at(-1);
      if (latest) {
        const remembered = latest.revision === memory.revision ? memory.fingerprint : undefined;
        return observation(obj, await withLatest(obj, { family, latest, owned, unrecorded, inUse: deps.inUse }, undefined, remembered), "ours");
      }

      // Status knows no ACTIVE revision of ours: a new object, a lost status, or a register whose
      // status write never happened. The tags on the family's unrecorded revisions tell which.
      const scanned = await describeAll(unrecorded);
      const found = ours(obj, scanned);
      const newestOurs = found.at(-1);
      if (newestOurs) {
        const base = { family, latest: newestOurs.ref, owned: found.map((r) => r.ref), unrecorded: [], inUse: deps.inUse };
        return observation(obj, await withLatest(obj, base, newestOurs, undefined), "ours");
      }
      if (obj.spec.adopt === true) {
        const want = desiredContent(obj);
        const adoptable = scanned.find((r) => ownershipOf(r.tags, obj.metadata.uid) === "unowned" && contentDifferences(want, canonicalContent(r.taskDefinition)).length === 0);
        if (adoptable) return observation(obj, await withLatest(obj, { family, latest: adoptable.ref, owned: [], unrecorded: [], inUse: deps.inUse }, adoptable, undefined), "unowned");
      }
      return { exists: false };
    },

    async create(obj, deps) {
      const created = await register(obj);
      return { family: familyName(obj), latest: created.ref, latestFingerprint: describedFingerprint(obj, created), latestDescribed: created, owned: [created.ref], unrecorded: [], inUse: deps.inUse };
    },

    async update(obj, deps, observed) {
      const plan = planFor(obj, observed);
      let { latest, owned, latestFingerprint, latestDescribed } = observed;
      if (plan.register) {
        // RegisterTaskDefinition has no client token: a revision we registered before a crash
        // lost its status write sits above the recorded ones, tagged with our uid.
        const found = ours(obj, await describeAll(observed.unrecorded));
        owned = mergeOwned(owned, found.map((r) => r.ref));
        const want = desiredFingerprint(obj);
        const same = found.filter((r) => describedFingerprint(obj, r) === want).at(-1);
        const next = same ?? (await register(obj));
        owned = mergeOwned(owned, [next.ref]);
        latest = next.ref;
        latestDescribed = next;
        latestFingerprint = describedFingerprint(obj, next);
      } else if (plan.retag && latestDescribed) {
        latestDescribed = await retag(obj, latestDescribed);
        latestFingerprint = describedFingerprint(obj, latestDescribed);
      }
      const excess = retentionOf(obj, { family: observed.family, owned, latest, inUse: deps.inUse }).deregister;
      await deregister(excess);
      const gone = new Set(excess.map((r) => r.revision));
      return {
        family: observed.family,
        latest,
        latestFingerprint,
        ...(latestDescribed ? { latestDescribed } : {}),
        owned: owned.filter((r) => !gone.has(r.revision)),
        unrecorded: [],
        inUse: deps.inUse,
      };
    },

    async adopt(obj, _deps, observed) {
      await retag(obj, observed.latestDescribed ?? (await describe(observed.latest)));
      return observed;
    },

    async delete(_obj, deps, observed) {
      const pinned = observed.owned.filter((r) => deps.inUse.has(`${observed.family}:${r.revision}`));
      const going = observed.owned.filter((r) => !pinned.includes(r));
      await deregister(going);
      // Deregistered revisions stay visible as INACTIVE for ever unless deleted as well. That is a
      // courtesy AWS may refuse (a policy without ecs:DeleteTaskDefinitions): a refusal must not
      // hold the object's deletion, which only the deregistration decides.
      for (const batch of chunks(going.map((r) => r.arn), DELETE_BATCH)) {
        await awsCall("DeleteTaskDefinitions", () => ecs.send(new DeleteTaskDefinitionsCommand({ taskDefinitions: batch }))).catch((err: unknown) => {
          const refused = err instanceof ReconcileError && err.errorClass === "terminal";
          if (!refused && !isAwsError(err, "AccessDeniedException", "AccessDenied")) throw err;
        });
      }
      // A revision a service still runs stays until the service moves off it or goes.
      if (pinned.length === 0) return true;
      return { waiting: `revision(s) ${pinned.map((r) => r.revision).join(", ")} of ${observed.family} still used by a service` };
    },

    status: (_obj, observed) => taskDefinitionStatus(observed),

    readiness(obj, observed) {
      const { pinned } = retentionOf(obj, observed);
      const extra = pinned.length > 0 ? `; kept beyond revisionHistoryLimit while a service uses them: ${pinned.map((r) => r.revision).join(", ")}` : "";
      return { ready: true, reason: "Available", message: `revision ${observed.latest.revision} of ${observed.family} is ACTIVE${extra}` };
    },
  };
}
