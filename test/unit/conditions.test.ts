import { describe, expect, it } from "vitest";
import { mergeConditions } from "../../src/runtime/conditions.js";

const t0 = new Date("2026-01-01T00:00:00.000Z");
const t1 = new Date("2026-01-01T00:05:00.000Z");

describe("mergeConditions", () => {
  it("stamps new conditions with the current time and generation", () => {
    const merged = mergeConditions(undefined, [{ type: "Ready", status: "False", reason: "Creating", message: "m" }], 3, t0);
    expect(merged).toEqual([{ type: "Ready", status: "False", reason: "Creating", message: "m", lastTransitionTime: "2026-01-01T00:00:00Z", observedGeneration: 3 }]);
  });

  it("keeps lastTransitionTime when only reason or message change", () => {
    const first = mergeConditions(undefined, [{ type: "Ready", status: "False", reason: "Creating", message: "a" }], 1, t0);
    const second = mergeConditions(first, [{ type: "Ready", status: "False", reason: "AwsError", message: "b" }], 2, t1);
    expect(second[0]?.lastTransitionTime).toBe("2026-01-01T00:00:00Z");
    expect(second[0]?.reason).toBe("AwsError");
    expect(second[0]?.observedGeneration).toBe(2);
  });

  it("moves lastTransitionTime when the status flips", () => {
    const first = mergeConditions(undefined, [{ type: "Ready", status: "False", reason: "Creating", message: "a" }], 1, t0);
    const second = mergeConditions(first, [{ type: "Ready", status: "True", reason: "Available", message: "b" }], 1, t1);
    expect(second[0]?.lastTransitionTime).toBe("2026-01-01T00:05:00Z");
  });

  it("keeps conditions it was not asked about and orders Ready, Synced, Progressing", () => {
    const first = mergeConditions(undefined, [{ type: "Progressing", status: "True", reason: "RolloutInProgress", message: "" }], 1, t0);
    const second = mergeConditions(first, [{ type: "Synced", status: "True", reason: "Available", message: "" }, { type: "Ready", status: "True", reason: "Available", message: "" }], 1, t1);
    expect(second.map((c) => c.type)).toEqual(["Ready", "Synced", "Progressing"]);
  });
});
