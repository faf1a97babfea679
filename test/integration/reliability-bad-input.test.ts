// The bad-input corpus (promise 7), short settings; test/reliability/bad-input.test.ts watches longer and restarts.
import { describe, inject } from "vitest";
import { defineBadInputSuite } from "../env/bad-input.js";

const stack = inject("stack");

describe("reliability (short): bad input", () => {
  defineBadInputSuite(stack, { resyncSeconds: 2, recheckPeriods: 3, restart: false });
});
