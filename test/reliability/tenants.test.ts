// Tenant isolation, long version (promise 3): two namespaces each apply examples/ (same object
// names, same task definition families). The short version, with one fleet unit per namespace, is
// test/integration/reliability-tenants.test.ts.
import { describe, inject, it } from "vitest";
import { tenantIsolation } from "../env/reliability.js";

const stack = inject("stack");

describe("reliability: tenant isolation", () => {
  it("keeps two namespaces' same-named examples apart in AWS, and B can neither reach nor take A's resources", async () => {
    await tenantIsolation(stack, { examples: true });
  });
});
