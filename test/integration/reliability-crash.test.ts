// Short version of the crash-safety scenario (promise 4); the long one is test/reliability/crash.test.ts.
import { describe, inject, it } from "vitest";
import { crashSafety } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability (short): crash safety", () => {
  it("SIGKILLed 5 times while creating 10 objects of every kind, leaves exactly one AWS resource per object", async () => {
    await crashSafety(stack, { objects: 10, kills: 5, minDelayMs: 300, maxDelayMs: 2500, latencyMs: 250 });
  }, 150_000);
});
