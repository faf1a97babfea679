// The targets scenario, long version (docs/design.md, promise 2): 50 services x 4 tasks roll
// three times, the operator SIGKILLed at a seeded random moment in each rollout (RELIABILITY_SEED
// replays a run). The short version is test/integration/ecsservice-targets.test.ts.
import { describe, inject, it } from "vitest";
import { targetsScenario } from "../env/targets-scenario.js";

const stack = inject("stack");

describe("reliability: targets", () => {
  it("leaves every target to ECS through 3 rollouts of 50 services x 4 tasks, with a SIGKILL in each", async () => {
    await targetsScenario(stack, { services: 50, tasks: 4, rollouts: 3, restart: "kill", convergeTimeoutMs: 300_000 });
  });
});
