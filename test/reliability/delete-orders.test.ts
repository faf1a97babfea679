// Deletion in every order, long version: every named order plus seeded random orders of the seven
// kinds with random pauses (RELIABILITY_SEED replays one). The short version is
// test/integration/reliability-delete-orders.test.ts.
import { describe, inject, it } from "vitest";
import { deleteOrders } from "../env/delete-orders.js";

const stack = inject("stack");

describe("reliability: deletion in every order", () => {
  it("leaves nothing in AWS, whatever the order", async () => {
    await deleteOrders(stack, { randomOrders: 12, resyncSeconds: 5 });
  });
});
