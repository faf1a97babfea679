import type { TaskDefinition } from "@aws-sdk/client-ecs";
import { describe, expect, it } from "vitest";
import type { TaskDefinitionObject, TaskDefinitionSpec, TaskDefinitionStatus } from "../../src/api/taskdefinition.js";
import {
  desiredFingerprint,
  describedFingerprint,
  familyName,
  planDifferences,
  planFor,
  recorded,
  registerInput,
  revisionTags,
  taskDefinitionStatus,
  type ObservedFamily,
} from "../../src/controllers/taskdefinition/mapping.js";
import type { RevisionRef } from "../../src/controllers/taskdefinition/revisions.js";

function taskDefinition(spec: TaskDefinitionSpec, opts: { namespace?: string; name?: string; status?: TaskDefinitionStatus } = {}): TaskDefinitionObject {
  return {
    apiVersion: "ecs.operator.dev/v1alpha1",
    kind: "TaskDefinition",
    metadata: { name: opts.name ?? "web", namespace: opts.namespace ?? "team-a", uid: "u-1", generation: 2 },
    spec,
    ...(opts.status ? { status: opts.status } : {}),
  };
}

const spec: TaskDefinitionSpec = { containerDefinitions: [{ name: "web", image: "httpd:2.4", memory: 512 }] };
const ref = (revision: number): RevisionRef => ({ revision, arn: `arn:aws:ecs:us-east-1:123456789012:task-definition/team-a_web:${revision}` });

/** A DescribeTaskDefinition answer for the object's spec (with ECS's own additions). */
function described(obj: TaskDefinitionObject, revision: number, change: (td: TaskDefinition) => TaskDefinition = (td) => td, tags = revisionTags(obj)) {
  const input = registerInput(obj);
  const taskDefinition = change({ ...input, revision, status: "ACTIVE", taskDefinitionArn: ref(revision).arn, compatibilities: ["EC2"], networkMode: "bridge" });
  return { ref: ref(revision), taskDefinition, tags };
}

function observed(obj: TaskDefinitionObject, fields: Partial<ObservedFamily> = {}): ObservedFamily {
  return { family: "team-a_web", latest: ref(3), latestFingerprint: desiredFingerprint(obj), owned: [ref(1), ref(2), ref(3)], unrecorded: [], inUse: new Set(), ...fields };
}

