// The bad-input corpus (promise 7), long settings: terminally invalid objects watched over ten
// re-check periods and through an operator restart. The short settings run in
// test/integration/reliability-bad-input.test.ts.
import { describe, inject } from "vitest";
import { defineBadInputSuite } from "../env/bad-input.js";

const stack = inject("stack");

describe("reliability: bad input", () => {
  defineBadInputSuite(stack, { resyncSeconds: 2, recheckPeriods: 10, restart: true });
});
