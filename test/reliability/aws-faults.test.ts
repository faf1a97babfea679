// AWS faults, long version (promises 4 and 8): 35 objects under 20% throttled, failed or dropped
// AWS calls. The short version is test/integration/reliability-aws-faults.test.ts.
import { describe, inject, it } from "vitest";
import { awsFaults } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability: AWS faults", () => {
  it("with 20% of AWS calls throttled, failed or dropped, 35 objects of every kind converge once and stay converged through a minute of re-checks under the faults, with visible backoff", async () => {
    await awsFaults(stack, { objects: 35, rate: 0.2, minQueueRetries: 3, minFaultyMs: 60_000, convergeTimeoutMs: 300_000 });
  });
});
