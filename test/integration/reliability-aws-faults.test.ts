// Short version of the AWS-faults scenario (promises 4 and 8); the long one is test/reliability/aws-faults.test.ts.
import { describe, inject, it } from "vitest";
import { awsFaults } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability (short): AWS faults", () => {
  it("with 20% of AWS calls throttled, failed or dropped, 7 objects of every kind converge once, with visible backoff", async () => {
    await awsFaults(stack, { objects: 7, rate: 0.2 });
  }, 150_000);
});
