import { describe, expect, it } from "vitest";
import { API_VERSION } from "../../src/api/common.js";
import { readyStatusField, referrersCanSee } from "../../src/runtime/references.js";
import type { ManagedObject } from "../../src/runtime/driver.js";

function cluster(generation: number, status: Record<string, unknown>, ready = true, observedGeneration = generation): ManagedObject {
  return {
    apiVersion: API_VERSION,
    kind: "EcsCluster",
    metadata: { name: "main", namespace: "ns", uid: "u1", generation },
    spec: {},
    status: { ...status, observedGeneration, conditions: [{ type: "Ready", status: ready ? "True" : "False", reason: ready ? "Available" : "Creating", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }] },
  };
}

describe("readyStatusField", () => {
  it("gives a status field only while the object is Ready for its current generation", () => {
    expect(readyStatusField(cluster(1, { clusterName: "main" }), "clusterName")).toBe("main");
    expect(readyStatusField(cluster(1, { clusterName: "main" }, false), "clusterName")).toBeUndefined();
    expect(readyStatusField(cluster(2, { clusterName: "main" }, true, 1), "clusterName")).toBeUndefined();
    expect(readyStatusField(cluster(1, { clusterName: "" }), "clusterName")).toBeUndefined();
    expect(readyStatusField(undefined, "clusterName")).toBeUndefined();
  });
});

describe("referrersCanSee", () => {
  const fields = ["clusterName"];

  it("ignores a change of status fields that no referrer reads (task counts move all day)", () => {
    expect(referrersCanSee(fields, cluster(1, { clusterName: "main", runningTasksCount: 7 }), cluster(1, { clusterName: "main", runningTasksCount: 6 }))).toBe(false);
  });

  it("sees a change of a referenced field", () => {
    expect(referrersCanSee(fields, cluster(1, { clusterName: "other" }), cluster(1, { clusterName: "main" }))).toBe(true);
  });

  it("sees readiness come and go, and a new generation not yet observed", () => {
    expect(referrersCanSee(fields, cluster(1, { clusterName: "main" }), cluster(1, { clusterName: "main" }, false))).toBe(true);
    expect(referrersCanSee(fields, cluster(1, { clusterName: "main" }, false), cluster(1, { clusterName: "main" }))).toBe(true);
    expect(referrersCanSee(fields, cluster(2, { clusterName: "main" }, true, 1), cluster(1, { clusterName: "main" }))).toBe(true);
  });

  it("counts every change when the object was just added; none when no reference reads the kind", () => {
    expect(referrersCanSee(fields, cluster(1, { clusterName: "main" }), undefined)).toBe(true);
    expect(referrersCanSee([], cluster(1, { clusterName: "main", runningTasksCount: 7 }), cluster(1, { clusterName: "main" }))).toBe(false);
  });
});
