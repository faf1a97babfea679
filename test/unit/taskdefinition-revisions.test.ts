import { describe, expect, it } from "vitest";
import type { ManagedObject } from "../../src/runtime/driver.js";
import { retention, revisionKey, revisionsInUse, revisionsOfFamily, type RevisionRef } from "../../src/controllers/taskdefinition/revisions.js";

const arn = (family: string, revision: number, account = "123456789012"): string => `arn:aws:ecs:us-east-1:${account}:task-definition/${family}:${revision}`;
const ref = (revision: number, family = "team-a_web"): RevisionRef => ({ revision, arn: arn(family, revision) });

function service(namespace: string, name: string, fields: { spec?: Record<string, unknown>; status?: Record<string, unknown> }): ManagedObject {
  return { apiVersion: "ecs.operator.dev/v1alpha1", kind: "EcsService", metadata: { name, namespace, uid: `${namespace}-${name}` }, ...fields };
}

describe("TaskDefinition revisions", () => {
  it("keys a revision by family:revision from an ARN or a family:revision reference", () => {
    expect(revisionKey(arn("team-a_web", 3))).toBe("team-a_web:3");
    expect(revisionKey("arn:aws-cn:ecs:cn-north-1:123456789012:task-definition/web:12")).toBe("web:12");
    expect(revisionKey("web:4")).toBe("web:4");
    expect(revisionKey("web")).toBeUndefined();
    expect(revisionKey("arn:aws:ecs:us-east-1:123456789012:service/main/web")).toBeUndefined();
  });

  it("keeps only the exact family from a listing, ascending, whatever the page order", () => {
    // ListTaskDefinitions' filter is called familyPrefix, and pages come newest first with sort DESC.
    const listed = [arn("web", 3), arn("web-canary", 9), arn("web", 1), "not-an-arn", arn("web", 2), arn("webapp", 4)];
    expect(revisionsOfFamily("web", listed)).toEqual([
      { revision: 1, arn: arn("web", 1) },
      { revision: 2, arn: arn("web", 2) },
      { revision: 3, arn: arn("web", 3) },
    ]);
  });

  describe("in use by services", () => {
    it("collects the revision a service runs, its deployments' revisions and a failed one", () => {
      const inUse = revisionsInUse([
        service("team-a", "api", {
          status: {
            taskDefinitionArn: arn("team-a_web", 4),
            deployments: [{ taskDefinition: arn("team-a_web", 5), status: "PRIMARY" }, { taskDefinition: arn("team-a_web", 4), status: "ACTIVE" }],
            failedTaskDefinitionArn: arn("team-a_web", 3),
          },
        }),
      ]);
      expect([...inUse].sort()).toEqual(["team-a_web:3", "team-a_web:4", "team-a_web:5"]);
    });

    it("counts services of every namespace, and literal references in their spec", () => {
      const inUse = revisionsInUse([
        service("team-a", "api", { spec: { taskDefinitionRef: { name: "web" } }, status: { taskDefinitionArn: arn("team-a_web", 2) } }),
        service("team-b", "batch", { spec: { taskDefinition: arn("team-a_web", 1) } }),
        service("team-c", "cron", { spec: { taskDefinition: "team-a_web:6" } }),
      ]);
      expect([...inUse].sort()).toEqual(["team-a_web:1", "team-a_web:2", "team-a_web:6"]);
    });

    it("ignores a bare family (ECS resolves it to the newest ACTIVE revision, which retention keeps) and malformed status", () => {
      const inUse = revisionsInUse([
        service("team-a", "api", { spec: { taskDefinition: "team-a_web" } }),
        service("team-a", "odd", { status: { taskDefinitionArn: 42, deployments: "none" } }),
        service("team-a", "odder", { status: { deployments: [null, { taskDefinition: 7 }, { taskDefinition: "web:1" }] } }),
        service("team-a", "new", {}),
      ]);
      expect([...inUse]).toEqual(["web:1"]);
    });
  });

  describe("retention", () => {
    const owned = [1, 2, 3, 4, 5].map((r) => ref(r));
    const none = new Set<string>();

    it("deregisters all but the newest revisionHistoryLimit of its own revisions", () => {
      expect(retention("team-a_web", owned, 5, 2, none)).toEqual({ deregister: [ref(3), ref(2), ref(1)], pinned: [] });
      expect(retention("team-a_web", owned, 5, 5, none)).toEqual({ deregister: [], pinned: [] });
      expect(retention("team-a_web", owned, 5, 10, none)).toEqual({ deregister: [], pinned: [] });
    });

    it("never deregisters a revision a service uses, and reports it as pinned", () => {
      expect(retention("team-a_web", owned, 5, 2, new Set(["team-a_web:2"]))).toEqual({ deregister: [ref(3), ref(1)], pinned: [ref(2)] });
    });

    it("matches a pin by family and revision, so the same number in another family does not pin", () => {
      expect(retention("team-a_web", owned, 5, 4, new Set(["other:1"]))).toEqual({ deregister: [ref(1)], pinned: [] });
    });

    it("never deregisters the current revision, even when it is not the newest", () => {
      expect(retention("team-a_web", owned, 2, 1, none).deregister.map((r) => r.revision)).toEqual([4, 3, 1]);
    });

    it("keeps at least one revision whatever the limit", () => {
      expect(retention("team-a_web", owned, 5, 0, none).deregister.map((r) => r.revision)).toEqual([4, 3, 2, 1]);
    });

    it("chooses only among the revisions it is given: someone else's revisions of the family are not in owned", () => {
      const mine = [ref(2), ref(5), ref(8)];
      expect(retention("team-a_web", mine, 8, 1, none).deregister.map((r) => r.revision)).toEqual([5, 2]);
    });
  });
});
