// Short version of the out-of-band scenario (promise 1, deletion); the long one is test/reliability/out-of-band.test.ts.
import { describe, inject, it } from "vitest";
import { outOfBand } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability (short): out-of-band changes", () => {
  it("recreates what was deleted behind its back, reports NotFound in Observe, and deletes objects whose resources are gone", async () => {
    await outOfBand(stack, { rounds: 1, resyncSeconds: 3 });
  }, 180_000);
});
