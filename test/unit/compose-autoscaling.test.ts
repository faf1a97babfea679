// Docker's ECS integration's x-aws-autoscaling as EcsService.spec.autoScaling (issue 17).
import { describe, expect, it } from "vitest";
import { autoScalingOf } from "../../src/compose/service.js";

function convert(x: Parameters<typeof autoScalingOf>[0]) {
  const warnings: string[] = [];
  return { scaling: autoScalingOf(x, (m) => warnings.push(m)), warnings };
}

describe("compose x-aws-autoscaling", () => {
  it("maps min, max and a cpu target to the limits and one target tracking policy", () => {
    expect(convert({ min: 2, max: 10, cpu: 70 })).toEqual({
      scaling: { minCapacity: 2, maxCapacity: 10, targetTracking: [{ policyName: "cpu", targetValue: 70, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageCPUUtilization" } }] },
      warnings: [],
    });
  });

  it("maps a memory target, and both targets to two policies", () => {
    expect(convert({ max: 4, memory: 80 }).scaling).toEqual({
      minCapacity: 0,
      maxCapacity: 4,
      targetTracking: [{ policyName: "memory", targetValue: 80, predefinedMetricSpecification: { predefinedMetricType: "ECSServiceAverageMemoryUtilization" } }],
    });
    const both = convert({ min: 1, max: 4, cpu: 50, memory: 80 });
    expect(both.scaling?.targetTracking?.map((t) => t.predefinedMetricSpecification?.predefinedMetricType)).toEqual(["ECSServiceAverageCPUUtilization", "ECSServiceAverageMemoryUtilization"]);
    expect(both.warnings).toEqual([expect.stringMatching(/refuses both cpu and memory; converted to two target tracking policies/)]);
  });

  it("keeps only the limits without a target", () => {
    expect(convert({ min: 1, max: 3 })).toEqual({ scaling: { minCapacity: 1, maxCapacity: 3 }, warnings: [] });
  });

  it("converts no autoScaling without max, and says so", () => {
    const { scaling, warnings } = convert({ min: 1, cpu: 60 });
    expect(scaling).toBeUndefined();
    expect(warnings).toEqual([expect.stringMatching(/without max; converted without autoScaling/)]);
  });

  it("holds min at max when it is above, and says so", () => {
    const { scaling, warnings } = convert({ min: 5, max: 3 });
    expect(scaling).toEqual({ minCapacity: 3, maxCapacity: 3 });
    expect(warnings).toEqual(["min (5) is above max (3); minCapacity is 3"]);
  });
});