describe("TaskDefinition mapping", () => {
  it("derives the family from namespace and name, so same-named objects in two namespaces never share one", () => {
    expect(familyName(taskDefinition(spec))).toBe("team-a_web");
    expect(familyName(taskDefinition(spec, { namespace: "team-b" }))).toBe("team-b_web");
    expect(familyName(taskDefinition({ ...spec, family: "shared" }))).toBe("shared");
    // Dots are valid in Kubernetes names, not in families: replaced, with a hash against collisions.
    expect(familyName(taskDefinition(spec, { name: "web.v2" }))).toMatch(/^team-a_web-v2-[0-9a-f]{8}$/);
    expect(familyName(taskDefinition(spec, { name: "web.v2" }))).not.toBe(familyName(taskDefinition(spec, { name: "web-v2" })));
  });

  it("registers the spec without operator fields, tagged for ownership in ECS's {key, value} shape", () => {
    const obj = taskDefinition({ ...spec, revisionHistoryLimit: 2, deletionPolicy: "Retain", managementPolicy: "Manage", adopt: false, tags: { team: "a" } });
    const input = registerInput(obj);
    expect(Object.keys(input).sort()).toEqual(["containerDefinitions", "family", "tags"]);
    expect(input.family).toBe("team-a_web");
    expect(input.tags).toEqual(
      expect.arrayContaining([
        { key: "team", value: "a" },
        { key: "ecs-operator.dev/uid", value: "u-1" },
        { key: "ecs-operator.dev/owner", value: "team-a/web" },
        { key: "ecs-operator.dev/kind", value: "TaskDefinition" },
      ]),
    );
  });

  describe("plan", () => {
    it("does nothing when status remembers the spec's fingerprint and retention has nothing to do", () => {
      const obj = taskDefinition(spec);
      const plan = planFor(obj, observed(obj));
      expect(plan).toEqual({ register: false, retag: false, deregister: [] });
      expect(planDifferences(obj, observed(obj), plan)).toEqual([]);
    });

    it("registers when the latest revision's content differs, and says where", () => {
      const obj = taskDefinition(spec);
      const latest = described(obj, 3, (td) => ({ ...td, containerDefinitions: td.containerDefinitions?.map((c) => ({ ...c, image: "httpd:2.3" })) }));
      const seen = observed(obj, { latestFingerprint: describedFingerprint(obj, latest), latestDescribed: latest });
      const plan = planFor(obj, seen);
      expect(plan.register).toBe(true);
      expect(planDifferences(obj, seen, plan)).toEqual(["new revision: containerDefinitions.web.image differs from revision 3"]);
    });

    it("registers nothing when only the remembered fingerprint is stale but the content is the same (e.g. a new normaliser)", () => {
      const obj = taskDefinition(spec);
      const latest = described(obj, 3);
      const plan = planFor(obj, observed(obj, { latestFingerprint: "0000000000000000", latestDescribed: latest }));
      expect(plan).toEqual({ register: false, retag: false, deregister: [] });
    });

    it("retags the latest revision, without a new one, when only user tags changed", () => {
      const obj = taskDefinition({ ...spec, tags: { team: "b" } });
      const latest = described(obj, 3, (td) => td, { ...revisionTags(obj), team: "a" });
      const seen = observed(obj, { latestFingerprint: describedFingerprint(obj, latest), latestDescribed: latest });
      expect(planFor(obj, seen)).toEqual({ register: false, retag: true, deregister: [] });
      expect(planDifferences(obj, seen, planFor(obj, seen))).toEqual(["tags of revision 3"]);
    });

    it("deregisters its own revisions beyond revisionHistoryLimit, default 5", () => {
      const owned = [1, 2, 3, 4, 5, 6, 7].map(ref);
      const obj = taskDefinition(spec);
      expect(planFor(obj, observed(obj, { owned, latest: ref(7) })).deregister.map((r) => r.revision)).toEqual([2, 1]);
      const limited = taskDefinition({ ...spec, revisionHistoryLimit: 2 });
      const seen = observed(limited, { owned, latest: ref(7), inUse: new Set(["team-a_web:3"]) });
      expect(planFor(limited, seen).deregister.map((r) => r.revision)).toEqual([5, 4, 2, 1]);
      expect(planDifferences(limited, seen, planFor(limited, seen))).toEqual(["deregister revisions 5, 4, 2, 1 beyond revisionHistoryLimit 2"]);
    });
  });

  it("maps what it observed to status: the newest own revision is both taskDefinitionArn and arn", () => {
    const obj = taskDefinition(spec);
    expect(taskDefinitionStatus(observed(obj))).toEqual({
      arn: ref(3).arn,
      family: "team-a_web",
      revision: 3,
      taskDefinitionArn: ref(3).arn,
      ownedRevisions: [1, 2, 3],
      fingerprint: desiredFingerprint(obj),
    });
    expect(taskDefinitionStatus(undefined)).toEqual({});
  });

  it("trusts status only for the family it was written for", () => {
    const status: TaskDefinitionStatus = { family: "team-a_web", revision: 4, ownedRevisions: [2, 4], fingerprint: "f" };
    expect(recorded(taskDefinition(spec, { status }), "team-a_web")).toEqual({ revision: 4, fingerprint: "f", owned: [2, 4], highWater: 4 });
    expect(recorded(taskDefinition(spec, { status }), "other")).toEqual({ owned: [], highWater: 0 });
    expect(recorded(taskDefinition(spec), "team-a_web")).toEqual({ owned: [], highWater: 0 });
  });

  it("compares content only in Observe mode, where the revision may carry anyone's tags", () => {
    const obj = taskDefinition({ ...spec, managementPolicy: "Observe" });
    const theirs = described(obj, 3, (td) => td, { owner: "ci" });
    expect(describedFingerprint(obj, theirs)).toBe(desiredFingerprint(obj));
    const managed = taskDefinition(spec);
    expect(describedFingerprint(managed, theirs)).not.toBe(desiredFingerprint(managed));
  });
});
