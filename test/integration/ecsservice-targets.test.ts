// Short version of the targets scenario (docs/design.md, promise 2: the operator never registers
// or deregisters targets, ECS does): 20 services x 4 tasks roll once, the operator restarted
// mid-rollout. The long one is test/reliability/targets.test.ts.
import { describe, inject, it } from "vitest";
import { targetsScenario } from "../env/targets-scenario.js";

const stack = inject("stack");

describe("20 services × 4 tasks rolling behind their target groups", () => {
  it("leaves every target to ECS: none registered or deregistered by the operator, through a rollout, re-checks and a restart", async () => {
    await targetsScenario(stack, { services: 20, tasks: 4, rollouts: 1, restart: "stop" });
  }, 300_000);
});
