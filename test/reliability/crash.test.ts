// Crash safety, long version (promise 4): 50 objects of every kind, 30 SIGKILLs at seeded random
// moments (RELIABILITY_SEED replays a run). The short version is test/integration/reliability-crash.test.ts.
import { describe, inject, it } from "vitest";
import { crashSafety } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability: crash safety", () => {
  it("SIGKILLed 30 times while creating 50 objects of every kind, leaves exactly one AWS resource per object", async () => {
    await crashSafety(stack, { objects: 50, kills: 30, minDelayMs: 300, maxDelayMs: 3000, latencyMs: 250, convergeTimeoutMs: 300_000 });
  });
});
