// Short version of the delete-orders scenario (never an orphan, promise 6); the long one, with
// seeded random orders, is test/reliability/delete-orders.test.ts.
import { describe, inject, it } from "vitest";
import { deleteOrders } from "../env/delete-orders.js";

const stack = inject("stack");

describe("reliability (short): deletion in every order", () => {
  it("leaves nothing in AWS whether the namespace, the whole stack, dependencies first or last, the target group before the service, or a service mid-update is deleted", async () => {
    await deleteOrders(stack, { resyncSeconds: 5 });
  }, 300_000);
});
