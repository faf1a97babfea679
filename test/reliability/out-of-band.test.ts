// Out-of-band changes, long version (promise 1 and deletion): three rounds of deleting every kind's
// AWS resource behind the operator's back. The short version is test/integration/reliability-out-of-band.test.ts.
import { describe, inject, it } from "vitest";
import { outOfBand } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability: out-of-band changes", () => {
  it("recreates what was deleted behind its back, reports NotFound in Observe, and deletes objects whose resources are gone", async () => {
    await outOfBand(stack, { rounds: 3, resyncSeconds: 3 });
  });
});
