import { describe, expect, it } from "vitest";
import { backoffDelay } from "../../src/runtime/informer.js";

const backoff = { initialMs: 100, maxMs: 1000 };

describe("backoffDelay", () => {
  it("doubles per attempt up to the cap", () => {
    const top = (attempt: number): number => backoffDelay(attempt, backoff, () => 1);
    expect([0, 1, 2, 3, 4, 5, 50, 5000].map(top)).toEqual([100, 200, 400, 800, 1000, 1000, 1000, 1000]);
  });

  it("jitters within the upper half of each step, so it never collapses to zero", () => {
    expect(backoffDelay(0, backoff, () => 0)).toBe(50);
    expect(backoffDelay(3, backoff, () => 0)).toBe(400);
    expect(backoffDelay(9, backoff, () => 0.5)).toBe(750);
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(2, backoff);
      expect(delay).toBeGreaterThanOrEqual(200);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });
});
