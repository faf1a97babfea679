// Short version of the tenant-isolation scenario (promise 3); the long one is test/reliability/tenants.test.ts.
import { describe, inject, it } from "vitest";
import { tenantIsolation } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability (short): tenant isolation", () => {
  it("keeps two namespaces' same-named objects apart in AWS, and B can neither reach nor take A's resources", async () => {
    await tenantIsolation(stack, { examples: false });
  }, 180_000);
});
